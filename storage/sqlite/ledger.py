"""The delivery ledger: posts with their rendered parts, claims under leases, runs, unavailable channels.

Every state change of a part is one conditional ``UPDATE`` (or ``INSERT``) in one
transaction, so a crash between any two of them leaves a state the next run understands:
``pending`` (never tried), ``claimed`` by a run (outcome unknown once that run's lease is
gone), ``sent`` or ``failed``. A post is finished when none of its parts is pending or claimed.

Each call to aiosqlite is a round trip to its thread, and on a fan-out those round trips were
most of the ledger's cost: the common writes (opening a post, claiming, recording a part sent and
claiming the next in one ``UPDATE`` of both rows) are queued, and those queued while the
connection is busy are committed together in one hop to SQLite's thread
(:mod:`storage.sqlite.ledger_batch`), the calls of each common kind in a few statements for the lot
(:mod:`storage.sqlite.ledger_kinds`); ledger transactions skip the search index's hook (the
ledger never changes papers). A payload is stored once per distinct JSON, encoded once while it
lives (:mod:`storage.payload_codec`, shared with PostgreSQL); one made of list elements (Slack blocks,
Discord embeds) as its skeleton and each distinct element once (migration 0017): an alert run's cards,
shared by many subscribers' alerts, are written once each instead of once per distinct alert.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import aiosqlite

from bot.payload import Payload
from bot.store import AlertClaim, Claim, ClaimState, LedgerPost, RunRecord, StoredPart
from storage import payload_codec
from storage.opened_post import opened
from storage.sqlite.db import Database, now_text, parse_time
from storage.sqlite.ledger_batch import Writes, statement
from storage.sqlite.ledger_kinds import CLOSES, OPENS, SENT_AND_CLAIMS, OpenPost
from storage.sqlite.ledger_payloads import Known, payload_texts

_KEY = "platform = ? AND target = ? AND post_key = ?"
_POST_COLUMNS = "platform, target, post_key, created_at, report_to, finished_at, attempts, retry_at, last_error"


class LedgerMixin(Database):
    def _ledger_transaction(self) -> contextlib.AbstractAsyncContextManager[aiosqlite.Connection]:
        """A write transaction without the Korean search index's hook: ledger writes never touch papers."""
        return Database.transaction(self)

    @property
    def _writes(self) -> Writes:
        writes = self.__dict__.get("_ledger_writes")
        if writes is None:
            writes = self.__dict__["_ledger_writes"] = Writes(self)
        return writes

    async def _write_one(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> int:
        """One statement, committed with the ledger writes queued beside it; the rows it changed."""
        return int(await self._writes.run(statement(sql, params)))

    async def open_post(self, platform: str, target: str, post_key: str, payloads: Sequence[Payload],
                        *, report_to: str = "", now: dt.datetime | None = None) -> LedgerPost:
        return (await self._open(platform, target, post_key, payloads, report_to, now, None, ""))[0]

    async def open_post_claimed(self, platform: str, target: str, post_key: str, payloads: Sequence[Payload],
                                nonce: str, *, owner: str, report_to: str = "",
                                now: dt.datetime | None = None) -> tuple[LedgerPost, Claim | None]:
        return await self._open(platform, target, post_key, payloads, report_to, now, nonce, owner)

    async def _open(self, platform: str, target: str, post_key: str, payloads: Sequence[Payload], report_to: str,
                    now: dt.datetime | None, nonce: str | None, owner: str) -> tuple[LedgerPost, Claim | None]:
        """The post recorded with its parts the first time (part 0 claimed by ``owner`` with ``nonce`` when
        given, in the same write), and that claim; afterwards the post as recorded, and ``None``."""
        key = (platform, target, post_key)
        stamp = now_text(now)
        encoded = [payload_codec.encoded(p) for p in payloads]
        known = self._known_payloads
        plan = known.plan(encoded)
        claimed = nonce is not None and bool(payloads)
        post_row = (*key, len(payloads), report_to, stamp, None if payloads else stamp)
        part_rows = [(*key, i, "claimed", e.key, owner, nonce, stamp) if i == 0 and claimed
                     else (*key, i, "pending", e.key, None, None, None) for i, e in enumerate(encoded)]

        stored = await self._writes.write(OPENS, OpenPost(post_row, part_rows, encoded, plan))
        if stored is None:
            post = await self.post(platform, target, post_key)
            assert post is not None
            return post, None
        known.add(stored)
        return opened(platform, target, post_key, payloads, parse_time(stamp), report_to, nonce)  # as recorded

    @property
    def _known_payloads(self) -> Known:
        known = self.__dict__.get("_ledger_known")
        if known is None:
            known = self.__dict__["_ledger_known"] = Known()
        return known

    async def payload_texts(self, rows: Sequence[tuple[str | None, bytes | None]]) -> list[str | bytes]:
        """The whole JSON of each payload as the view ``parts_full`` gives it: ``(payload, skeleton)``."""
        return await payload_texts(self._db, rows)

    async def post(self, platform: str, target: str, post_key: str) -> LedgerPost | None:
        rows = await self._db.execute_fetchall(f"SELECT {_POST_COLUMNS} FROM posts WHERE {_KEY}",
                                               (platform, target, post_key))
        if not rows:
            return None
        return (await self._with_parts(list(rows)))[0]

    async def _with_parts(self, rows: list[Any]) -> list[LedgerPost]:
        posts = []
        for row in rows:
            parts = list(await self._db.execute_fetchall(
                "SELECT part, payload, skeleton, state, message_id, thread_id, error FROM parts_full"
                f" WHERE {_KEY} ORDER BY part",
                (row[0], row[1], row[2]),
            ))
            texts = await self.payload_texts([(r[1], r[2]) for r in parts])
            posts.append(LedgerPost(
                platform=row[0], target=row[1], post_key=row[2],
                parts=tuple(StoredPart(r[0], payload_codec.loaded(text), r[3], r[4], r[5], r[6])
                            for r, text in zip(parts, texts, strict=True)),
                created_at=parse_time(row[3]), report_to=row[4], finished=row[5] is not None, attempts=row[6],
                retry_at=parse_time(row[7]) if row[7] else None, last_error=row[8],
            ))
        return posts

    async def claim_part(self, platform: str, target: str, post_key: str, part: int, nonce: str,
                         *, owner: str, now: dt.datetime | None = None) -> Claim:
        stamp = now_text(now)
        key = (platform, target, post_key, part)
        claim_pending = ("UPDATE parts SET state = 'claimed', owner = ?, nonce = ?, claimed_at = ?"
                         f" WHERE {_KEY} AND part = ? AND state = 'pending'")
        if await self._write_one(claim_pending, (owner, nonce, stamp, *key)) == 1:  # the common case
            return Claim(ClaimState.NEW, nonce)
        async with self._ledger_transaction() as db:
            cursor = await db.execute(claim_pending, (owner, nonce, stamp, *key))
            if cursor.rowcount == 1:  # released in between
                return Claim(ClaimState.NEW, nonce)
            rows = await db.execute_fetchall(
                "SELECT p.state, p.nonce, p.message_id, p.thread_id, p.owner, l.expires_at FROM parts p"
                f" LEFT JOIN leases l ON l.owner = p.owner WHERE p.{_KEY.replace(' AND ', ' AND p.')} AND p.part = ?",
                key,
            )
            if not rows:
                raise LookupError(f"no part {part} of {post_key} for {platform}:{target}: open the post first")
            state, old_nonce, message_id, thread_id, old_owner, expires = next(iter(rows))
            if state == "sent":
                return Claim(ClaimState.SENT, old_nonce or nonce, message_id, thread_id)
            if state == "failed":
                return Claim(ClaimState.FAILED, old_nonce or nonce)
            alive = old_owner != owner and expires is not None and expires > stamp
            if alive:
                return Claim(ClaimState.BUSY, old_nonce, lease_expires=parse_time(expires), owner=old_owner)
            # ours from an earlier attempt, or its owner is dead: take it over, keeping the nonce
            await db.execute(
                f"UPDATE parts SET owner = ?, claimed_at = ? WHERE {_KEY} AND part = ?", (owner, stamp, *key)
            )
            return Claim(ClaimState.UNKNOWN, old_nonce or nonce)

    async def mark_sent(self, platform: str, target: str, post_key: str, part: int,
                        message_id: str, thread_id: str | None) -> None:
        await self._writes.write(CLOSES, (platform, target, post_key, part, "sent", message_id, thread_id, None,
                                          now_text()))

    async def mark_sent_and_claim(self, platform: str, target: str, post_key: str, part: int, message_id: str,
                                  thread_id: str | None, next_part: int, nonce: str, *, owner: str,
                                  now: dt.datetime | None = None) -> Claim:
        if await self._writes.write(SENT_AND_CLAIMS, (platform, target, post_key, part, next_part, message_id,
                                                      thread_id, now_text(), owner, nonce, now_text(now))):
            return Claim(ClaimState.NEW, nonce)  # the next part was pending: both rows changed in one statement
        await self.mark_sent(platform, target, post_key, part, message_id, thread_id)  # (finishes the post)
        return await self.claim_part(platform, target, post_key, next_part, nonce, owner=owner, now=now)

    async def mark_failed(self, platform: str, target: str, post_key: str, part: int, error: str) -> None:
        await self._writes.write(CLOSES, (platform, target, post_key, part, "failed", None, None, error, now_text()))

    async def release_part(self, platform: str, target: str, post_key: str, part: int) -> None:
        await self._write_one(
            f"UPDATE parts SET state = 'pending', owner = NULL WHERE {_KEY} AND part = ? AND state = 'claimed'",
            (platform, target, post_key, part),
        )

    async def note_attempt(self, platform: str, target: str, post_key: str, error: str,
                           retry_at: dt.datetime) -> int:
        async with self._ledger_transaction() as db:
            await db.execute(
                f"UPDATE posts SET attempts = attempts + 1, last_error = ?, retry_at = ? WHERE {_KEY}",
                (error, now_text(retry_at), platform, target, post_key),
            )
            rows = await db.execute_fetchall(f"SELECT attempts FROM posts WHERE {_KEY}", (platform, target, post_key))
        return int(rows[0][0]) if rows else 0  # type: ignore[index]

    async def renew_lease(self, owner: str, expires_at: dt.datetime, *, info: str = "") -> None:
        async with self._ledger_transaction() as db:
            await db.execute(
                "INSERT INTO leases(owner, expires_at, started_at, info) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(owner) DO UPDATE SET expires_at = excluded.expires_at",
                (owner, now_text(expires_at), now_text(), info),
            )
            # leases long dead tell nothing more (their claims are judged by the missing row alike)
            await db.execute("DELETE FROM leases WHERE expires_at < ?", (now_text(expires_at - dt.timedelta(days=1)),))

    async def release_lease(self, owner: str) -> None:
        await self._write_one("DELETE FROM leases WHERE owner = ?", (owner,))

    async def unfinished_posts(self, platform: str | None = None, target: str | None = None) -> list[LedgerPost]:
        rows = await self._db.execute_fetchall(
            f"SELECT {_POST_COLUMNS} FROM posts p WHERE finished_at IS NULL"
            " AND (?1 IS NULL OR platform = ?1) AND (?2 IS NULL OR target = ?2)"
            " AND NOT EXISTS (SELECT 1 FROM unavailable_channels u WHERE u.platform = p.platform"
            " AND u.target = p.target) ORDER BY created_at, platform, target",
            (platform, target),
        )
        return await self._with_parts(list(rows))

    async def sent_posts(self, platform: str, target: str) -> set[str]:
        rows = await self._db.execute_fetchall(
            "SELECT post_key FROM posts WHERE platform = ? AND target = ? AND finished_at IS NOT NULL",
            (platform, target),
        )
        return {r[0] for r in rows}

    async def started_posts(self, platform: str, target: str) -> set[str]:
        rows = await self._db.execute_fetchall(
            "SELECT post_key FROM posts WHERE platform = ? AND target = ?", (platform, target)
        )
        return {r[0] for r in rows}

    async def posted_since(self, platform: str, target: str, prefix: str, since: dt.datetime) -> bool:
        rows = await self._db.execute_fetchall(
            "SELECT 1 FROM posts WHERE platform = ? AND target = ? AND post_key >= ? AND post_key < ?"
            " AND created_at >= ? LIMIT 1",
            (platform, target, prefix, prefix + "\uffff", now_text(since)),
        )
        return bool(rows)

    async def orphan_alerts(self, platforms: set[str], *, since: dt.datetime) -> list[AlertClaim]:
        if not platforms:
            return []
        # a run claims every subscriber under one post key: a claim is an orphan when its own target has no post
        # under it (the target as bot.alert_send.target_of makes it), found by the posts' primary key
        rows = await self._db.execute_fetchall(
            "SELECT c.platform, c.subscriber, c.post_key, c.papers FROM alert_claims c"
            " WHERE c.at >= ? AND c.post_key LIKE 'alert:%' AND c.platform IN (SELECT value FROM json_each(?))"
            " AND NOT EXISTS (SELECT 1 FROM posts p WHERE p.platform = c.platform AND p.target ="
            " CASE WHEN substr(c.subscriber, 1, 8) = 'channel:' THEN substr(c.subscriber, 9) ELSE c.subscriber END"
            " AND p.post_key = c.post_key)"
            " ORDER BY c.id",
            (now_text(since), json.dumps(sorted(platforms))),
        )
        grouped: dict[tuple[str, str, str], list[tuple[str, tuple[str, ...]]]] = {}
        for platform, subscriber, post_key, papers in rows:
            grouped.setdefault((platform, subscriber, post_key), []).extend(
                (arxiv_id, tuple(terms)) for arxiv_id, terms in json.loads(papers).items())
        return [AlertClaim(p, s, k, tuple(papers)) for (p, s, k), papers in grouped.items()]

    async def record_run(self, platform: str, target: str, post_key: str, outcome: str, detail: str = "") -> None:
        await self._write_one(
            "INSERT INTO delivery_runs(platform, target, post_key, outcome, detail, at) VALUES (?, ?, ?, ?, ?, ?)",
            (platform, target, post_key, outcome, detail, now_text()),
        )

    async def last_runs(self) -> list[RunRecord]:
        rows = await self._db.execute_fetchall(
            "SELECT platform, target, post_key, outcome, detail, at FROM delivery_runs r"
            " WHERE id = (SELECT max(id) FROM delivery_runs x WHERE x.platform = r.platform AND x.target = r.target)"
            " ORDER BY platform, target"
        )
        return [RunRecord(r[0], r[1], r[2], r[3], r[4], parse_time(r[5])) for r in rows]

    async def set_unavailable(self, platform: str, target: str, reason: str) -> bool:
        return await self._write_one(
            "INSERT OR IGNORE INTO unavailable_channels(platform, target, reason, since) VALUES (?, ?, ?, ?)",
            (platform, target, reason, now_text()),
        ) == 1

    async def unavailable(self, platform: str) -> dict[str, str]:
        rows = await self._db.execute_fetchall(
            "SELECT target, reason FROM unavailable_channels WHERE platform = ?", (platform,)
        )
        return {r[0]: r[1] for r in rows}
