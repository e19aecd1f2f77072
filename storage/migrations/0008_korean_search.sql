-- Korean search ignores spacing (`강화학습` = `강화 학습`) and finds two-character terms inside
-- words (`추론` in `수학적추론을`): a trigram index over the title and summaries with all
-- whitespace removed, a private-use separator (U+E00F) at every line end. Filled from
-- papers_fts (what the search indexes) by storage/sqlite/search.py when a write transaction
-- commits; the triggers only note which papers changed (an FTS5 write per row would flush
-- one index segment per row).
CREATE VIRTUAL TABLE papers_ko USING fts5(title, body, tokenize = 'trigram');
CREATE VIRTUAL TABLE papers_ko_vocab USING fts5vocab(papers_ko, 'row');
-- Titles alone, so that ranking finds every title hit without reading the summaries' postings.
CREATE VIRTUAL TABLE titles_ko USING fts5(title, tokenize = 'trigram');
-- Author words that extend a Latin search word ("raghav" for "rag"): when there are none, the
-- word needs no column filter to keep author names whole-word.
CREATE VIRTUAL TABLE authors_fts_vocab USING fts5vocab(authors_fts, 'row');
CREATE TABLE papers_ko_pending (paper_id INTEGER PRIMARY KEY);
CREATE TRIGGER papers_ko_ai AFTER INSERT ON papers BEGIN
    INSERT OR IGNORE INTO papers_ko_pending(paper_id) VALUES (new.id);
END;
CREATE TRIGGER papers_ko_au AFTER UPDATE OF title, sections ON papers BEGIN
    INSERT OR IGNORE INTO papers_ko_pending(paper_id) VALUES (new.id);
END;
CREATE TRIGGER papers_ko_ad AFTER DELETE ON papers BEGIN
    INSERT OR IGNORE INTO papers_ko_pending(paper_id) VALUES (old.id);
END;
-- papers stored before: indexed at the end of the upgrade
INSERT INTO papers_ko_pending(paper_id) SELECT id FROM papers;
