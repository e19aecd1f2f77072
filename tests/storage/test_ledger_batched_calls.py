"""Ledger calls made at once (written together: one transaction on SQLite, one statement per kind on
PostgreSQL) answer each for its own post and leave the states the calls one by one would — on both backends,
and across two stores ("processes") on one database."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.payload import Payload
from bot.store import ClaimState

T0 = dt.datetime(2024, 6, 28, 0, 0, tzinfo=dt.UTC)
LATER = T0 + dt.timedelta(minutes=2)
PARTS = [Payload({"content": "post", "blocks": [{"type": "section", "text": "카드 ✓"}]}),
         Payload({"content": "reply"}, thread_of=0, source=1)]


def key(i: int) -> tuple[str, str, str]:
    return ("slack", f"C{i:03d}", "digest:2024-06-28")


async def test_posts_opened_claimed_and_closed_at_once_each_finish_as_one_by_one(any_store):
    await any_store.renew_lease("run-a", LATER)
    posts = await asyncio.gather(*(any_store.open_post(*key(i), PARTS[: 1 + i % 2], now=T0) for i in range(30)))
    assert [len(p.parts) for p in posts] == [1 + i % 2 for i in range(30)]
    claims = await asyncio.gather(*(any_store.claim_part(*key(i), 0, f"n{i}", owner="run-a", now=T0)
                                    for i in range(30)))
    assert [(c.state, c.nonce) for c in claims] == [(ClaimState.NEW, f"n{i}") for i in range(30)]
    # the one-part posts: recorded sent (or rejected); the two-part ones: part 0 sent and part 1 claimed
    await asyncio.gather(*(
        (any_store.mark_sent(*key(i), 0, f"m{i}", None) if i % 3 else any_store.mark_failed(*key(i), 0, "invalid"))
        if i % 2 == 0 else any_store.mark_sent_and_claim(*key(i), 0, f"m{i}", f"m{i}", 1, f"r{i}", owner="run-a",
                                                         now=T0)
        for i in range(30)))
    await asyncio.gather(*(any_store.mark_sent(*key(i), 1, f"x{i}", f"m{i}") for i in range(1, 30, 2)))
    assert await any_store.unfinished_posts() == []
    for i in range(30):
        post = await any_store.post(*key(i))
        assert post.finished and post.parts[0].payload == PARTS[0]
        if i % 2:
            assert [(p.state, p.message_id, p.thread_id) for p in post.parts] == [
                ("sent", f"m{i}", f"m{i}"), ("sent", f"x{i}", f"m{i}")]
        elif i % 3:
            assert [(p.state, p.message_id, p.error) for p in post.parts] == [("sent", f"m{i}", None)]
        else:
            assert [(p.state, p.message_id, p.error) for p in post.parts] == [("failed", None, "invalid")]


async def test_the_last_part_closed_finishes_the_post_only_when_no_other_is_left(any_store):
    await any_store.renew_lease("run-a", LATER)
    await any_store.open_post(*key(0), PARTS, now=T0)
    await any_store.claim_part(*key(0), 1, "n1", owner="run-a", now=T0)
    await any_store.mark_sent(*key(0), 1, "m1", "m0")  # part 0 still pending: not finished
    assert not (await any_store.post(*key(0))).finished
    await any_store.claim_part(*key(0), 0, "n0", owner="run-a", now=T0)
    await any_store.mark_failed(*key(0), 0, "invalid")
    post = await any_store.post(*key(0))
    assert post.finished and [p.state for p in post.parts] == ["failed", "sent"]


async def test_a_post_opened_twice_at_once_keeps_one_set_of_parts(any_store):
    other = [Payload({"content": "another rendering"})]
    first, second = await asyncio.gather(any_store.open_post(*key(0), PARTS, now=T0),
                                         any_store.open_post(*key(0), other, now=T0))
    stored = await any_store.post(*key(0))
    assert [p.payload for p in stored.parts] in ([*PARTS], other)
    # whichever call came second was told the parts as recorded, not its own
    assert [p.payload for p in first.parts] == [p.payload for p in second.parts] == [p.payload for p in stored.parts]


async def test_two_stores_claiming_the_same_parts_at_once_get_each_part_once(store_opener):
    a, b = await store_opener(), await store_opener()
    await a.renew_lease("run-a", LATER)
    await b.renew_lease("run-b", LATER)
    await asyncio.gather(*(a.open_post(*key(i), PARTS, now=T0) for i in range(40)))
    claims = await asyncio.gather(*(store.claim_part(*key(i), part, f"{name}{i}.{part}", owner=f"run-{name}", now=T0)
                                    for i in range(40) for part in (0, 1)
                                    for store, name in ((a, "a"), (b, "b"))))
    for i in range(40):
        for part in (0, 1):
            mine, theirs = claims[4 * i + 2 * part], claims[4 * i + 2 * part + 1]
            assert sorted([mine.state, theirs.state]) == sorted([ClaimState.NEW, ClaimState.BUSY]), (i, part)
            winner = mine if mine.state == ClaimState.NEW else theirs
            stored = (await a.post(*key(i))).parts[part]
            assert stored.state == "claimed"
            assert (await a.claim_part(*key(i), part, "late", owner="run-c", now=T0)).nonce == winner.nonce
