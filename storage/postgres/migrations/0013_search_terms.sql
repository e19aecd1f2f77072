-- One search index that reads only the papers a search needs. Before, a common term's GIN posting list
-- was decoded for the whole table by every search (10-50 ms at 100,000 papers), prefix and weighted
-- queries slowest. `paperbot_terms` (the index `papers_terms`) holds, as plain lexemes (no weights or positions,
-- so the index answers alone):
--   word          - the words of the title and summaries (from `words`, weights A and C)
--   U+E011 word   - the words of author names (weight B)
--   U+E012 word   - the words of the title (weight A)
--   U+E015 prefix - the first 2 to 16 characters of each word of the title and summaries: a word prefix
--                   (`agent`, typed for agents, agentic, AgentBench...) is one lexeme
--   U+E016 prefix - the same of the title's words
--   U+E013 pair   - every two characters of the Korean search text (`ko_pairs`: title and summaries)
--   U+E014 pair   - every two characters of the title's (`ko_title`)
--   U+E010 bucket - the paper's id >> 9: a search reads the newest papers first by naming their buckets,
--                   and GIN then skips through the other lexemes' posting lists to those papers only.
-- Longer prefixes (and one character) are expanded to the words themselves through `search_words` (the
-- vocabulary of titles and summaries, filled by the store at ingest): an index prefix scan reads every posting.
-- Made from the columns the store fills, so ingest and db copy need no change for it. It calls built-in
-- functions only (the title's pairs as paperbot_pairs makes them, written out): PostgreSQL computes an index
-- expression under its own search_path too (REINDEX, ANALYZE and, from version 17, every maintenance
-- operation run as pg_catalog, pg_temp; pg_restore with an empty one), where no paperbot function is found.
CREATE FUNCTION paperbot_terms(bigint, tsvector, tsvector, text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT array_to_tsvector(ARRAY(
        SELECT lexeme FROM unnest(ts_filter($2, '{a,c}'))
        UNION ALL SELECT U&'\E011' || lexeme FROM unnest(ts_filter($2, '{b}'))
        UNION ALL SELECT U&'\E012' || lexeme FROM unnest(ts_filter($2, '{a}'))
        UNION ALL SELECT U&'\E015' || left(lexeme, n) FROM unnest(ts_filter($2, '{a,c}')), generate_series(2, 16) n
            WHERE length(lexeme) >= n
        UNION ALL SELECT U&'\E016' || left(lexeme, n) FROM unnest(ts_filter($2, '{a}')), generate_series(2, 16) n
            WHERE length(lexeme) >= n
        UNION ALL SELECT U&'\E013' || lexeme FROM unnest($3)
        UNION ALL SELECT U&'\E014' || substr($4, i, 2) FROM generate_series(1, length($4) - 1) i
            WHERE strpos(substr($4, i, 2), U&'\E00F') = 0
        UNION ALL SELECT U&'\E010' || ($1 >> 9)::text))
$$;
-- an index of the expression, not a column: a search never reads it (the index answers alone), and the
-- lexemes (~1,000 a paper, 12 KB) would double the table
CREATE INDEX papers_terms ON papers USING gin (paperbot_terms(id, words, ko_pairs, ko_title));
-- what a search re-checks (a Korean substring in ko, a Latin phrase in words) unpacks 2x faster with lz4
-- (rows written from now on; a server built without lz4 keeps pglz)
DO $$ BEGIN
    EXECUTE 'ALTER TABLE papers ALTER COLUMN ko SET COMPRESSION lz4, ALTER COLUMN words SET COMPRESSION lz4';
EXCEPTION WHEN OTHERS THEN NULL;
END $$;
-- what papers_terms replaces
DROP INDEX papers_words, papers_ko_pairs, papers_title_pairs, papers_title_words;

CREATE TABLE search_words (word TEXT COLLATE "C" PRIMARY KEY);
INSERT INTO search_words SELECT DISTINCT lexeme FROM papers, unnest(ts_filter(words, '{a,c}'));

-- The ids of the newest `need` papers whose terms (paperbot_terms) match `q`, whose Korean text (the
-- title's, with `in_title`) holds every one of `subs`, and whose words (the title's) match `phrase`, newest
-- first; with `counting`, only how many there are, up to `need` (one row: no row is read when the index
-- alone decides). Read in windows of buckets, newest first: the first of about `first_window * need` ids,
-- each next sized by the share of matches seen so far (at most `max_buckets`), the last the rest of the
-- table, once it likely holds no more than twice the matches still wanted. One statement for a search,
-- whatever the windows.
CREATE FUNCTION paperbot_newest(q tsquery, subs text[], phrase tsquery, in_title boolean, need integer,
                                first_window float8, max_buckets integer, counting boolean DEFAULT false)
RETURNS SETOF bigint
LANGUAGE plpgsql STABLE
-- plans made for each window's values; the settings below are restored on return
SET enable_seqscan = off SET enable_indexscan = on SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    top bigint := (SELECT max(id) FROM papers);
    high bigint := top >> 9;
    low bigint;
    width float8 := first_window * need;
    got integer := 0;
    n integer;
    share float8;
    rest boolean;
    wq tsquery;
BEGIN
    -- a window is read through the index's bitmap, never by a walk of the table re-checking every row
    PERFORM set_config('enable_indexscan', 'off', true);
    WHILE got < need AND high >= 0 LOOP
        low := high - least(max_buckets, ceil(width / 512))::bigint + 1;
        rest := low <= 0 OR width <= 0;
        IF rest THEN
            low := 0;
            wq := q;
        ELSE
            wq := q && (SELECT string_agg(quote_literal(U&'\E010' || b), ' | ')
                        FROM generate_series(high, low, -1) b)::tsquery;
        END IF;
        IF counting THEN
            SELECT count(*) INTO n FROM (SELECT FROM papers p
                WHERE paperbot_terms(p.id, p.words, p.ko_pairs, p.ko_title) @@ wq
                AND (NOT rest OR p.id < (high + 1) << 9)
                AND (subs IS NULL OR NOT EXISTS (SELECT FROM unnest(subs) s
                                                 WHERE strpos(CASE WHEN in_title THEN p.ko_title ELSE p.ko END, s) = 0))
                AND (phrase IS NULL OR ts_match_vq(CASE WHEN in_title THEN p.title_words ELSE p.words END, phrase))
                LIMIT need - got) x;
        ELSE
            RETURN QUERY SELECT p.id FROM papers p
                WHERE paperbot_terms(p.id, p.words, p.ko_pairs, p.ko_title) @@ wq
                AND (NOT rest OR p.id < (high + 1) << 9)
                AND (subs IS NULL OR NOT EXISTS (SELECT FROM unnest(subs) s
                                                 WHERE strpos(CASE WHEN in_title THEN p.ko_title ELSE p.ko END, s) = 0))
                AND (phrase IS NULL OR ts_match_vq(CASE WHEN in_title THEN p.title_words ELSE p.words END, phrase))
                ORDER BY p.id DESC LIMIT need - got;
            GET DIAGNOSTICS n = ROW_COUNT;
        END IF;
        got := got + n;
        share := got::float8 / (top + 1 - (low << 9));
        width := CASE WHEN share * (low << 9) > 2 * (need - got) THEN 1.2 * (need - got) / share ELSE 0 END;
        high := low - 1;
    END LOOP;
    IF counting THEN
        RETURN NEXT got;
    END IF;
END $$;
