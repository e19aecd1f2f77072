-- The language of a channel's posts and alerts (`/papers language ko|en`); a channel without a row
-- uses PAPERBOT_LANGUAGE.
CREATE TABLE channel_languages (
    platform TEXT NOT NULL,
    channel  TEXT NOT NULL,
    language TEXT NOT NULL,                  -- 'ko' | 'en'
    set_at   TEXT NOT NULL,                  -- UTC ISO 8601
    PRIMARY KEY (platform, channel)
);
