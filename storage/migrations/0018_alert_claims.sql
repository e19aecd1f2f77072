-- Alert claims one row a subscriber's claim (issue 15: the alert run's claim stage). A claim was a row per
-- (subscriber, paper) carrying its post key, terms and time, in a rowid table with two indexes: three B-tree
-- writes of a wide row for each of the million pairs of a 100,000-subscription run. Now one row holds what a
-- subscriber's claim took ({arxiv_id: [terms]} in claim order), and "was this (subscriber, paper) alerted?" is
-- answered from them: a paper in no claim yet (alerted_papers: new papers, as usual) was alerted to no one;
-- else the subscriber's claims from the paper's first one on are looked at.
CREATE TABLE alert_claims (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,  -- in claim order, never reused
    platform   TEXT NOT NULL,
    subscriber TEXT NOT NULL,
    post_key   TEXT NOT NULL,
    papers     TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX alert_claims_subscriber ON alert_claims(platform, subscriber, id);
-- Alerts claimed but never posted (a crash between the two) are looked for among recent claims only.
CREATE INDEX alert_claims_at ON alert_claims(at);
-- Each paper in some claim, and the first claim naming it (every claim of it has that id or a later one).
CREATE TABLE alerted_papers (
    platform    TEXT NOT NULL,
    arxiv_id    TEXT NOT NULL,
    first_claim INTEGER NOT NULL,
    PRIMARY KEY (platform, arxiv_id)
) WITHOUT ROWID;
INSERT INTO alert_claims(platform, subscriber, post_key, papers, at)
    SELECT platform, subscriber, post_key, json_group_object(arxiv_id, json(terms)), min(at)
    FROM (SELECT * FROM alerted ORDER BY platform, subscriber, post_key, rowid)
    GROUP BY platform, subscriber, post_key ORDER BY min(at), min(rowid);
INSERT INTO alerted_papers(platform, arxiv_id, first_claim)
    SELECT c.platform, p.key, min(c.id) FROM alert_claims c, json_each(c.papers) p GROUP BY c.platform, p.key;
DROP TABLE alerted;
-- The claims one row a (subscriber, paper), as before (what a reader or a copy to PostgreSQL sees; rowid in
-- claim order). Deleting a pair from it takes that paper out of its claim (the claim goes once it names none),
-- as deleting the row did before (and does on PostgreSQL): the subscriber's other papers stay claimed.
CREATE VIEW alerted AS
    SELECT c.platform, c.subscriber, p.key AS arxiv_id, c.post_key, p.value AS terms, c.at,
           (c.id << 32) + p.id AS rowid
    FROM alert_claims c, json_each(c.papers) p;
CREATE TRIGGER alerted_delete INSTEAD OF DELETE ON alerted BEGIN
    UPDATE alert_claims SET papers = json_remove(papers, '$."' || old.arxiv_id || '"') WHERE id = old.rowid >> 32;
    DELETE FROM alert_claims WHERE id = old.rowid >> 32 AND papers = '{}';
END;
