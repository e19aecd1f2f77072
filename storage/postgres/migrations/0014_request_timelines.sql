-- The request rate the bot processes share (storage/postgres/rate.py): per timeline (a platform's limit per bot,
-- e.g. 'discord'), the first slot on the database's clock (seconds since the epoch) no process holds yet.
-- Rate state only, read and written on every batch of requests: UNLOGGED (no WAL; emptied after a server
-- crash, which loses nothing but slots whose time has passed), not carried by `paperbot db copy`.
CREATE UNLOGGED TABLE IF NOT EXISTS request_timelines (
    name TEXT PRIMARY KEY,
    next_at DOUBLE PRECISION NOT NULL
);
