-- Title-only search (the ranked set's title hits, however old) from small columns of their own,
-- so that finding the newest title hits no longer re-checks every match's whole text:
--   title_pairs - every two-character substring of ko_title (as ko_pairs is of ko): Korean terms
--                 in titles, exactly for two characters, as a pre-filter for longer ones;
--   title_words - the title's words from the word index (weight A, positions kept): Latin terms.
-- Both are generated from the columns the store fills, so ingest and db copy need no change.
CREATE FUNCTION paperbot_pairs(text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT array_to_tsvector(ARRAY(
        SELECT DISTINCT substr($1, i, 2) FROM generate_series(1, length($1) - 1) AS i
        WHERE strpos(substr($1, i, 2), U&'\E00F') = 0))
$$;
ALTER TABLE papers
    ADD COLUMN title_pairs TSVECTOR GENERATED ALWAYS AS (paperbot_pairs(ko_title)) STORED,
    ADD COLUMN title_words TSVECTOR GENERATED ALWAYS AS (ts_filter(words, '{a}')) STORED;
CREATE INDEX papers_title_pairs ON papers USING gin (title_pairs);
CREATE INDEX papers_title_words ON papers USING gin (title_words);
