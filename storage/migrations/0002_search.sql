-- Full-text search. Korean has no spaces between a word and its particle, so keyword
-- search is substring search through the trigram tokenizer; queries of one or two
-- characters, which trigram cannot match, go through a unicode61 prefix index.
CREATE VIRTUAL TABLE papers_fts USING fts5(
    title, authors, body,
    tokenize = 'trigram'
);
CREATE VIRTUAL TABLE papers_words USING fts5(
    title, authors, body,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2'
);

-- Authors: one row per distinct name; lookups are case- and accent-insensitive and a
-- surname alone matches (unicode61 with diacritics removed, prefix queries per word).
CREATE TABLE authors (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE paper_authors (
    paper_id  INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    author_id INTEGER NOT NULL REFERENCES authors(id),
    PRIMARY KEY (paper_id, position)
);
CREATE INDEX paper_authors_author ON paper_authors(author_id);
CREATE VIRTUAL TABLE authors_fts USING fts5(
    name,
    content = 'authors', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3'
);
CREATE TRIGGER authors_ai AFTER INSERT ON authors BEGIN
    INSERT INTO authors_fts(rowid, name) VALUES (new.id, new.name);
END;

-- Backfill from papers stored before this migration.
INSERT OR IGNORE INTO authors(name)
    SELECT DISTINCT j.value FROM papers, json_each(papers.authors) AS j;
INSERT INTO paper_authors(paper_id, position, author_id)
    SELECT papers.id, j.key, authors.id
    FROM papers, json_each(papers.authors) AS j JOIN authors ON authors.name = j.value;
INSERT INTO papers_fts(rowid, title, authors, body)
    SELECT id, title,
           coalesce((SELECT group_concat(j.value, ', ') FROM json_each(papers.authors) AS j), ''),
           coalesce((SELECT group_concat(json_extract(s.value, '$[1]'), char(10)) FROM json_each(papers.sections) AS s), '')
    FROM papers;
INSERT INTO papers_words(rowid, title, authors, body)
    SELECT rowid, title, authors, body FROM papers_fts;
