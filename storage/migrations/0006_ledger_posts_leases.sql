-- The delivery ledger, by post: a post is recorded with all its rendered parts the first time
-- it is claimed, so it is finished only when every part is sent (or rejected), whatever rows a
-- crash left; a restart resends exactly the parts first rendered. Claims belong to a run that
-- holds a lease: a dead run's claims are taken over as soon as its lease expires.
CREATE TABLE posts (
    platform    TEXT NOT NULL,
    target      TEXT NOT NULL,               -- channel id, or 'user:<id>' for a DM
    post_key    TEXT NOT NULL,               -- see bot/post_keys.py
    parts       INTEGER NOT NULL,
    report_to   TEXT NOT NULL DEFAULT '',    -- who hears about an unavailable channel
    created_at  TEXT NOT NULL,
    finished_at TEXT,                        -- NULL while any part is pending or claimed
    attempts    INTEGER NOT NULL DEFAULT 0,  -- failed runs, for the retry back-off
    retry_at    TEXT,
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
    payload     TEXT NOT NULL,               -- {"body": …, "thread_of": …, "ephemeral": …}
    nonce       TEXT,                        -- idempotency key / marker carried by the message
    owner       TEXT,                        -- the run holding the claim (see leases)
    message_id  TEXT,                        -- Discord message id / Slack ts
    thread_id   TEXT,                        -- where thread replies go
    error       TEXT,
    claimed_at  TEXT,
    sent_at     TEXT,
    PRIMARY KEY (platform, target, post_key, part),
    FOREIGN KEY (platform, target, post_key) REFERENCES posts(platform, target, post_key) ON DELETE CASCADE
);

CREATE TABLE leases (
    owner      TEXT PRIMARY KEY,             -- one per running deliverer (process)
    expires_at TEXT NOT NULL,
    started_at TEXT NOT NULL,
    info       TEXT NOT NULL DEFAULT ''      -- host and pid, for status
);

-- What the old ledger knew: its posts are finished (a part it left claimed had an unknown
-- outcome and no payload to resend: recorded as failed, so it is never sent twice).
INSERT INTO posts(platform, target, post_key, parts, created_at, finished_at)
    SELECT platform, target, post_key, max(part) + 1, min(claimed_at), coalesce(max(sent_at), max(claimed_at))
    FROM deliveries GROUP BY platform, target, post_key;
INSERT INTO parts(platform, target, post_key, part, state, payload, nonce, message_id, thread_id, error,
                  claimed_at, sent_at)
    SELECT platform, target, post_key, part, CASE state WHEN 'claimed' THEN 'failed' ELSE state END, '{}', nonce,
           message_id, thread_id, CASE state WHEN 'claimed' THEN 'outcome unknown at upgrade' ELSE error END,
           claimed_at, sent_at
    FROM deliveries;
DROP TABLE deliveries;

-- Alerts claimed by the old ledger were delivered (or lost) under another key: never resumed.
UPDATE alerted SET post_key = 'legacy:' || post_key;
CREATE INDEX alerted_post ON alerted(platform, post_key);
