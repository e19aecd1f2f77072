"""SQLite's ledger writes queued while the connection is busy are committed together; one that fails fails
alone, and identical parts are stored once while each post keeps its own."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.payload import Payload

T0 = dt.datetime(2024, 6, 28, 0, 0, tzinfo=dt.UTC)


async def test_posts_opened_at_once_are_each_recorded_and_a_failing_write_fails_alone(store):
    card = Payload({"text": "alert", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "card"}}]})
    opened = [store.open_post("slack", f"user:U{i}", "alert:2024-06-28", [card, card], now=T0)
              for i in range(20)]
    failing = store._writes.run(lambda conn: conn.execute("INSERT INTO no_such_table VALUES (1)"))
    *posts, error = await asyncio.gather(*opened, failing, return_exceptions=True)
    assert isinstance(error, Exception) and "no_such_table" in str(error)
    assert not [p for p in posts if isinstance(p, BaseException)]
    for i in range(20):
        stored = await store.post("slack", f"user:U{i}", "alert:2024-06-28")
        assert [p.payload for p in stored.parts] == [card, card]
    rows = await store._db.execute_fetchall(
        "SELECT (SELECT count(*) FROM payload_skeletons), (SELECT count(*) FROM payload_elements)")
    assert list(rows) == [(1, 1)]  # forty parts, one payload, one card


async def test_a_write_whose_commit_fails_fails_alone_and_the_connection_stays_usable(store):
    db = store._db
    await db.execute("CREATE TABLE parent(id INTEGER PRIMARY KEY)")
    await db.execute("CREATE TABLE child(parent INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)")
    dangling = store._writes.run(lambda conn: conn.execute("INSERT INTO child VALUES (7)").rowcount)
    fine = store.open_post("slack", "C1", "digest:2024-06-28", [Payload({"text": "one"})], now=T0)
    error, post = await asyncio.gather(dangling, fine, return_exceptions=True)  # one batch: its COMMIT fails
    assert isinstance(error, Exception) and "FOREIGN KEY" in str(error)
    assert not isinstance(post, BaseException) and [p.payload.body for p in post.parts] == [{"text": "one"}]
    assert list(await db.execute_fetchall("SELECT count(*) FROM child")) == [(0,)]
    await store.set_unavailable("slack", "C9", "gone")  # the next write still begins its own transaction
    assert await store.unavailable("slack") == {"C9": "gone"}


async def test_a_post_opened_twice_keeps_its_first_parts(store):
    first, second = await asyncio.gather(
        store.open_post("slack", "C1", "digest:2024-06-28", [Payload({"text": "one"})], now=T0),
        store.open_post("slack", "C1", "digest:2024-06-28", [Payload({"text": "two"})], now=T0))
    assert [p.payload.body for p in first.parts] == [{"text": "one"}]
    assert [p.payload.body for p in second.parts] == [{"text": "one"}]


async def test_parts_recorded_at_once_are_each_recorded_as_one_at_a_time_would(store):
    """Sent-and-next-claimed, sent and failed calls queued together (one statement per kind) each get the answer
    and leave the rows that writing them one by one would: a next part another run holds is left to it."""
    key = "alert:2024-06-28"
    parts = [Payload({"text": f"part {n}"}) for n in range(3)]
    targets = [f"user:U{i}" for i in range(12)]
    await asyncio.gather(*(store.open_post_claimed("slack", t, key, parts, f"n0-{t}", owner="me", now=T0)
                           for t in targets))
    taken = targets[:3]  # their part 1 claimed by another run meanwhile
    for t in taken:
        assert (await store.claim_part("slack", t, key, 1, f"other-{t}", owner="other", now=T0)).state.value == "new"
    claims = await asyncio.gather(*(store.mark_sent_and_claim("slack", t, key, 0, f"ts0-{t}", None, 1, f"n1-{t}",
                                                              owner="me", now=T0) for t in targets))
    assert [c.nonce for c in claims[3:]] == [f"n1-{t}" for t in targets[3:]]
    assert all(c.state.value != "new" for c in claims[:3])  # not ours: left to the run that holds it
    # the rest at once: part 1 sent and part 2 claimed, part 2 sent or rejected, every post finished
    await asyncio.gather(*(store.mark_sent_and_claim("slack", t, key, 1, f"ts1-{t}", "th", 2, f"n2-{t}", owner="me",
                                                     now=T0) for t in targets[3:]))
    await asyncio.gather(*(store.mark_sent("slack", t, key, 2, f"ts2-{t}", "th") for t in targets[3:8]),
                         *(store.mark_failed("slack", t, key, 2, "too long") for t in targets[8:]))
    for t in targets[3:]:
        post = await store.post("slack", t, key)
        assert post.finished
        assert [(p.state, p.message_id) for p in post.parts[:2]] == [("sent", f"ts0-{t}"), ("sent", f"ts1-{t}")]
        assert post.parts[1].thread_id == "th"
        last = post.parts[2]
        sent = t in targets[3:8]
        assert (last.state, last.message_id, last.error) == (("sent", f"ts2-{t}", None) if sent
                                                             else ("failed", None, "too long"))
    for t in taken:
        post = await store.post("slack", t, key)
        assert not post.finished and [p.state for p in post.parts] == ["sent", "claimed", "pending"]


async def test_a_next_part_named_twice_in_one_batch_is_claimed_by_one_call_only(store):
    """Two calls recording part 0 sent and claiming part 1 of the same post, queued together: one gets the claim;
    the other is told it did not get it, as it would be one after the other."""
    key = "alert:2024-06-28"
    await store.open_post_claimed("slack", "C1", key, [Payload({"text": "a"}), Payload({"text": "b"})], "n0",
                                  owner="me", now=T0)
    first, second = await asyncio.gather(
        store.mark_sent_and_claim("slack", "C1", key, 0, "ts0", None, 1, "n1-a", owner="me", now=T0),
        store.mark_sent_and_claim("slack", "C1", key, 0, "ts0", None, 1, "n1-b", owner="me", now=T0))
    assert first.nonce == "n1-a" and first.state.value == "new"
    assert second.state.value != "new"  # part 1 was the first call's already
    post = await store.post("slack", "C1", key)
    assert [(p.state, p.message_id) for p in post.parts] == [("sent", "ts0"), ("claimed", None)]
