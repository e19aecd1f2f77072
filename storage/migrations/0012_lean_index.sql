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
-- papers_words keeps its one- and two-character prefix indexes: without the one-character one a
-- term ending in a one-character word (`GPT-4`, `Qwen2.5`) merges every index word starting with
-- it (measured at 100,000 papers: 0.4 -> 6.2 ms), for about 4% of the ingest time.
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
    prefix = '1 2'
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
