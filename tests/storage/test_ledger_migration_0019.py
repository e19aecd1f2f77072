"""SQLite 0019 (posts_created dropped): a ledger written before keeps every post and part, finishes what was
unfinished, finds what was posted since, and deleting a post still deletes its parts."""

from __future__ import annotations

import datetime as dt

from bot.payload import Payload
from storage.sqlite import SQLiteStore
from tests.storage.conftest import sqlite_database_at


async def test_posts_and_parts_written_before_0019_are_kept_and_finish(tmp_path):
    path = tmp_path / "v18.db"
    db = sqlite_database_at(path, 18)
    db.execute("PRAGMA foreign_keys = ON")
    db.executemany("INSERT INTO posts(platform, target, post_key, parts, created_at, finished_at) VALUES (?, ?, ?, ?,"
                   " ?, ?)", [("slack", "C1", "digest:2024-06-28", 2, "2024-06-28T09:00:00+00:00", None),
                              ("slack", "C2", "digest:2024-06-28", 1, "2024-06-28T09:00:00+00:00",
                               "2024-06-28T09:00:01+00:00")])
    db.execute("INSERT INTO payloads(hash, payload) VALUES ('h1', ?)",
               ('{"body": {"text": "two"}, "thread_of": 0, "ephemeral": false, "source": 0}',))
    db.executemany("INSERT INTO parts(platform, target, post_key, part, state, payload, payload_hash, message_id,"
                   " sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [("slack", "C1", "digest:2024-06-28", 0, "sent",
                     '{"body": {"text": "one"}, "thread_of": null, "ephemeral": false}', None, "1.1",
                     "2024-06-28T09:00:01+00:00"),
                    ("slack", "C1", "digest:2024-06-28", 1, "pending", "", "h1", None, None),
                    ("slack", "C2", "digest:2024-06-28", 0, "sent", '{"body": {"text": "x"}}', None, "2.1",
                     "2024-06-28T09:00:01+00:00")])
    db.commit()
    db.close()

    store = await SQLiteStore.open(path)
    try:
        [unfinished] = await store.unfinished_posts()
        assert (unfinished.target, [(p.state, p.payload) for p in unfinished.parts]) == (
            "C1", [("sent", Payload({"text": "one"})), ("pending", Payload({"text": "two"}, thread_of=0))])
        assert unfinished.parts[0].message_id == "1.1"
        claim = await store.claim_part("slack", "C1", "digest:2024-06-28", 1, "n1", owner="me")
        assert claim.state.value == "new"
        await store.mark_sent("slack", "C1", "digest:2024-06-28", 1, "1.2", "1.1")
        assert await store.unfinished_posts() == []
        assert await store.sent_posts("slack", "C1") == {"digest:2024-06-28"}
        since = dt.datetime(2024, 6, 28, tzinfo=dt.UTC)
        assert await store.posted_since("slack", "C2", "digest:", since)
        assert not await store.posted_since("slack", "C2", "digest:", since + dt.timedelta(days=1))
        # a new post beside them, then a post deleted with its parts (the foreign key points at the new table)
        await store.open_post("slack", "C3", "digest:2024-06-29", [Payload({"text": "new"})],
                              now=dt.datetime(2024, 6, 29, tzinfo=dt.UTC))
        await store._db.execute("DELETE FROM posts WHERE target = 'C1'")
        rows = await store._db.execute_fetchall("SELECT target, count(*) FROM parts GROUP BY target ORDER BY target")
        assert [tuple(r) for r in rows] == [("C2", 1), ("C3", 1)]
        assert list(await store._db.execute_fetchall("PRAGMA foreign_key_check")) == []
    finally:
        await store.close()
