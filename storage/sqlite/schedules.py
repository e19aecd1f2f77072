"""Channel schedules."""

from __future__ import annotations

from bot.store import Schedule
from storage.sqlite.db import Database, now_text
from storage.sqlite.rows import SCHEDULE_COLUMNS
from storage.sqlite.rows import schedule as schedule_row


class SchedulesMixin(Database):
    async def set_schedule(self, schedule: Schedule) -> None:
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO schedules(platform, channel, workspace, time, timezone, weekdays, top_n, min_votes,"
                " enabled, set_by, quiet, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(platform, channel) DO UPDATE SET workspace = excluded.workspace, time = excluded.time,"
                " timezone = excluded.timezone, weekdays = excluded.weekdays, top_n = excluded.top_n,"
                " min_votes = excluded.min_votes, enabled = excluded.enabled, set_by = excluded.set_by,"
                " quiet = excluded.quiet, updated_at = excluded.updated_at",
                (
                    schedule.platform,
                    schedule.channel,
                    schedule.workspace,
                    schedule.time.strftime("%H:%M"),
                    schedule.timezone,
                    ",".join(str(d) for d in schedule.weekdays),
                    schedule.top_n,
                    schedule.min_votes,
                    int(schedule.enabled),
                    schedule.set_by,
                    int(schedule.quiet),
                    now_text(schedule.since),
                ),
            )
            # a schedule set again is a fresh start for a channel that was unavailable
            await db.execute(
                "DELETE FROM unavailable_channels WHERE platform = ? AND target = ?",
                (schedule.platform, schedule.channel),
            )

    async def remove_schedule(self, platform: str, channel: str) -> bool:
        async with self.transaction() as db:
            cursor = await db.execute("DELETE FROM schedules WHERE platform = ? AND channel = ?", (platform, channel))
            return cursor.rowcount > 0

    async def schedule(self, platform: str, channel: str) -> Schedule | None:
        rows = await self._db.execute_fetchall(
            f"SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE platform = ? AND channel = ?", (platform, channel)
        )
        return schedule_row(rows[0]) if rows else None  # type: ignore[index]

    async def schedules(self) -> list[Schedule]:
        rows = await self._db.execute_fetchall(f"SELECT {SCHEDULE_COLUMNS} FROM schedules ORDER BY platform, channel")
        return [schedule_row(r) for r in rows]
