-- SQLite's 0008 for PostgreSQL: Korean search ignores spacing and finds terms inside words.
-- ko_title / ko_body: the title and summaries folded, whitespace removed, each line ended by
-- U+E00F (storage.sqlite.search.korean_index_text); a term matches as a substring of either
-- (LIKE, through a pg_trgm index on ko when the extension is installed). Filled by the store
-- (papers stored before are filled when the store opens).
ALTER TABLE papers ADD COLUMN ko_title TEXT NOT NULL DEFAULT '';
ALTER TABLE papers ADD COLUMN ko_body TEXT NOT NULL DEFAULT '';
ALTER TABLE papers ADD COLUMN ko TEXT NOT NULL DEFAULT '';
-- the first substring columns (case-insensitive, spacing kept) and their index
ALTER TABLE papers DROP COLUMN doc, DROP COLUMN doc_title, DROP COLUMN doc_authors, DROP COLUMN doc_body;
