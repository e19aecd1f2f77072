"""The delivery ledger on PostgreSQL: runs and unavailable channels (parts: see below)."""

from __future__ import annotations

import datetime as dt

from bot.store import RunRecord
from storage.postgres.db import Database


class LedgerMixin(Database):
    async def record_run(self, platform: str, target: str, post_key: str, outcome: str, detail: str = "") -> None:
        await self._pool.execute(
            "INSERT INTO delivery_runs(platform, target, post_key, outcome, detail, at)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            platform, target, post_key, outcome, detail, dt.datetime.now(dt.UTC),
        )

    async def last_runs(self) -> list[RunRecord]:
        rows = await self._pool.fetch(
            "SELECT DISTINCT ON (platform, target) platform, target, post_key, outcome, detail, at"
            " FROM delivery_runs ORDER BY platform, target, id DESC"
        )
        return [RunRecord(*r) for r in rows]

    async def set_unavailable(self, platform: str, target: str, reason: str) -> bool:
        status = await self._pool.execute(
            "INSERT INTO unavailable_channels(platform, target, reason, since) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT DO NOTHING",
            platform, target, reason, dt.datetime.now(dt.UTC),
        )
        return status == "INSERT 0 1"

    async def unavailable(self, platform: str) -> dict[str, str]:
        rows = await self._pool.fetch("SELECT target, reason FROM unavailable_channels WHERE platform = $1", platform)
        return {r[0]: r[1] for r in rows}
