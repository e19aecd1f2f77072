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
