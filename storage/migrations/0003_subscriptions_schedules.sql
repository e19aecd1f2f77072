-- Topic subscriptions (alerts are delivered in a later version) and channel schedules.
CREATE TABLE subscriptions (
    id         INTEGER PRIMARY KEY,
    platform   TEXT NOT NULL,
    subscriber TEXT NOT NULL,                -- 'user:<id>' or 'channel:<id>'
    kind       TEXT NOT NULL CHECK (kind IN ('keyword', 'author')),
    term       TEXT NOT NULL,
    term_key   TEXT NOT NULL,                -- folded term: one subscription per meaning
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (platform, subscriber, kind, term_key)
);

CREATE TABLE schedules (
    platform   TEXT NOT NULL,
    channel    TEXT NOT NULL,
    workspace  TEXT NOT NULL DEFAULT '',
    time       TEXT NOT NULL,                -- HH:MM, local to timezone
    timezone   TEXT NOT NULL,                -- IANA name
    weekdays   TEXT NOT NULL,                -- e.g. '0,1,2,3,4' (Monday = 0)
    top_n      INTEGER,
    min_votes  INTEGER,
    enabled    INTEGER NOT NULL DEFAULT 1,
    set_by     TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (platform, channel)
);
