"""The delivery ledger on PostgreSQL: posts with their rendered parts, claims under leases, runs,
unavailable channels — safe with several bot processes on one database.

A post is recorded once (``INSERT … ON CONFLICT DO NOTHING``: the first process to open it
fixes its parts). A part is claimed by a conditional ``UPDATE`` of a ``pending`` row; a part
claimed by a run whose lease has expired is taken over under ``SELECT … FOR UPDATE SKIP
LOCKED``, so when two survivors reach a dead run's part at once, one takes it over and the
other is told ``busy``. The common writes (opening a post, claiming a pending part, recording a
part sent and claiming the next, closing a part) made at once go together, one statement per kind
on a connection of the ledger's own (:mod:`storage.postgres.ledger_batch`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Sequence

import asyncpg

from bot.payload import Payload
from bot.store import AlertClaim, Claim, ClaimState, LedgerPost, RunRecord, StoredPart
from storage.opened_post import opened
from storage.payload_codec import loaded, stored
from storage.postgres.db import Database
from storage.postgres.ledger_batch import CLAIMS, CLOSES, OPENS, SENT_AND_CLAIMS, Writes
from storage.postgres.session import CONNECT_TIMEOUT, OwnConnection, process_name

_KEY = "platform = $1 AND target = $2 AND post_key = $3"
_POST_COLUMNS = "platform, target, post_key, created_at, report_to, finished_at, attempts, retry_at, last_error"
def _now(when: dt.datetime | None = None) -> dt.datetime:
    return (when or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)


class LedgerMixin(Database):
    @property
    def _writes(self) -> Writes:
        """The ledger's batched writes, on a connection of their own (see :mod:`storage.postgres.ledger_batch`)."""
        writes = self.__dict__.get("_ledger_writes")
        if writes is None:
            writes = self.__dict__["_ledger_writes"] = Writes(self._own_connection())
        return writes

    def _own_connection(self) -> OwnConnection:
        """A connection apart from the pool, with the pool's settings."""
        return OwnConnection(self.url, self.schema, f"paperbot-ledger {process_name()}", CONNECT_TIMEOUT)

    async def open_post(self, platform: str, target: str, post_key: str, payloads: Sequence[Payload],
                        *, report_to: str = "", now: dt.datetime | None = None) -> LedgerPost:
        return (await self._open(platform, target, post_key, payloads, report_to, now, None, None))[0]

    async def open_post_claimed(self, platform: str, target: str, post_key: str, payloads: Sequence[Payload],
                                nonce: str, *, owner: str, report_to: str = "",
                                now: dt.datetime | None = None) -> tuple[LedgerPost, Claim | None]:
        return await self._open(platform, target, post_key, payloads, report_to, now, nonce, owner)

    async def _open(self, platform: str, target: str, post_key: str, payloads: Sequence[Payload], report_to: str,
                    now: dt.datetime | None, nonce: str | None, owner: str | None) -> tuple[LedgerPost, Claim | None]:
        """The post recorded with its parts the first time (part 0 claimed by ``owner`` with ``nonce`` when
        given, in the same statement), and that claim; afterwards the post as recorded, and ``None``."""
        key = (platform, target, post_key)
        created_at = _now(now)
        claimed = nonce is not None and bool(payloads)
        if not await self._writes.write(OPENS, (*key, report_to, created_at, [stored(p)[0] for p in payloads],
                                                owner if claimed else None, nonce if claimed else None)):
            post = await self.post(platform, target, post_key)
            assert post is not None
            return post, None
        return opened(platform, target, post_key, payloads, created_at, report_to, nonce)  # as recorded

    async def post(self, platform: str, target: str, post_key: str) -> LedgerPost | None:
        async with self._pool.acquire() as conn:  # both reads on one connection: one reset of it, not two
            rows = await conn.fetch(f"SELECT {_POST_COLUMNS} FROM posts WHERE {_KEY}", platform, target, post_key)
            return (await self._with_parts(conn, rows))[0] if rows else None

    async def _with_parts(self, conn: asyncpg.Connection, rows: Sequence[asyncpg.Record]) -> list[LedgerPost]:
        if not rows:
            return []
        parts = await conn.fetch(
            "SELECT p.platform, p.target, p.post_key, p.part, p.payload, p.state, p.message_id, p.thread_id, p.error"
            " FROM parts p JOIN unnest($1::text[], $2::text[], $3::text[]) k(platform, target, post_key)"
            " USING (platform, target, post_key) ORDER BY p.part",
            [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows],
        )
        by_post: dict[tuple[str, str, str], list[StoredPart]] = {}
        for r in parts:
            by_post.setdefault((r[0], r[1], r[2]), []).append(StoredPart(r[3], loaded(r[4]), r[5], r[6], r[7], r[8]))
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
        if await self._writes.write(CLAIMS, (*key, owner, nonce, stamp)):  # the common case: one batched write
            return Claim(ClaimState.NEW, nonce)
        claim_pending = ("UPDATE parts SET state = 'claimed', owner = $5, nonce = $6, claimed_at = $7"
                         f" WHERE {_KEY} AND part = $4 AND state = 'pending' RETURNING 1")
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

    async def mark_sent(self, platform: str, target: str, post_key: str, part: int,
                        message_id: str, thread_id: str | None) -> None:
        await self._writes.write(CLOSES, (platform, target, post_key, part, "sent", message_id, thread_id, None,
                                          _now()))

    async def mark_sent_and_claim(self, platform: str, target: str, post_key: str, part: int, message_id: str,
                                  thread_id: str | None, next_part: int, nonce: str, *, owner: str,
                                  now: dt.datetime | None = None) -> Claim:
        if await self._writes.write(SENT_AND_CLAIMS, (platform, target, post_key, part, next_part, message_id,
                                                       thread_id, _now(), owner, nonce, _now(now))):
            return Claim(ClaimState.NEW, nonce)  # the next part was pending: both rows changed in one statement
        await self.mark_sent(platform, target, post_key, part, message_id, thread_id)  # (finishes the post)
        return await self.claim_part(platform, target, post_key, next_part, nonce, owner=owner, now=now)

    async def mark_failed(self, platform: str, target: str, post_key: str, part: int, error: str) -> None:
        await self._writes.write(CLOSES, (platform, target, post_key, part, "failed", None, None, error, _now()))

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
            own = self.__dict__.get("_lease_conn")
            if own is None:
                own = self.__dict__["_lease_conn"] = self._own_connection()
            conn, _ = await own.get()
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
        writes = self.__dict__.pop("_ledger_writes", None)
        if writes is not None:
            await writes.close()
        own = self.__dict__.pop("_lease_conn", None)
        if own is not None:
            await own.close()
        await super().close()

    async def release_lease(self, owner: str) -> None:
        await self._pool.execute("DELETE FROM leases WHERE owner = $1", owner)

    async def unfinished_posts(self, platform: str | None = None, target: str | None = None) -> list[LedgerPost]:
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {_POST_COLUMNS} FROM posts p WHERE finished_at IS NULL"
                " AND ($1::text IS NULL OR platform = $1) AND ($2::text IS NULL OR target = $2)"
                " AND NOT EXISTS (SELECT 1 FROM unavailable_channels u WHERE u.platform = p.platform"
                " AND u.target = p.target) ORDER BY created_at, platform, target",
                platform, target,
            )
            return await self._with_parts(conn, rows)

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
            # a run claims every subscriber under one post key: a claim is an orphan when its own target has no
            # post under it (the target as bot.alert_send.target_of makes it), found by the posts' primary key
            " AND NOT EXISTS (SELECT 1 FROM posts p WHERE p.platform = a.platform AND p.target ="
            " CASE WHEN starts_with(a.subscriber, 'channel:') THEN substr(a.subscriber, 9) ELSE a.subscriber END"
            " AND p.post_key = a.post_key)"
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
