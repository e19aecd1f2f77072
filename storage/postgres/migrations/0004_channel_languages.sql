-- SQLite's 0010 for PostgreSQL: the language of a channel's posts and alerts (`/papers language`).
CREATE TABLE channel_languages (
    platform TEXT NOT NULL,
    channel  TEXT NOT NULL,
    language TEXT NOT NULL,                  -- 'ko' | 'en'
    set_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (platform, channel)
);
