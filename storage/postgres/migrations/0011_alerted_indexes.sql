-- Alert claims answer two questions only: "was this (subscriber, paper) alerted?" (the primary key) and
-- "which recent claims have no post?" (alerted_at). alerted_post answered none and cost a write per claim.
DROP INDEX IF EXISTS alerted_post;
