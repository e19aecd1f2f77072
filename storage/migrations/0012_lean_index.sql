-- A leaner index layout (issue 15). Before: the indexed text was stored five times (papers_fts,
-- papers_words, papers_ko and titles_ko each kept their own copy besides papers), and a raw
-- trigram index (papers_fts) was written for every paper although search reads papers_ko.
--
-- paper_text holds what the indexes were given, once: the title, the authors (", "-joined) and the
-- summary body as storage/sqlite/papers.py `_reindex` received it (a body may join several
-- digests' texts, so it is not derived from papers.sections). papers_words is an external-content
-- table over it; papers_ko and titles_ko are contentless (search reads rowids only; snippets are
-- made from the papers' own text). Their rows are removed with FTS5's 'delete' command given the
-- old text (from paper_text, through korean_index_text(), registered by the store on its
-- connection): a change to korean_index_text() therefore needs a migration that rebuilds them.
-- papers_words has prefix indexes for prefixes of 1 to 6 characters: a search word is a prefix
-- (`agent` finds "agents", "agent3d는"), and without an index of its length FTS5 merges the
-- postings of every index word starting with it before it returns a row (`long context` at
-- 100,000 papers: 4.2 ms for that merge; `GPT-4`, a one-character last word, 6.2 ms). Measured on
-- 30,000 synthetic papers, 1-2 -> 1-6 cost 58% more words index and ~8% of ingest time, and took
-- `long context` from 1.9 to 0.5 ms; longer words have few variants and merge cheaply.
CREATE TABLE paper_text (
    id      INTEGER PRIMARY KEY,
    title   TEXT NOT NULL,
    authors TEXT NOT NULL,
    body    TEXT NOT NULL
);
INSERT INTO paper_text(id, title, authors, body)
    SELECT rowid, coalesce(title, ''), coalesce(authors, ''), coalesce(body, '') FROM papers_fts;

-- subscriptions now count a gram's papers in papers_ko_vocab (storage/sqlite/subscriptions.py)
DROP TABLE papers_fts_vocab;
DROP TABLE papers_fts;

DROP TABLE papers_words;
CREATE VIRTUAL TABLE papers_words USING fts5(
    title, authors, body,
    content = 'paper_text', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3 4 5 6'
);
INSERT INTO papers_words(papers_words) VALUES ('rebuild');

-- Korean search: filled by `_reindex` in the same transaction as the paper (no pending list).
DROP TRIGGER papers_ko_ai;
DROP TRIGGER papers_ko_au;
DROP TRIGGER papers_ko_ad;
DROP TABLE papers_ko_pending;
DROP TABLE papers_ko_vocab;
DROP TABLE papers_ko;
DROP TABLE titles_ko;
CREATE VIRTUAL TABLE papers_ko USING fts5(title, body, content = '', tokenize = 'trigram');
CREATE VIRTUAL TABLE papers_ko_vocab USING fts5vocab(papers_ko, 'row');
CREATE VIRTUAL TABLE titles_ko USING fts5(title, content = '', tokenize = 'trigram');
INSERT INTO papers_ko(rowid, title, body)
    SELECT id, korean_index_text(title), korean_index_text(body) FROM paper_text;
INSERT INTO titles_ko(rowid, title) SELECT id, korean_index_text(title) FROM paper_text;
