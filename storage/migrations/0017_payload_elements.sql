-- A payload stored as its skeleton and its list elements, each distinct element once (issue 15: the alert
-- run's send stage). An alert is a Slack message of about a dozen paper cards, and the same card is in
-- thousands of subscribers' alerts that differ by a card or two: stored whole (0015), every distinct payload
-- wrote every card's JSON again (35% of the send stage was writing those bytes). storage/payload_codec.py
-- makes the skeleton (the payload's JSON with each element of a list-valued field replaced by NUL and its
-- SHA-256) and puts the JSON back together byte for byte; a skeleton's hash is the key a part names
-- (parts.payload_hash), as for payloads stored whole. Payloads without list elements, and every row
-- written before, stay whole in payloads.
CREATE TABLE payload_elements (
    hash    BLOB PRIMARY KEY,   -- SHA-256 of the element's JSON (32 bytes)
    element TEXT NOT NULL
);
CREATE TABLE payload_skeletons (
    hash     TEXT PRIMARY KEY,
    skeleton BLOB NOT NULL
);
-- Parts with their payload (what a reader or a copy to PostgreSQL sees): payload is the whole JSON when it
-- is stored whole (here, in payloads, or in the part itself before 0015), else NULL and skeleton holds it
-- (storage/sqlite/ledger.py puts it together).
DROP VIEW parts_full;
CREATE VIEW parts_full AS
    SELECT p.platform, p.target, p.post_key, p.part, p.state,
           coalesce((SELECT x.payload FROM payloads x WHERE x.hash = p.payload_hash), nullif(p.payload, ''))
               AS payload,
           (SELECT s.skeleton FROM payload_skeletons s WHERE s.hash = p.payload_hash) AS skeleton,
           p.nonce, p.owner, p.message_id, p.thread_id, p.error, p.claimed_at, p.sent_at
    FROM parts p;
-- Payload rows are only ever added by the ledger; a store remembers what it has stored so that a post made of
-- stored payloads and elements writes only its parts (storage/sqlite/ledger_payloads.py). Any deletion of a
-- payload row counts here, and a store that sees the count change forgets what it remembered.
CREATE TABLE payload_deletions (n INTEGER NOT NULL);
INSERT INTO payload_deletions(n) VALUES (0);
CREATE TRIGGER payloads_deleted AFTER DELETE ON payloads BEGIN UPDATE payload_deletions SET n = n + 1; END;
CREATE TRIGGER payload_skeletons_deleted AFTER DELETE ON payload_skeletons
BEGIN UPDATE payload_deletions SET n = n + 1; END;
CREATE TRIGGER payload_elements_deleted AFTER DELETE ON payload_elements
BEGIN UPDATE payload_deletions SET n = n + 1; END;
