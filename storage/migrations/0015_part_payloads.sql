-- A part's rendered payload stored once per distinct text, apart from the part's state: recording a part
-- claimed and then sent no longer rewrites its payload (SQLite rewrites a whole row on every UPDATE), and
-- identical parts (one alert rendered for many subscribers) share one row. parts.payload stays for rows
-- written before (new rows leave it '' and name their payload by hash).
CREATE TABLE payloads (
    hash    TEXT PRIMARY KEY,
    payload TEXT NOT NULL
);
ALTER TABLE parts ADD COLUMN payload_hash TEXT;
-- Parts with their payload, as one table (what a reader or a copy to PostgreSQL sees).
CREATE VIEW parts_full AS
    SELECT p.platform, p.target, p.post_key, p.part, p.state,
           coalesce((SELECT x.payload FROM payloads x WHERE x.hash = p.payload_hash), p.payload) AS payload,
           p.nonce, p.owner, p.message_id, p.thread_id, p.error, p.claimed_at, p.sent_at
    FROM parts p;

-- Alert claims answer two questions only: "was this (subscriber, paper) alerted?" (the primary key) and
-- "which recent claims have no post?" (alerted_at). alerted_post answered none and cost a write per claim.
DROP INDEX IF EXISTS alerted_post;
