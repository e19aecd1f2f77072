"""The delivery ledger: parts claimed, sent, failed; runs; unavailable channels."""

from __future__ import annotations

import datetime as dt

from bot.store import Claim, RunRecord
from storage.sqlite.db import Database, now_text


class LedgerMixin(Database):
    async def claim_part(self, platform: str, target: str, post_key: str, part: int, nonce: str,
                         *, stale_after: float = 120.0, now: dt.datetime | None = None) -> Claim:
        db = self._db
        now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        async with self._write:
            cursor = await db.execute(
                "INSERT OR IGNORE INTO deliveries(platform, target, post_key, part, state, nonce, claimed_at)"
                " VALUES (?, ?, ?, ?, 'claimed', ?, ?)",
                (platform, target, post_key, part, nonce, now.isoformat()),
            )
            if cursor.rowcount == 1:
                return Claim("new", nonce)
            rows = await db.execute_fetchall(
                "SELECT state, nonce, message_id, thread_id, claimed_at FROM deliveries"
                " WHERE platform = ? AND target = ? AND post_key = ? AND part = ?",
                (platform, target, post_key, part),
            )
            state, old_nonce, message_id, thread_id, claimed_at = rows[0]  # type: ignore[index,misc]
            if state != "claimed":
                return Claim(state, old_nonce, message_id, thread_id)
            if (now - dt.datetime.fromisoformat(claimed_at)).total_seconds() < stale_after:
                return Claim("busy", old_nonce)
            cursor = await db.execute(  # take the stale claim over, atomically
                "UPDATE deliveries SET claimed_at = ? WHERE platform = ? AND target = ? AND post_key = ?"
                " AND part = ? AND state = 'claimed' AND claimed_at = ?",
                (now.isoformat(), platform, target, post_key, part, claimed_at),
            )
            return Claim("unknown" if cursor.rowcount == 1 else "busy", old_nonce)

    async def mark_sent(self, platform: str, target: str, post_key: str, part: int,
                        message_id: str, thread_id: str | None) -> None:
        async with self._write:
            await self._db.execute(
                "UPDATE deliveries SET state = 'sent', message_id = ?, thread_id = ?, sent_at = ?, error = NULL"
                " WHERE platform = ? AND target = ? AND post_key = ? AND part = ?",
                (message_id, thread_id, now_text(), platform, target, post_key, part),
            )

    async def mark_failed(self, platform: str, target: str, post_key: str, part: int, error: str) -> None:
        async with self._write:
            await self._db.execute(
                "UPDATE deliveries SET state = 'failed', error = ? WHERE platform = ? AND target = ?"
                " AND post_key = ? AND part = ?",
                (error, platform, target, post_key, part),
            )

    async def sent_posts(self, platform: str, target: str) -> set[str]:
        rows = await self._db.execute_fetchall(
            "SELECT post_key FROM deliveries WHERE platform = ? AND target = ? GROUP BY post_key"
            " HAVING sum(state = 'claimed') = 0",
            (platform, target),
        )
        return {r[0] for r in rows}

    async def started_posts(self, platform: str, target: str) -> set[str]:
        rows = await self._db.execute_fetchall(
            "SELECT DISTINCT post_key FROM deliveries WHERE platform = ? AND target = ?", (platform, target)
        )
        return {r[0] for r in rows}

    async def posted_since(self, platform: str, target: str, prefix: str, since: dt.datetime) -> bool:
        """Whether a post whose key starts with ``prefix`` was claimed for ``target`` at or after ``since``."""
        rows = await self._db.execute_fetchall(
            "SELECT 1 FROM deliveries WHERE platform = ? AND target = ? AND post_key >= ? AND post_key < ?"
            " AND part = 0 AND claimed_at >= ? LIMIT 1",
            (platform, target, prefix, prefix + "\uffff", since.astimezone(dt.UTC).isoformat()),
        )
        return bool(rows)

    async def record_run(self, platform: str, target: str, post_key: str, outcome: str, detail: str = "") -> None:
        async with self._write:
            await self._db.execute(
                "INSERT INTO delivery_runs(platform, target, post_key, outcome, detail, at) VALUES (?, ?, ?, ?, ?, ?)",
                (platform, target, post_key, outcome, detail, now_text()),
            )

    async def last_runs(self) -> list[RunRecord]:
        rows = await self._db.execute_fetchall(
            "SELECT platform, target, post_key, outcome, detail, at FROM delivery_runs r"
            " WHERE id = (SELECT max(id) FROM delivery_runs x WHERE x.platform = r.platform AND x.target = r.target)"
            " ORDER BY platform, target"
        )
        return [RunRecord(r[0], r[1], r[2], r[3], r[4], dt.datetime.fromisoformat(r[5])) for r in rows]

    async def set_unavailable(self, platform: str, target: str, reason: str) -> bool:
        async with self._write:
            cursor = await self._db.execute(
                "INSERT OR IGNORE INTO unavailable_channels(platform, target, reason, since) VALUES (?, ?, ?, ?)",
                (platform, target, reason, now_text()),
            )
            return cursor.rowcount == 1

    async def unavailable(self, platform: str) -> dict[str, str]:
        rows = await self._db.execute_fetchall(
            "SELECT target, reason FROM unavailable_channels WHERE platform = ?", (platform,)
        )
        return {r[0]: r[1] for r in rows}
