-- A video the digest shows for a paper (issue 11): an https:// URL, or NULL.
ALTER TABLE papers ADD COLUMN media TEXT;
