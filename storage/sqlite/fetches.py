"""The fetch catch-up's record: last successful fetch per source and day."""

from __future__ import annotations

import datetime as dt

from bot.store import FetchRun
from storage.sqlite.db import Database, now_text, parse_time

OK_STATUSES = ("ingested", "empty")


class FetchesMixin(Database):
    async def record_fetch(self, source: str, day: dt.date, status: str, at: dt.datetime, error: str = "") -> None:
        ok = status in OK_STATUSES
        when = now_text(at)
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO fetch_runs(source, day, ok_at, ok_status, tried_at, error) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(source, day) DO UPDATE SET tried_at = excluded.tried_at, error = excluded.error,"
                " ok_at = coalesce(excluded.ok_at, ok_at), ok_status = CASE WHEN excluded.ok_at IS NULL"
                " THEN ok_status ELSE excluded.ok_status END",
                (source, day.isoformat(), when if ok else None, status if ok else "", when,
                 "" if ok else (error or status)),
            )

    async def fetch_runs(self, since: dt.date) -> list[FetchRun]:
        rows = await self._db.execute_fetchall(
            "SELECT source, day, ok_at, ok_status, tried_at, error FROM fetch_runs WHERE day >= ?"
            " ORDER BY day, source", (since.isoformat(),))
        return [FetchRun(r[0], dt.date.fromisoformat(r[1]), parse_time(r[2]) if r[2] else None, r[3],
                         parse_time(r[4]), r[5]) for r in rows]
