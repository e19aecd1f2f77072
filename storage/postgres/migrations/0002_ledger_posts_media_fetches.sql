-- SQLite's 0006, 0007 and 0009 for PostgreSQL: the ledger by post (every rendered part recorded
-- the first time, claims owned by a run holding a lease), a paper's video, the fetch record.
CREATE TABLE posts (
    platform    TEXT NOT NULL,
    target      TEXT NOT NULL,
    post_key    TEXT NOT NULL,
    parts       INTEGER NOT NULL,
    report_to   TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,                 -- NULL while any part is pending or claimed
    attempts    INTEGER NOT NULL DEFAULT 0,
    retry_at    TIMESTAMPTZ,
    last_error  TEXT,
    PRIMARY KEY (platform, target, post_key)
);
CREATE INDEX posts_unfinished ON posts(platform, created_at) WHERE finished_at IS NULL;
CREATE INDEX posts_created ON posts(platform, target, created_at);

CREATE TABLE parts (
    platform    TEXT NOT NULL,
    target      TEXT NOT NULL,
    post_key    TEXT NOT NULL,
    part        INTEGER NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'claimed', 'sent', 'failed')),
    payload     TEXT NOT NULL,
    nonce       TEXT,
    owner       TEXT,
    message_id  TEXT,
    thread_id   TEXT,
    error       TEXT,
    claimed_at  TIMESTAMPTZ,
    sent_at     TIMESTAMPTZ,
    PRIMARY KEY (platform, target, post_key, part),
    FOREIGN KEY (platform, target, post_key) REFERENCES posts(platform, target, post_key) ON DELETE CASCADE
);

CREATE TABLE leases (
    owner      TEXT PRIMARY KEY,
    expires_at TIMESTAMPTZ NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    info       TEXT NOT NULL DEFAULT ''
);

-- nothing was ever delivered through the first ledger on PostgreSQL (it had no ledger code)
DROP TABLE deliveries;
CREATE INDEX alerted_post ON alerted(platform, post_key);

ALTER TABLE papers ADD COLUMN media TEXT;

CREATE TABLE fetch_runs (
    source    TEXT NOT NULL,
    day       DATE NOT NULL,
    ok_at     TIMESTAMPTZ,
    ok_status TEXT NOT NULL DEFAULT '',
    tried_at  TIMESTAMPTZ NOT NULL,
    error     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (source, day)
);
