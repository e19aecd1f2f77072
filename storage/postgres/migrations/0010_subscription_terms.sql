-- Alert matching looks subscriptions up by their folded term (one automaton over every distinct term).
CREATE INDEX subscriptions_term ON subscriptions(kind, term_key);
