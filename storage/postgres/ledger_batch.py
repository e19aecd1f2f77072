"""PostgreSQL ledger writes made while others are on their way, written together: one statement per kind.

A fan-out records a part every millisecond and an alert run opens a post per subscriber: one statement per
write — and a pool round trip more to reset the connection after each — was most of the ledger's cost on
PostgreSQL. :class:`Writes` queues each write by kind (open a post, claim a pending part, record a part sent
and claim the next, close a part); whatever queued while a statement was on its way goes in one statement per
kind (``unnest`` of the calls' values), on a connection of the ledger's own. Each statement commits on its
own, so each call returns once its write is committed (a crash loses no more than one by one); when a batch
fails (two processes' batches deadlocking on a row, say), its calls are written one by one, so a write that
fails fails alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from storage.postgres.session import OwnConnection

_KEYS = "v.platform = p.platform AND v.target = p.target AND v.post_key = p.post_key"

#: posts and their parts; the parts only of the posts this statement created (the first process to open a post
#: fixes them): the created posts' keys
OPEN = (
    "WITH v AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[],"
    " $6::timestamptz[]) AS v(platform, target, post_key, parts, report_to, created_at)),"
    " created AS (INSERT INTO posts(platform, target, post_key, parts, report_to, created_at, finished_at)"
    " SELECT platform, target, post_key, parts, report_to, created_at, CASE WHEN parts = 0 THEN created_at END"
    " FROM v ON CONFLICT DO NOTHING RETURNING platform, target, post_key, created_at),"
    " new_parts AS (INSERT INTO parts(platform, target, post_key, part, state, payload, owner, nonce, claimed_at)"
    " SELECT w.platform, w.target, w.post_key, w.part, CASE WHEN w.nonce IS NULL THEN 'pending' ELSE 'claimed' END,"
    " convert_from(w.payload, 'UTF8'), w.owner, w.nonce, CASE WHEN w.nonce IS NOT NULL THEN created.created_at END"
    " FROM unnest($7::text[], $8::text[], $9::text[], $10::int[], $11::bytea[], $12::text[], $13::text[])"
    " AS w(platform, target, post_key, part, payload, owner, nonce) JOIN created USING (platform, target, post_key))"
    " SELECT platform, target, post_key FROM created"
)
#: pending parts claimed: the nonces of the claims made (a part not pending is left to the one-by-one path)
CLAIM = (
    "UPDATE parts p SET state = 'claimed', owner = v.owner, nonce = v.nonce, claimed_at = v.claimed_at"
    " FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::timestamptz[])"
    " AS v(platform, target, post_key, part, owner, nonce, claimed_at)"
    f" WHERE {_KEYS} AND p.part = v.part AND p.state = 'pending' RETURNING v.nonce"
)
#: records each item's part ``done`` sent and claims its part ``next`` — only when ``next`` is pending (else
#: nothing changes and the caller takes the two steps one by one: the post may be finished, or ``next`` not
#: ours). The state test is on the row too: a process that claimed ``next`` since this statement's snapshot
#: keeps it (PostgreSQL re-checks a row's WHERE after waiting for its lock), and only the sent part changes.
SENT_AND_CLAIMED = (
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
    f" WHERE {_KEYS} AND (p.part = v.done OR (p.part = v.next AND p.state = 'pending'))"
    " AND EXISTS (SELECT 1 FROM parts q WHERE q.platform = v.platform AND q.target = v.target"
    " AND q.post_key = v.post_key AND q.part = v.next AND q.state = 'pending')"
    " RETURNING v.nonce, p.part = v.next"
)
#: parts recorded sent (``message_id``…) or failed (``error``), and their posts finished when no part is left
#: pending or claimed. One statement sees the parts as they were before it: the test leaves out the parts it
#: closes itself.
CLOSE = (
    "WITH v AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[],"
    " $7::text[], $8::text[], $9::timestamptz[]) AS v(platform, target, post_key, part, state, message_id,"
    " thread_id, error, at)),"
    " done AS (UPDATE parts p SET state = v.state, error = v.error,"
    " message_id = CASE WHEN v.state = 'sent' THEN v.message_id ELSE p.message_id END,"
    " thread_id = CASE WHEN v.state = 'sent' THEN v.thread_id ELSE p.thread_id END,"
    " sent_at = CASE WHEN v.state = 'sent' THEN v.at ELSE p.sent_at END"
    f" FROM v WHERE {_KEYS} AND p.part = v.part RETURNING 1)"
    " UPDATE posts p SET finished_at = v.at, retry_at = NULL FROM v"
    f" WHERE {_KEYS} AND p.finished_at IS NULL AND NOT EXISTS (SELECT 1 FROM parts q"
    " WHERE q.platform = v.platform AND q.target = v.target AND q.post_key = v.post_key"
    " AND q.state IN ('pending', 'claimed') AND NOT EXISTS (SELECT 1 FROM v x WHERE x.platform = q.platform"
    " AND x.target = q.target AND x.post_key = q.post_key AND x.part = q.part))"
)


@dataclass(frozen=True)
class Kind:
    """One kind of write: its statement, and each call's answer from the statement's rows."""

    sql: str
    #: the statement's arguments (one array per column) from the calls' values
    columns: Callable[[Sequence[tuple[Any, ...]]], list[list[Any]]]
    #: each call's answer from the rows
    answers: Callable[[Sequence[tuple[Any, ...]], list[asyncpg.Record]], list[Any]]


def _transpose(items: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    return [list(column) for column in zip(*items, strict=True)]


def _open_columns(items: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    """An item: (platform, target, post_key, report_to, created_at, [payload bytes], owner, nonce): part 0
    claimed for ``owner`` with ``nonce`` when that is not ``None``."""
    posts = [(p, t, k, len(payloads), report_to, at) for p, t, k, report_to, at, payloads, _, _ in items]
    parts = [(p, t, k, i, data, owner if i == 0 else None, nonce if i == 0 else None)
             for p, t, k, _, _, payloads, owner, nonce in items for i, data in enumerate(payloads)]
    return _transpose(posts) + (_transpose(parts) if parts else [[], [], [], [], [], [], []])


def _created(items: Sequence[tuple[Any, ...]], rows: list[asyncpg.Record]) -> list[bool]:
    created = {(r[0], r[1], r[2]) for r in rows}
    return [(i[0], i[1], i[2]) in created for i in items]


def _claimed(items: Sequence[tuple[Any, ...]], rows: list[asyncpg.Record]) -> list[bool]:
    """An item: (platform, target, post_key, part, owner, nonce, claimed_at)."""
    claimed = {r[0] for r in rows}
    return [i[5] in claimed for i in items]


def _next_claimed(items: Sequence[tuple[Any, ...]], rows: list[asyncpg.Record]) -> list[bool]:
    claimed = {nonce for nonce, is_next in rows if is_next}
    return [i[9] in claimed for i in items]


OPENS = Kind(OPEN, _open_columns, _created)
CLAIMS = Kind(CLAIM, _transpose, _claimed)
SENT_AND_CLAIMS = Kind(SENT_AND_CLAIMED, _transpose, _next_claimed)
CLOSES = Kind(CLOSE, _transpose, lambda items, rows: [None] * len(items))


class Writes:
    """The ledger writes queued while a statement is on its way (see the module docstring)."""

    def __init__(self, connection: OwnConnection) -> None:
        self._own = connection
        self.waiting: dict[Kind, list[tuple[tuple[Any, ...], asyncio.Future[Any]]]] = {}
        self._draining: asyncio.Task[None] | None = None

    async def write(self, kind: Kind, item: tuple[Any, ...]) -> Any:
        """``item`` written with the others of its kind queued beside it, once committed: its answer."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(kind, []).append((item, future))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.ensure_future(self._drain())
        return await future

    async def _drain(self) -> None:
        while self.waiting:
            kind, batch = next(iter(self.waiting.items()))
            del self.waiting[kind]
            try:
                await self._write(kind, batch)
            except BaseException:  # cancelled (shutting down): nobody may wait for ever
                stranded = batch + [entry for queued in self.waiting.values() for entry in queued]
                self.waiting = {}
                for _, future in stranded:
                    if not future.done():
                        future.set_exception(ConnectionError("the ledger write was cancelled"))
                raise

    async def _write(self, kind: Kind, batch: list[tuple[tuple[Any, ...], asyncio.Future[Any]]]) -> None:
        items = [item for item, _ in batch]
        try:
            answers = kind.answers(items, await self._fetch(kind, items))
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch, exc=exc)
                return
            for one in batch:  # each alone: a write that fails fails alone
                await self._write(kind, [one])
            return
        _settle(batch, answers)

    async def _fetch(self, kind: Kind, items: Sequence[tuple[Any, ...]]) -> list[asyncpg.Record]:
        conn, _ = await self._own.get()
        result: list[asyncpg.Record] = await conn.fetch(kind.sql, *kind.columns(items))
        return result

    async def close(self) -> None:
        if self._draining is not None and not self._draining.done():
            self._draining.cancel()
        await self._own.close()


def _settle(batch: list[tuple[tuple[Any, ...], asyncio.Future[Any]]], answers: list[Any] | None = None,
            exc: Exception | None = None) -> None:
    for n, (_, future) in enumerate(batch):
        if future.done():
            continue
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(answers[n] if answers is not None else None)
