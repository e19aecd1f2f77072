-- A paper re-summarised in a later digest keeps each digest's text: a digest's link to a paper
-- holds the sections that day published (JSON list of [name, text], as papers.sections) when
-- they differ from the paper's current text, NULL when they are the same. Links stored before
-- are NULL: the older texts were overwritten then, and each day showed the current text.
ALTER TABLE digest_papers ADD COLUMN sections TEXT;
