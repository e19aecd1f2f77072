-- Alert claims in two tables (issue 15: the alert run's claim stage). A claim was a row per (subscriber, paper)
-- carrying its post key, terms and time, in a rowid table with two indexes: three B-tree writes of a wide row
-- for each of the million pairs of a 100,000-subscription run. Now "was this (subscriber, paper) alerted?" is a
-- key-only table (one B-tree write of the key a pair), and what a crash between claiming and posting needs to
-- send the alert later (post key, each paper's terms, time) is one row per subscriber's claim.
CREATE TABLE alerted_pairs (
    platform   TEXT NOT NULL,
    subscriber TEXT NOT NULL,
    arxiv_id   TEXT NOT NULL,
    PRIMARY KEY (platform, subscriber, arxiv_id)
) WITHOUT ROWID;
-- One subscriber's papers claimed by one statement: {arxiv_id: [terms]} in claim order.
CREATE TABLE alert_claims (
    platform   TEXT NOT NULL,
    subscriber TEXT NOT NULL,
    post_key   TEXT NOT NULL,
    papers     TEXT NOT NULL,
    at         TEXT NOT NULL
);
-- Alerts claimed but never posted (a crash between the two) are looked for among recent claims only.
CREATE INDEX alert_claims_at ON alert_claims(at);
INSERT INTO alerted_pairs(platform, subscriber, arxiv_id) SELECT platform, subscriber, arxiv_id FROM alerted;
INSERT INTO alert_claims(platform, subscriber, post_key, papers, at)
    SELECT platform, subscriber, post_key, json_group_object(arxiv_id, json(terms)), min(at)
    FROM (SELECT * FROM alerted ORDER BY platform, subscriber, post_key, rowid)
    GROUP BY platform, subscriber, post_key ORDER BY min(at), min(rowid);
DROP TABLE alerted;
-- The claims one row a (subscriber, paper), as before (what a reader or a copy to PostgreSQL sees; rowid in
-- claim order). Deleting from it deletes the pair and its claim.
CREATE VIEW alerted AS
    SELECT c.platform, c.subscriber, p.key AS arxiv_id, c.post_key, p.value AS terms, c.at,
           (c.rowid << 32) + p.id AS rowid
    FROM alert_claims c, json_each(c.papers) p;
CREATE TRIGGER alerted_delete INSTEAD OF DELETE ON alerted BEGIN
    DELETE FROM alerted_pairs
        WHERE platform = old.platform AND subscriber = old.subscriber AND arxiv_id = old.arxiv_id;
    DELETE FROM alert_claims WHERE rowid = old.rowid >> 32;
END;
