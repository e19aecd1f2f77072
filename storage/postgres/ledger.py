"""The delivery ledger on PostgreSQL: posts with their rendered parts, claims under leases, runs,
unavailable channels — safe with several bot processes on one database.

A post is recorded once (``INSERT … ON CONFLICT DO NOTHING``: the first process to open it
fixes its parts). A part is claimed by a conditional ``UPDATE`` of a ``pending`` row; a part
claimed by a run whose lease has expired is taken over under ``SELECT … FOR UPDATE SKIP
LOCKED``, so when two survivors reach a dead run's part at once, one takes it over and the
other is told ``busy``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import asyncpg

from bot.payload import Payload
from bot.store import AlertClaim, Claim, ClaimState, LedgerPost, RunRecord, StoredPart
from storage.postgres.db import Database
from storage.sqlite.ledger import _payload, _payload_json

_KEY = "platform = $1 AND target = $2 AND post_key = $3"
_POST_COLUMNS = "platform, target, post_key, created_at, report_to, finished_at, attempts, retry_at, last_error"
#: records each item's part ``done`` sent and claims its part ``next`` — only when ``next`` is pending (else
#: nothing changes and the caller takes the two steps one by one: the post may be finished, or ``next`` not
#: ours). The state test is on the row too: a process that claimed ``next`` since this statement's snapshot
#: keeps it (PostgreSQL re-checks a row's WHERE after waiting for its lock), and only the sent part changes.
_SENT_AND_CLAIMED = (
    "UPDATE parts p SET state = CASE WHEN p.part = v.done THEN 'sent' ELSE 'claimed' END,"
    " message_id = CASE WHEN p.part = v.done THEN v.message_id ELSE p.message_id END,"
    " thread_id = CASE WHEN p.part = v.done THEN v.thread_id ELSE p.thread_id END,"
    " sent_at = CASE WHEN p.part = v.done THEN v.sent_at ELSE p.sent_at END,"
    " error = CASE WHEN p.part = v.done THEN NULL ELSE p.error END,"
    " owner = CASE WHEN p.part = v.done THEN p.owner ELSE v.owner END,"
    " nonce = CASE WHEN p.part = v.done THEN p.nonce ELSE v.nonce END,"
    " claimed_at = CASE WHEN p.part = v.done THEN p.claimed_at ELSE v.claimed_at END"
    " FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::text[],"
    " $8::timestamptz[], $9::text[], $10::text[], $11::timestamptz[])"
    " AS v(platform, target, post_key, done, next, message_id, thread_id, sent_at, owner, nonce, claimed_at)"
    " WHERE p.platform = v.platform AND p.target = v.target AND p.post_key = v.post_key"
    " AND (p.part = v.done OR (p.part = v.next AND p.state = 'pending'))"
    " AND EXISTS (SELECT 1 FROM parts q WHERE q.platform = v.platform AND q.target = v.target"
    " AND q.post_key = v.post_key AND q.part = v.next AND q.state = 'pending')"
    " RETURNING v.nonce, p.part = v.next"
)


def _fail(batch: list[tuple[tuple[Any, ...], asyncio.Future[bool]]], exc: Exception) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)


class SentAndClaimedBatch:
    """``mark_sent_and_claim`` calls made while one batch of them is on its way, written together in one
    statement; each call returns once its write is committed (a crash loses no more than one by one)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.waiting: list[tuple[tuple[Any, ...], asyncio.Future[bool]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def write(self, item: tuple[Any, ...]) -> bool:
        """Whether the next part was claimed (else nothing changed, or only the sent part: see above)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.waiting.append((item, future))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.ensure_future(self._drain())
        return await future

    async def _drain(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting, []
            try:
                rows = await self.pool.fetch(_SENT_AND_CLAIMED, *(list(column) for column in zip(
                    *(item for item, _ in batch), strict=True)))
            except Exception as exc:  # this batch's calls fail; the next batch is tried
                _fail(batch, exc)
                continue
            except BaseException:  # cancelled (shutting down): nobody may wait for ever
                _fail(batch + self.waiting, ConnectionError("the ledger write was cancelled"))
                self.waiting = []
                raise
            claimed = {nonce for nonce, is_next in rows if is_next}
            for item, future in batch:
                if not future.done():
                    future.set_result(item[9] in claimed)


def _now(when: dt.datetime | None = None) -> dt.datetime:
    return (when or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)


class LedgerMixin(Database):
    async def open_post(self, platform: str, target: str, post_key: str, payloads: Sequence[Payload],
                        *, report_to: str = "", now: dt.datetime | None = None) -> LedgerPost:
        key = (platform, target, post_key)
        created_at = _now(now)
        async with self.transaction() as conn:
            created = await conn.fetchval(
                "INSERT INTO posts(platform, target, post_key, parts, report_to, created_at, finished_at)"
                " VALUES ($1, $2, $3, $4, $5, $6::timestamptz, CASE WHEN $4::int = 0 THEN $6::timestamptz END)"
                " ON CONFLICT DO NOTHING RETURNING 1",
                *key, len(payloads), report_to, created_at,
            )
            if created and payloads:
                await conn.executemany(
                    "INSERT INTO parts(platform, target, post_key, part, state, payload)"
                    " VALUES ($1, $2, $3, $4, 'pending', $5)",
                    [(*key, i, _payload_json(p)) for i, p in enumerate(payloads)],
                )
        if created:  # as recorded: no need to read it back
            return LedgerPost(platform=platform, target=target, post_key=post_key,
                              parts=tuple(StoredPart(i, p, "pending", None, None, None)
                                          for i, p in enumerate(payloads)),
                              created_at=created_at, report_to=report_to, finished=not payloads,
                              attempts=0, retry_at=None, last_error=None)
        post = await self.post(platform, target, post_key)
        assert post is not None
        return post

    async def post(self, platform: str, target: str, post_key: str) -> LedgerPost | None:
        rows = await self._pool.fetch(f"SELECT {_POST_COLUMNS} FROM posts WHERE {_KEY}", platform, target, post_key)
        return (await self._with_parts(rows))[0] if rows else None

    async def _with_parts(self, rows: Sequence[asyncpg.Record]) -> list[LedgerPost]:
        if not rows:
            return []
        parts = await self._pool.fetch(
            "SELECT p.platform, p.target, p.post_key, p.part, p.payload, p.state, p.message_id, p.thread_id, p.error"
            " FROM parts p JOIN unnest($1::text[], $2::text[], $3::text[]) k(platform, target, post_key)"
            " USING (platform, target, post_key) ORDER BY p.part",
            [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows],
        )
        by_post: dict[tuple[str, str, str], list[StoredPart]] = {}
        for r in parts:
            by_post.setdefault((r[0], r[1], r[2]), []).append(StoredPart(r[3], _payload(r[4]), r[5], r[6], r[7], r[8]))
        return [
            LedgerPost(platform=row[0], target=row[1], post_key=row[2],
                       parts=tuple(by_post.get((row[0], row[1], row[2]), ())),
                       created_at=row[3], report_to=row[4], finished=row[5] is not None, attempts=row[6],
                       retry_at=row[7], last_error=row[8])
            for row in rows
        ]

    async def claim_part(self, platform: str, target: str, post_key: str, part: int, nonce: str,
                         *, owner: str, now: dt.datetime | None = None) -> Claim:
        stamp = _now(now)
        key = (platform, target, post_key, part)
        claim_pending = ("UPDATE parts SET state = 'claimed', owner = $5, nonce = $6, claimed_at = $7"
                         f" WHERE {_KEY} AND part = $4 AND state = 'pending' RETURNING 1")
        if await self._pool.fetchval(claim_pending, *key, owner, nonce, stamp):  # the common case: one statement
            return Claim(ClaimState.NEW, nonce)
        async with self.transaction() as conn:
            if await conn.fetchval(claim_pending, *key, owner, nonce, stamp):  # released in between
                return Claim(ClaimState.NEW, nonce)
            row = await conn.fetchrow(
                "SELECT p.state, p.nonce, p.message_id, p.thread_id, p.owner, l.expires_at FROM parts p"
                " LEFT JOIN leases l ON l.owner = p.owner"
                " WHERE p.platform = $1 AND p.target = $2 AND p.post_key = $3 AND p.part = $4"
                " FOR UPDATE OF p SKIP LOCKED",
                *key,
            )
            if row is None:
                exists = await conn.fetchrow(
                    f"SELECT nonce FROM parts WHERE {_KEY} AND part = $4", *key
                )
                if exists is None:
                    raise LookupError(f"no part {part} of {post_key} for {platform}:{target}: open the post first")
                return Claim(ClaimState.BUSY, exists[0] or nonce)  # another process is taking it over right now
            state, old_nonce, message_id, thread_id, old_owner, expires = row
            if state == "sent":
                return Claim(ClaimState.SENT, old_nonce or nonce, message_id, thread_id)
            if state == "failed":
                return Claim(ClaimState.FAILED, old_nonce or nonce)
            if state == "pending":  # released between our UPDATE and this SELECT
                await conn.execute(
                    f"UPDATE parts SET state = 'claimed', owner = $5, nonce = $6, claimed_at = $7 WHERE {_KEY}"
                    " AND part = $4", *key, owner, nonce, stamp,
                )
                return Claim(ClaimState.NEW, nonce)
            if old_owner != owner and expires is not None and expires > stamp:
                return Claim(ClaimState.BUSY, old_nonce, lease_expires=expires, owner=old_owner)
            # ours from an earlier attempt, or its owner is dead: take it over, keeping the nonce
            await conn.execute(
                f"UPDATE parts SET owner = $5, claimed_at = $6 WHERE {_KEY} AND part = $4", *key, owner, stamp
            )
            return Claim(ClaimState.UNKNOWN, old_nonce or nonce)

    async def _close_part(self, platform: str, target: str, post_key: str, part: int, assignments: str,
                          values: tuple[Any, ...]) -> None:
        async with self.transaction() as conn:
            await conn.execute(f"UPDATE parts SET {assignments} WHERE {_KEY} AND part = $4",
                               platform, target, post_key, part, *values)
            await conn.execute(
                f"UPDATE posts SET finished_at = $4, retry_at = NULL WHERE {_KEY} AND finished_at IS NULL"
                f" AND NOT EXISTS (SELECT 1 FROM parts WHERE {_KEY} AND state IN ('pending', 'claimed'))",
                platform, target, post_key, _now(),
            )

    async def mark_sent(self, platform: str, target: str, post_key: str, part: int,
                        message_id: str, thread_id: str | None) -> None:
        await self._close_part(platform, target, post_key, part,
                               "state = 'sent', message_id = $5, thread_id = $6, sent_at = $7, error = NULL",
                               (message_id, thread_id, _now()))

    async def mark_sent_and_claim(self, platform: str, target: str, post_key: str, part: int, message_id: str,
                                  thread_id: str | None, next_part: int, nonce: str, *, owner: str,
                                  now: dt.datetime | None = None) -> Claim:
        batch = self.__dict__.get("_sent_and_claimed")
        if batch is None:
            batch = self.__dict__["_sent_and_claimed"] = SentAndClaimedBatch(self._pool)
        if await batch.write((platform, target, post_key, part, next_part, message_id, thread_id, _now(), owner,
                              nonce, _now(now))):
            return Claim(ClaimState.NEW, nonce)  # the next part was pending: both rows changed in one statement
        await self.mark_sent(platform, target, post_key, part, message_id, thread_id)  # (finishes the post)
        return await self.claim_part(platform, target, post_key, next_part, nonce, owner=owner, now=now)

    async def mark_failed(self, platform: str, target: str, post_key: str, part: int, error: str) -> None:
        await self._close_part(platform, target, post_key, part, "state = 'failed', error = $5", (error,))

    async def release_part(self, platform: str, target: str, post_key: str, part: int) -> None:
        await self._pool.execute(
            f"UPDATE parts SET state = 'pending', owner = NULL WHERE {_KEY} AND part = $4 AND state = 'claimed'",
            platform, target, post_key, part,
        )

    async def note_attempt(self, platform: str, target: str, post_key: str, error: str,
                           retry_at: dt.datetime) -> int:
        attempts = await self._pool.fetchval(
            f"UPDATE posts SET attempts = attempts + 1, last_error = $4, retry_at = $5 WHERE {_KEY}"
            " RETURNING attempts",
            platform, target, post_key, error, _now(retry_at),
        )
        return int(attempts or 0)

    async def renew_lease(self, owner: str, expires_at: dt.datetime, *, info: str = "") -> None:
        # on a connection of its own: behind a fan-out's queries in the pool, a renewal could come too late and
        # a live run's claims would be taken over
        async with self._lease_lock():
            conn = self.__dict__.get("_lease_conn")
            if conn is None or conn.is_closed():
                settings = {"search_path": f"{self.schema}, public"} if self.schema else {}
                conn = self.__dict__["_lease_conn"] = await asyncpg.connect(self.url, server_settings=settings)
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO leases(owner, expires_at, started_at, info) VALUES ($1, $2, $3, $4)"
                    " ON CONFLICT(owner) DO UPDATE SET expires_at = excluded.expires_at",
                    owner, _now(expires_at), _now(), info,
                )
                # leases long dead tell nothing more (their claims are judged by the missing row alike)
                await conn.execute("DELETE FROM leases WHERE expires_at < $1", _now(expires_at) - dt.timedelta(days=1))

    def _lease_lock(self) -> asyncio.Lock:
        lock = self.__dict__.get("_lease_conn_lock")
        if lock is None:
            lock = self.__dict__["_lease_conn_lock"] = asyncio.Lock()
        return lock

    async def close(self) -> None:
        conn = self.__dict__.pop("_lease_conn", None)
        if conn is not None:
            await conn.close()
        await super().close()

    async def release_lease(self, owner: str) -> None:
        await self._pool.execute("DELETE FROM leases WHERE owner = $1", owner)

    async def unfinished_posts(self, platform: str | None = None, target: str | None = None) -> list[LedgerPost]:
        rows = await self._pool.fetch(
            f"SELECT {_POST_COLUMNS} FROM posts p WHERE finished_at IS NULL"
            " AND ($1::text IS NULL OR platform = $1) AND ($2::text IS NULL OR target = $2)"
            " AND NOT EXISTS (SELECT 1 FROM unavailable_channels u WHERE u.platform = p.platform"
            " AND u.target = p.target) ORDER BY created_at, platform, target",
            platform, target,
        )
        return await self._with_parts(rows)

    async def sent_posts(self, platform: str, target: str) -> set[str]:
        rows = await self._pool.fetch(
            "SELECT post_key FROM posts WHERE platform = $1 AND target = $2 AND finished_at IS NOT NULL",
            platform, target,
        )
        return {r[0] for r in rows}

    async def started_posts(self, platform: str, target: str) -> set[str]:
        rows = await self._pool.fetch(
            "SELECT post_key FROM posts WHERE platform = $1 AND target = $2", platform, target
        )
        return {r[0] for r in rows}

    async def posted_since(self, platform: str, target: str, prefix: str, since: dt.datetime) -> bool:
        found = await self._pool.fetchval(
            "SELECT 1 FROM posts WHERE platform = $1 AND target = $2 AND starts_with(post_key, $3)"
            " AND created_at >= $4 LIMIT 1",
            platform, target, prefix, _now(since),
        )
        return bool(found)

    async def orphan_alerts(self, platforms: set[str], *, since: dt.datetime) -> list[AlertClaim]:
        if not platforms:
            return []
        rows = await self._pool.fetch(
            "SELECT a.platform, a.subscriber, a.post_key, a.arxiv_id, a.terms FROM alerted a"
            " WHERE a.at >= $2 AND starts_with(a.post_key, 'alert:') AND a.platform = ANY($1::text[])"
            " AND NOT EXISTS (SELECT 1 FROM posts p WHERE p.platform = a.platform AND p.post_key = a.post_key)"
            " ORDER BY a.at, a.ctid",
            sorted(platforms), _now(since),
        )
        grouped: dict[tuple[str, str, str], list[tuple[str, tuple[str, ...]]]] = {}
        for platform, subscriber, post_key, arxiv_id, terms in rows:
            grouped.setdefault((platform, subscriber, post_key), []).append((arxiv_id, tuple(json.loads(terms))))
        return [AlertClaim(p, s, k, tuple(papers)) for (p, s, k), papers in grouped.items()]

    async def record_run(self, platform: str, target: str, post_key: str, outcome: str, detail: str = "") -> None:
        await self._pool.execute(
            "INSERT INTO delivery_runs(platform, target, post_key, outcome, detail, at)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            platform, target, post_key, outcome, detail, _now(),
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
            platform, target, reason, _now(),
        )
        return str(status) == "INSERT 0 1"

    async def unavailable(self, platform: str) -> dict[str, str]:
        rows = await self._pool.fetch("SELECT target, reason FROM unavailable_channels WHERE platform = $1", platform)
        return {r[0]: r[1] for r in rows}
