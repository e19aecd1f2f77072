"""PostgreSQL reads of one kind made while another of its kind is on its way, read together: one statement.

Before its first send, a fan-out plans every channel at once, and planning one channel asks the ledger a few
small questions (its unfinished posts, the posts it started and finished, whether it was posted to since the
due time, its language). One statement each is 5,000 pool round trips (and as many resets of the pooled
connection) for 1,000 channels — per process — all before the channel's first message, on the cores the bot,
the database and the platform's client share: the Slack fan-out's channels started 1 to 3 s late on
PostgreSQL (1 process; 3 to 8 s with 3), against 0.3 s on SQLite (bench/fanout.py). :class:`Reads` queues
each read by kind; whatever queued while that kind's statement was on its way goes in one statement
(``unnest … WITH ORDINALITY`` of the calls' values, each answer picked by its ordinal). A read always runs in
a statement that starts after it was asked for, so it sees every write committed before the call, as when
asked alone; when a batch fails, its reads run one by one, so a read that fails fails alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg


@dataclass(frozen=True, eq=False)
class ReadKind:
    """One kind of read: each call's answer, for the calls queued together."""

    name: str
    #: (the pool, the calls' values) → each call's answer, in order
    run: Callable[[asyncpg.Pool, Sequence[tuple[Any, ...]]], Awaitable[list[Any]]]


class Reads:
    """The reads queued while a statement of their kind is on its way (see the module docstring)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self.waiting: dict[ReadKind, list[tuple[tuple[Any, ...], asyncio.Future[Any]]]] = {}
        self._draining: dict[ReadKind, asyncio.Task[None]] = {}

    async def read(self, kind: ReadKind, item: tuple[Any, ...]) -> Any:
        """``item``'s answer, read with the others of its kind queued beside it."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(kind, []).append((item, future))
        task = self._draining.get(kind)
        if task is None or task.done():
            self._draining[kind] = asyncio.ensure_future(self._drain(kind))
        return await future

    async def _drain(self, kind: ReadKind) -> None:
        while batch := self.waiting.pop(kind, None):
            try:
                await self._read(kind, batch)
            except BaseException:  # cancelled (closing): nobody may wait for ever
                stranded = batch + self.waiting.pop(kind, [])
                for _, future in stranded:
                    if not future.done():
                        future.set_exception(ConnectionError("the read was cancelled"))
                raise

    async def _read(self, kind: ReadKind, batch: list[tuple[tuple[Any, ...], asyncio.Future[Any]]]) -> None:
        batch = [(item, future) for item, future in batch if not future.done()]  # a caller cancelled: not asked
        if not batch:
            return
        try:
            answers = await kind.run(self._pool, [item for item, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                if not batch[0][1].done():
                    batch[0][1].set_exception(exc)
                return
            for one in batch:  # each alone: a read that fails fails alone
                await self._read(kind, [one])
            return
        for (_, future), answer in zip(batch, answers, strict=True):
            if not future.done():
                future.set_result(answer)

    async def close(self) -> None:
        """Stop reading: whoever still waits is told the read was cancelled."""
        tasks, self._draining = list(self._draining.values()), {}
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # cancelled as asked: their callers were told


def by_ordinal(rows: Sequence[asyncpg.Record], count: int) -> list[list[asyncpg.Record]]:
    """Rows whose first column is a call's ordinal (1-based, ``WITH ORDINALITY``), grouped by call."""
    grouped: list[list[asyncpg.Record]] = [[] for _ in range(count)]
    for row in rows:
        grouped[row[0] - 1].append(row)
    return grouped


def transpose(items: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    return [list(column) for column in zip(*items, strict=True)]
