"""A write transaction whose task is cancelled while its BEGIN waits for another process's lock leaves the
connection usable: the BEGIN still runs in SQLite's thread once the lock is free, and is rolled back there."""

from __future__ import annotations

import asyncio
import sqlite3
import sys

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


async def test_opening_a_store_shortens_the_gil_switch_interval_for_sqlites_thread(tmp_path):
    """aiosqlite's thread needs the GIL back after every statement step: with CPython's 5 ms default it waited
    that long each time the event loop was busy (see storage.sqlite.db.GIL_SWITCH_SECONDS)."""
    from storage.sqlite.db import GIL_SWITCH_SECONDS

    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    try:
        store = await SQLiteStore.open(tmp_path / "paperbot.db")
        await store.close()
        assert sys.getswitchinterval() <= GIL_SWITCH_SECONDS < 0.005
    finally:
        sys.setswitchinterval(before)


async def test_an_sqlite_too_old_for_the_ledger_is_refused_with_one_line_saying_so(tmp_path, monkeypatch):
    from bot.store import StoreError

    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.31.1")
    try:
        await SQLiteStore.open(tmp_path / "paperbot.db")
    except StoreError as exc:
        assert "SQLite 3.31.1 is too old: paperbot needs 3.33.0 or newer" in str(exc) and "\n" not in str(exc)
    else:
        raise AssertionError("opened on SQLite 3.31")
    assert not (tmp_path / "paperbot.db").exists()


async def test_a_backfill_step_cancelled_during_its_begin_leaves_the_backfill_writable(tmp_path):
    """The same for ``paperbot ingest FOLDER``'s batched transactions (Ctrl-C while another process writes)."""
    path = tmp_path / "paperbot.db"
    store = await SQLiteStore.open(path)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        async with store.bulk():
            other.execute("BEGIN IMMEDIATE")

            async def step(target: str) -> None:
                async with store.transaction() as db:
                    await db.execute("INSERT INTO unavailable_channels(platform, target, reason, since)"
                                     " VALUES ('slack', ?, 'x', '2024-01-01')", (target,))

            task = asyncio.create_task(step("C1"))
            await asyncio.sleep(0.3)  # its BEGIN IMMEDIATE waits on the busy timeout in SQLite's thread
            task.cancel()
            await asyncio.sleep(0.1)
            other.execute("COMMIT")
            await asyncio.gather(task, return_exceptions=True)
            await step("C2")  # the next step begins its own batch
        assert await store.unavailable("slack") == {"C2": "x"}
    finally:
        other.close()
        await store.close()
