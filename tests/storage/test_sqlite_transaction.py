"""A write transaction whose task is cancelled while its BEGIN waits for another process's lock leaves the
connection usable: the BEGIN still runs in SQLite's thread once the lock is free, and is rolled back there."""

from __future__ import annotations

import asyncio
import sqlite3

from storage.sqlite import SQLiteStore


async def test_a_transaction_cancelled_during_its_begin_leaves_the_store_writable(tmp_path):
    path = tmp_path / "paperbot.db"
    store = await SQLiteStore.open(path)
    other = sqlite3.connect(path, isolation_level=None)  # another process, holding the write lock
    try:
        other.execute("BEGIN IMMEDIATE")

        async def write() -> None:
            async with store.transaction() as db:
                await db.execute("INSERT INTO unavailable_channels(platform, target, reason, since)"
                                 " VALUES ('slack', 'C1', 'x', '2024-01-01')")

        task = asyncio.create_task(write())
        await asyncio.sleep(0.3)  # its BEGIN IMMEDIATE waits on the busy timeout in SQLite's thread
        task.cancel()
        await asyncio.sleep(0.1)
        other.execute("COMMIT")  # the lock is free: that BEGIN now runs
        await asyncio.gather(task, return_exceptions=True)  # (its task ends once the BEGIN is rolled back)
        await store.set_unavailable("slack", "C2", "gone")  # the next write opens its own transaction
        assert await store.unavailable("slack") == {"C2": "gone"}  # the cancelled write left nothing
    finally:
        other.close()
        await store.close()
