-- posts_created (platform, target, created_at) answered no query: "posted since" is found through the posts'
-- primary key (platform, target, post_key range; see storage/sqlite/ledger.py), and nothing else reads posts by
-- creation time but posts_unfinished. It cost a B-tree write for every post opened (issue 15: an alert run opens
-- one per subscriber). Keying posts and parts by their primary key (WITHOUT ROWID) was measured too and left out:
-- no cheaper to write.
DROP INDEX IF EXISTS posts_created;
