"""Channel schedules on PostgreSQL."""

from __future__ import annotations

import datetime as dt

from bot.store import Schedule
from storage.postgres.db import Database
from storage.postgres.rows import SCHEDULE_COLUMNS
from storage.postgres.rows import schedule as schedule_row


class SchedulesMixin(Database):
    async def set_schedule(self, schedule: Schedule) -> None:
        async with self.transaction() as conn:
            await conn.execute(
                "INSERT INTO schedules(platform, channel, workspace, time, timezone, weekdays, top_n, min_votes,"
                " enabled, set_by, quiet, updated_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
                " ON CONFLICT(platform, channel) DO UPDATE SET workspace = excluded.workspace, time = excluded.time,"
                " timezone = excluded.timezone, weekdays = excluded.weekdays, top_n = excluded.top_n,"
                " min_votes = excluded.min_votes, enabled = excluded.enabled, set_by = excluded.set_by,"
                " quiet = excluded.quiet, updated_at = excluded.updated_at",
                schedule.platform,
                schedule.channel,
                schedule.workspace,
                schedule.time.strftime("%H:%M"),
                schedule.timezone,
                ",".join(str(d) for d in schedule.weekdays),
                schedule.top_n,
                schedule.min_votes,
                schedule.enabled,
                schedule.set_by,
                schedule.quiet,
                (schedule.since or dt.datetime.now(dt.UTC)),
            )
            # a schedule set again is a fresh start for a channel that was unavailable
            await conn.execute(
                "DELETE FROM unavailable_channels WHERE platform = $1 AND target = $2",
                schedule.platform, schedule.channel,
            )

    async def remove_schedule(self, platform: str, channel: str) -> bool:
        status = await self._pool.execute(
            "DELETE FROM schedules WHERE platform = $1 AND channel = $2", platform, channel
        )
        return str(status) != "DELETE 0"

    async def schedule(self, platform: str, channel: str) -> Schedule | None:
        row = await self._pool.fetchrow(
            f"SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE platform = $1 AND channel = $2", platform, channel
        )
        return schedule_row(row) if row else None

    async def schedules(self) -> list[Schedule]:
        rows = await self._pool.fetch(f"SELECT {SCHEDULE_COLUMNS} FROM schedules ORDER BY platform, channel")
        return [schedule_row(r) for r in rows]
