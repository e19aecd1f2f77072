-- Cheaper keyword search tails (issue 15, item 4); storage/sqlite/search.py reads these tables.
--
-- titles_words: the titles alone, as papers_words indexes them (same tokenizer and prefix indexes),
-- contentless (rows are removed with FTS5's 'delete' given the old title, from paper_text). A Latin
-- term's title hits were read from papers_words with a {title} column filter: FTS5 then expands the
-- prefix over every summary's postings a second time and reads positions to find the column; a term
-- common in summaries but rare in titles (`GPT-4`) read every match. Measured at 100,000 papers:
-- `reasoning` 0.5 ms, `GPT-4` 1.2 ms for the title hits alone.
CREATE VIRTUAL TABLE titles_words USING fts5(
    title,
    content = '', tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3 4 5 6'
);
-- papers_words, not paper_text: the benchmark's layout before 0012 (bench/layout_baseline.py) runs this too
INSERT INTO titles_words(rowid, title) SELECT rowid, title FROM papers_words;
INSERT INTO titles_words(titles_words) VALUES ('optimize');

-- ko_trigrams: every trigram papers_ko has indexed (never removed: a trigram no paper holds any
-- more matches nothing). A two-character Korean term matches the trigrams starting with it; they
-- were looked up in papers_ko_vocab, which counts every posting of each (`모델`: 9-27 ms at 100,000
-- papers, on the first search for each term in a process); this is a B-tree range.
CREATE TABLE ko_trigrams (gram TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO ko_trigrams(gram) SELECT term FROM papers_ko_vocab;

-- long_words: every word papers_words holds that is longer than its prefix indexes (7 characters or
-- more; never removed either). A Latin search word is a prefix (`reasoning` finds "reasonings"): for
-- one longer than 6 characters FTS5 merges the postings of every word starting with it before it
-- returns a row, on every search (`reasoning` 0.6 ms, `learning` 0.8 ms of a 1.2 ms statement at
-- 100,000 papers); search now names the few words it stands for instead (`"reasoning" OR
-- "reasonings"`), read newest first and stopped at the LIMIT.
CREATE TABLE long_words (term TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE VIRTUAL TABLE temp.words_vocab_0016 USING fts5vocab(main, papers_words, 'row');
INSERT INTO long_words(term) SELECT term FROM temp.words_vocab_0016 WHERE length(term) > 6;
DROP TABLE temp.words_vocab_0016;
