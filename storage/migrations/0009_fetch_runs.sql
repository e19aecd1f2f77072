-- The fetch catch-up's record: per source and day, the last successful fetch and the last try.
-- A day with no success since its fetch time is fetched again (at start and on each tick).
CREATE TABLE fetch_runs (
    source    TEXT NOT NULL,
    day       TEXT NOT NULL,                 -- the ISO date fetched
    ok_at     TEXT,                          -- the last success (UTC ISO 8601), NULL if none yet
    ok_status TEXT NOT NULL DEFAULT '',      -- 'ingested' | 'empty' | ''
    tried_at  TEXT NOT NULL,                 -- the last try, whatever its outcome
    error     TEXT NOT NULL DEFAULT '',      -- the last try's error ('' when it succeeded)
    PRIMARY KEY (source, day)
);
