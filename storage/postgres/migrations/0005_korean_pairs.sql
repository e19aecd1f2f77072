-- Two-character Korean terms (추론) can't use a trigram index: every pair of characters of the
-- folded, spacing-free text becomes a lexeme of ko_pairs (GIN), which answers them exactly.
-- Filled by the store (papers stored before are filled when the store opens).
ALTER TABLE papers ADD COLUMN ko_pairs TSVECTOR NOT NULL DEFAULT '';
CREATE INDEX papers_ko_pairs ON papers USING gin (ko_pairs);
