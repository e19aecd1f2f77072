"""The fetch catch-up's record on PostgreSQL: last successful fetch per source and day."""

from __future__ import annotations

import datetime as dt

from bot.store import FetchRun
from storage.postgres.db import Database
from storage.sqlite.fetches import OK_STATUSES


class FetchesMixin(Database):
    async def record_fetch(self, source: str, day: dt.date, status: str, at: dt.datetime, error: str = "") -> None:
        ok = status in OK_STATUSES
        await self._pool.execute(
            "INSERT INTO fetch_runs AS f (source, day, ok_at, ok_status, tried_at, error)"
            " VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT(source, day) DO UPDATE SET tried_at = excluded.tried_at, error = excluded.error,"
            " ok_at = coalesce(excluded.ok_at, f.ok_at), ok_status = CASE WHEN excluded.ok_at IS NULL"
            " THEN f.ok_status ELSE excluded.ok_status END",
            source, day, at if ok else None, status if ok else "", at, "" if ok else (error or status),
        )

    async def fetch_runs(self, since: dt.date) -> list[FetchRun]:
        rows = await self._pool.fetch(
            "SELECT source, day, ok_at, ok_status, tried_at, error FROM fetch_runs WHERE day >= $1"
            " ORDER BY day, source",
            since,
        )
        return [FetchRun(*r) for r in rows]
