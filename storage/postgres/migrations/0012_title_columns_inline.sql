-- Title hits are found by re-checking rows the title indexes name (phrases, Korean substrings):
-- title_words and title_pairs are small (~0.5 KB together) but, as the last EXTENDED columns of a
-- row over toast_tuple_target, they were moved to the TOAST table, so each re-check read 5-6 extra
-- pages (measured: a title phrase at 30,000 papers, 8,860 buffers -> 1,524, 16 -> 5 ms). Kept in
-- the row like ko and words (0009). Applies to rows written from now on; `VACUUM FULL papers`
-- rewrites older ones.
ALTER TABLE papers ALTER COLUMN title_words SET STORAGE MAIN, ALTER COLUMN title_pairs SET STORAGE MAIN;
