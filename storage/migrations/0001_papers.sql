-- Papers, digests and the link between them.
CREATE TABLE papers (
    id         INTEGER PRIMARY KEY,
    arxiv_id   TEXT NOT NULL UNIQUE,
    url        TEXT NOT NULL,
    title      TEXT NOT NULL,
    thumbnail  TEXT,
    votes      INTEGER,
    authors    TEXT NOT NULL DEFAULT '[]',   -- JSON list, in the digest's order
    sections   TEXT NOT NULL DEFAULT '[]',   -- JSON list of [name, text]
    links      TEXT NOT NULL DEFAULT '[]',   -- JSON list of [label, url]
    last_date  TEXT NOT NULL,                -- newest digest date it was seen in
    first_seen TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE digests (
    date        TEXT PRIMARY KEY,            -- ISO date
    source      TEXT NOT NULL DEFAULT '',
    ingested_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE digest_papers (
    date     TEXT NOT NULL REFERENCES digests(date) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    paper_id INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    votes    INTEGER,                        -- votes as this digest showed them
    PRIMARY KEY (date, paper_id),
    UNIQUE (date, position)
);
CREATE INDEX digest_papers_paper ON digest_papers(paper_id);
