-- The delivery ledger: one row per (platform, target, post, message part). The UNIQUE key
-- makes a second claim on a part impossible, so a retry, a catch-up and a live run can't
-- both send it.
CREATE TABLE deliveries (
    id          INTEGER PRIMARY KEY,
    platform    TEXT NOT NULL,
    target      TEXT NOT NULL,               -- channel id, or 'user:<id>' for a DM
    post_key    TEXT NOT NULL,               -- 'digest:2024-06-28', 'empty:2024-06-29', 'alert:2024-06-28'
    part        INTEGER NOT NULL,            -- payload index within the post
    state       TEXT NOT NULL CHECK (state IN ('claimed', 'sent', 'failed')),
    nonce       TEXT NOT NULL,               -- idempotency key sent with the message
    message_id  TEXT,                        -- Discord message id / Slack ts
    thread_id   TEXT,                        -- where thread replies go (Discord thread / Slack parent ts)
    error       TEXT,
    claimed_at  TEXT NOT NULL,
    sent_at     TEXT,
    UNIQUE (platform, target, post_key, part)
);
CREATE INDEX deliveries_target ON deliveries(platform, target, post_key);

-- Runs of the scheduler per channel (for `paperbot status`).
CREATE TABLE delivery_runs (
    id        INTEGER PRIMARY KEY,
    platform  TEXT NOT NULL,
    target    TEXT NOT NULL,
    post_key  TEXT NOT NULL,
    outcome   TEXT NOT NULL,                 -- sent | skipped | failed | dry-run
    detail    TEXT NOT NULL DEFAULT '',
    at        TEXT NOT NULL
);
CREATE INDEX delivery_runs_target ON delivery_runs(platform, target, at);

-- Channels that can't be posted to (gone, no permission): reported once, not retried forever.
CREATE TABLE unavailable_channels (
    platform   TEXT NOT NULL,
    target     TEXT NOT NULL,
    reason     TEXT NOT NULL,
    since      TEXT NOT NULL,
    reported   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (platform, target)
);

-- Topic alerts: the key gram indexes each subscription term, so matching new papers costs
-- a lookup per distinct gram of the papers, not a pass over every subscription.
ALTER TABLE subscriptions ADD COLUMN gram TEXT NOT NULL DEFAULT '';
CREATE INDEX subscriptions_gram ON subscriptions(kind, gram);

-- One alert per (subscriber, paper), ever.
CREATE TABLE alerted (
    platform   TEXT NOT NULL,
    subscriber TEXT NOT NULL,
    arxiv_id   TEXT NOT NULL,
    post_key   TEXT NOT NULL,
    terms      TEXT NOT NULL DEFAULT '[]',
    at         TEXT NOT NULL,
    PRIMARY KEY (platform, subscriber, arxiv_id)
);

-- A channel may prefer silence to a "no new papers today" post.
ALTER TABLE schedules ADD COLUMN quiet INTEGER NOT NULL DEFAULT 0;

-- Document frequency of trigrams, to index each subscription by its rarest one.
CREATE VIRTUAL TABLE papers_fts_vocab USING fts5vocab(papers_fts, 'row');
