"""The ledger's combined write (a part recorded sent and the next claimed at once) leaves the same states as
the two writes one after the other, on both backends — including when the next part is not pending."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.payload import Payload
from bot.store import ClaimState

T0 = dt.datetime(2024, 6, 28, 0, 0, tzinfo=dt.UTC)
PARTS = [Payload({"content": "post"}), Payload({"content": "reply 1"}, thread_of=0, source=1),
         Payload({"content": "reply 2"}, thread_of=0, source=2)]
KEY = ("slack", "C1", "digest:2024-06-28")


async def test_a_part_sent_and_the_next_claimed_in_one_write(any_store):
    await any_store.open_post(*KEY, PARTS, now=T0)
    await any_store.renew_lease("run-a", T0 + dt.timedelta(minutes=2))
    assert (await any_store.claim_part(*KEY, 0, "n0", owner="run-a", now=T0)).state == ClaimState.NEW
    claim = await any_store.mark_sent_and_claim(*KEY, 0, "m0", "m0", 1, "n1", owner="run-a", now=T0)
    assert (claim.state, claim.nonce) == (ClaimState.NEW, "n1")
    post = await any_store.post(*KEY)
    assert [(p.state, p.message_id) for p in post.parts] == [("sent", "m0"), ("claimed", None), ("pending", None)]
    # another run sees part 1 as ours while our lease lives, and part 0 as sent with its message
    busy = await any_store.claim_part(*KEY, 1, "x", owner="run-b", now=T0 + dt.timedelta(seconds=5))
    assert busy.state == ClaimState.BUSY
    done = await any_store.claim_part(*KEY, 0, "x", owner="run-b", now=T0)
    assert (done.state, done.message_id, done.thread_id, done.nonce) == (ClaimState.SENT, "m0", "m0", "n0")
    await any_store.mark_sent_and_claim(*KEY, 1, "m1", "m0", 2, "n2", owner="run-a", now=T0)
    await any_store.mark_sent(*KEY, 2, "m2", "m0")
    post = await any_store.post(*KEY)
    assert post.finished and post.missing == () and await any_store.unfinished_posts() == []


async def test_when_the_next_part_is_not_pending_the_writes_are_made_one_by_one(any_store):
    await any_store.open_post(*KEY, PARTS[:2], now=T0)
    await any_store.renew_lease("run-a", T0 + dt.timedelta(minutes=2))
    await any_store.claim_part(*KEY, 1, "n1", owner="run-a", now=T0)
    await any_store.mark_sent(*KEY, 1, "m1", "m0")  # sent by an earlier run
    await any_store.claim_part(*KEY, 0, "n0", owner="run-a", now=T0)
    # part 1 is sent already: part 0 is recorded, the post finishes, and the claim says so
    claim = await any_store.mark_sent_and_claim(*KEY, 0, "m0", "m0", 1, "other", owner="run-a", now=T0)
    assert (claim.state, claim.message_id, claim.nonce) == (ClaimState.SENT, "m1", "n1")
    post = await any_store.post(*KEY)
    assert post.finished and [p.state for p in post.parts] == ["sent", "sent"]


async def test_a_live_runs_claim_on_the_next_part_is_left_alone(any_store):
    await any_store.open_post(*KEY, PARTS[:2], now=T0)
    await any_store.renew_lease("run-a", T0 + dt.timedelta(minutes=2))
    await any_store.renew_lease("run-b", T0 + dt.timedelta(minutes=2))
    await any_store.claim_part(*KEY, 0, "n0", owner="run-a", now=T0)
    await any_store.claim_part(*KEY, 1, "n1", owner="run-b", now=T0)
    claim = await any_store.mark_sent_and_claim(*KEY, 0, "m0", "m0", 1, "mine", owner="run-a", now=T0)
    assert (claim.state, claim.nonce) == (ClaimState.BUSY, "n1")
    post = await any_store.post(*KEY)
    assert [p.state for p in post.parts] == ["sent", "claimed"] and not post.finished


async def test_many_posts_recorded_at_once_each_get_their_own_answer(any_store):
    """Calls made together (SQLite writes them in one transaction) answer each for its own post."""
    keys = [("slack", f"C{i:02d}", "digest:2024-06-28") for i in range(20)]
    await any_store.renew_lease("run-a", T0 + dt.timedelta(minutes=2))
    for i, key in enumerate(keys):
        await any_store.open_post(*key, PARTS[:2], now=T0)
        if i % 2:  # part 1 sent by an earlier run
            await any_store.claim_part(*key, 1, f"old{i}", owner="run-a", now=T0)
            await any_store.mark_sent(*key, 1, f"r{i}", f"m{i}")
        await any_store.claim_part(*key, 0, f"p{i}", owner="run-a", now=T0)
    claims = await asyncio.gather(*(
        any_store.mark_sent_and_claim(*key, 0, f"m{i}", f"m{i}", 1, f"n{i}", owner="run-a", now=T0)
        for i, key in enumerate(keys)))
    assert [(c.state, c.nonce) for c in claims] == [
        (ClaimState.SENT, f"old{i}") if i % 2 else (ClaimState.NEW, f"n{i}") for i in range(20)]
    for i, key in enumerate(keys):
        post = await any_store.post(*key)
        assert (post.parts[0].state, post.parts[0].message_id) == ("sent", f"m{i}")
        assert post.finished == bool(i % 2)
        assert post.parts[1].state == ("sent" if i % 2 else "claimed")
