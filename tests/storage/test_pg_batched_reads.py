"""Reads a fan-out's planning makes for every channel at once (storage.postgres.reads): asked together they
answer each for its own channel exactly as asked one by one (both backends), PostgreSQL reads them in a few
statements, a read sees what was written before it was asked, and a read that fails fails alone."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from bot.payload import Payload

T0 = dt.datetime(2024, 6, 28, 0, 0, tzinfo=dt.UTC)
PARTS = [Payload({"content": "post"}), Payload({"content": "reply"}, thread_of=0, source=1)]
N = 40


async def _setup(store: Any) -> None:
    """Channel i: no post (i % 4 == 0), an unfinished post (1), a finished one (2), one of each (3); every
    third channel has a language; channel 5 is unavailable."""
    await store.renew_lease("run", T0 + dt.timedelta(minutes=5))
    for i in range(N):
        target = f"C{i:03d}"
        if i % 4 in (2, 3):
            await store.open_post("slack", target, "digest:2024-06-27", PARTS[:1], now=T0 - dt.timedelta(days=1))
            await store.claim_part("slack", target, "digest:2024-06-27", 0, f"n{i}", owner="run", now=T0)
            await store.mark_sent("slack", target, "digest:2024-06-27", 0, f"m{i}", None)
        if i % 4 in (1, 3):
            await store.open_post("slack", target, "digest:2024-06-28", PARTS, now=T0)
        if i % 3 == 0:
            await store.set_channel_language("slack", target, "ko" if i % 2 else "en")
    await store.set_unavailable("slack", "C005", "not_in_channel")


async def _answers(store: Any, i: int) -> tuple[Any, ...]:
    target = f"C{i:03d}"
    unfinished = await store.unfinished_posts(target=target)
    return (
        [(p.platform, p.target, p.post_key, [s.payload for s in p.parts]) for p in unfinished],
        await store.started_posts("slack", target),
        await store.sent_posts("slack", target),
        await store.posted_since("slack", target, "digest:", T0),
        await store.posted_since("slack", target, "digest:", T0 - dt.timedelta(days=2)),
        await store.posted_since("discord", target, "digest:", T0 - dt.timedelta(days=2)),
        await store.channel_language("slack", target),
        await store.channel_language("discord", target),
    )


async def test_reads_asked_at_once_answer_as_one_by_one(any_store):
    await _setup(any_store)
    alone = [await _answers(any_store, i) for i in range(N)]
    together = await asyncio.gather(*(_answers(any_store, i) for i in range(N)), _answers(any_store, 1))
    assert list(together) == [*alone, alone[1]]
    assert alone[1][0] == [("slack", "C001", "digest:2024-06-28", PARTS)]
    assert alone[5][0] == []  # unavailable: left out
    assert alone[3][1:4] == ({"digest:2024-06-27", "digest:2024-06-28"}, {"digest:2024-06-27"}, True)
    assert alone[2][1:6] == ({"digest:2024-06-27"}, {"digest:2024-06-27"}, False, True, False)
    assert alone[0][1:] == (set(), set(), False, False, False, "en", None)
    assert alone[3][6:] == ("ko", None)


async def test_postgres_reads_them_in_a_few_statements(store_opener):
    if store_opener.backend != "postgres":  # type: ignore[attr-defined]
        pytest.skip("PostgreSQL's batched reads")
    store = await store_opener()
    await _setup(store)
    statements: list[str] = []
    pool = store._reads._pool

    class Counted:
        async def fetch(self, sql: str, *args: Any) -> Any:
            statements.append(sql)
            return await pool.fetch(sql, *args)

        def acquire(self) -> Any:
            statements.append("acquire")
            return pool.acquire()

    store._reads._pool = Counted()
    try:
        answers = await asyncio.gather(*(store.started_posts("slack", f"C{i:03d}") for i in range(N)),
                                       *(store.channel_language("slack", f"C{i:03d}") for i in range(N)),
                                       *(store.unfinished_posts(target=f"C{i:03d}") for i in range(N)))
    finally:
        store._reads._pool = pool
    assert len(statements) <= 6  # each kind: the first call alone, then the rest together
    assert answers[N:N + 4] == ["en", None, None, "ko"]
    assert [len(posts) for posts in answers[2 * N:2 * N + 4]] == [0, 1, 0, 1]


async def test_a_read_sees_what_was_written_before_it_was_asked(any_store):
    await any_store.renew_lease("run", T0 + dt.timedelta(minutes=5))

    async def open_then_read(i: int) -> tuple[set[str], bool, str | None]:
        target = f"C{i:03d}"
        await any_store.open_post("slack", target, "digest:2024-06-28", PARTS[:1], now=T0)
        await any_store.set_channel_language("slack", target, "ko")
        return (await any_store.started_posts("slack", target),
                await any_store.posted_since("slack", target, "digest:", T0),
                await any_store.channel_language("slack", target))

    slow = asyncio.gather(*(any_store.started_posts("slack", f"X{i}") for i in range(20)))  # keeps a read on its way
    answers = await asyncio.gather(*(open_then_read(i) for i in range(20)))
    await slow
    assert answers == [({"digest:2024-06-28"}, True, "ko")] * 20


async def test_a_read_that_fails_fails_alone(store_opener):
    if store_opener.backend != "postgres":  # type: ignore[attr-defined]
        pytest.skip("PostgreSQL's batched reads")
    store = await store_opener()
    await _setup(store)
    good = [store.posted_since("slack", f"C{i:03d}", "digest:", T0) for i in range(N)]
    bad = store.posted_since("slack", "C001", "digest:", "not a time")  # type: ignore[arg-type]
    answers = await asyncio.gather(*good, bad, return_exceptions=True)
    assert answers[:N] == [i % 4 in (1, 3) for i in range(N)]
    assert isinstance(answers[N], Exception)
