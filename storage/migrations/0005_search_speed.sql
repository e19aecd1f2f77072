-- FTS5 flushes its pending index data at every statement savepoint, so this trigger wrote
-- one authors_fts segment per new name; ingest now fills authors_fts with one INSERT ... SELECT.
DROP TRIGGER authors_ai;
-- Author lookups read (author_id, paper_id) pairs only: a covering index avoids the table.
CREATE INDEX paper_authors_author_paper ON paper_authors(author_id, paper_id);
