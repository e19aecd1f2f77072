"""The SQLite connection: opening, pragmas, numbered migrations, and one transaction helper.

Writes go through one connection, serialised by a lock (aiosqlite runs every call on its
thread, so per-row calls would dominate the cost: statements are batched).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Any, Self

import aiosqlite

from bot.store import StoreError
from storage.migrations import LATEST, migrations

_CHUNK = 900  # bound variables per IN (...) list
#: how long a write waits for another process's transaction (a bulk ingest commits per digest, and a
#: digest is capped in size, so a transaction holds the lock for seconds at most)
BUSY_TIMEOUT_MS = 30_000
CACHE_KIB = -16_384  # SQLite's page cache per connection, at most (negative: KiB)
CHECKPOINT_PAGES = 10_000  # WAL pages between automatic checkpoints (SQLite's default: 1,000)
#: how long a thread holding the GIL keeps it while another waits for it, at most (CPython's default: 5 ms).
#: SQLite runs in aiosqlite's thread, which lets go of the GIL for each step of a statement and needs it back
#: after; while the event loop's thread is busy (rendering an alert run's messages), each of those waits lasted up
#: to 5 ms, a ledger batch took ~90 ms, and the loop ran out of work waiting for it: 2.1 s of a 10 s alert run to
#: 60,000 subscriptions idle, 0.8 s with 0.5 ms. Set for the process when a store opens.
GIL_SWITCH_SECONDS = 0.0005
#: the oldest SQLite the store runs on: the ledger writes its batches with UPDATE … FROM (3.33)
MIN_SQLITE = (3, 33, 0)


def chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def marks(n: int) -> str:
    return ",".join("?" * n)


def now_text(when: dt.datetime | None = None) -> str:
    """The one timestamp format the store writes: ISO 8601 in UTC (``…+00:00``)."""
    return (when or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat()


def parse_time(text: str) -> dt.datetime:
    """Read a stored timestamp (either format older versions wrote) as an aware UTC time."""
    when = dt.datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


class Database:
    """The connection and its lifecycle; the aggregates' mixins add the queries."""

    def __init__(self, db: aiosqlite.Connection, path: str) -> None:
        self._db = db
        self.path = path
        self._write = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction: the write lock, ``BEGIN IMMEDIATE``, COMMIT or ROLLBACK."""
        async with self._write:
            try:
                await self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                await self._db.execute("COMMIT")
            except BaseException:
                await self._rollback()
                raise

    async def _rollback(self) -> None:
        """ROLLBACK, when a transaction is open. A task cancelled while its BEGIN (or COMMIT) waits in SQLite's thread
        leaves the statement to run there after all: the ROLLBACK queued behind it ends the transaction it opens,
        where the next BEGIN would otherwise fail ("cannot start a transaction within a transaction")."""
        with contextlib.suppress(sqlite3.OperationalError):  # no transaction open (BEGIN itself failed)
            await self._db.execute("ROLLBACK")

    @classmethod
    async def open(cls, path: str | os.PathLike[str]) -> Self:
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise StoreError(f"SQLite {sqlite3.sqlite_version} is too old: paperbot needs "
                             f"{'.'.join(map(str, MIN_SQLITE))} or newer (UPDATE … FROM); use a newer Python or "
                             "PostgreSQL (PAPERBOT_DB=postgresql://…)")
        if sys.getswitchinterval() > GIL_SWITCH_SECONDS:  # see GIL_SWITCH_SECONDS
            sys.setswitchinterval(GIL_SWITCH_SECONDS)
        path = str(path)
        if path != ":memory:":
            _make_parent(path)
        try:
            db = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database {path}: {exc}") from exc
        store = cls(db, path)
        try:
            await store._setup()
        except BaseException:
            await db.close()
            raise
        return store

    async def _setup(self) -> None:
        db = self._db
        await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")  # first: another process may be migrating
        await self._wal()
        await db.execute("PRAGMA foreign_keys = ON")
        await db.execute("PRAGMA synchronous = NORMAL")
        # a ledger write touches index pages all over the parts and posts tables: with SQLite's default 2 MB cache
        # an alert run read them back from the file and spilled dirty ones mid-transaction, and with a checkpoint
        # every 1,000 WAL pages it copied the same hot pages to the database again and again. Up to 16 MB of cache
        # (allocated as used; 64 MB took bench.store's peak RSS past 200 MB) and a checkpoint every 10,000 pages
        await db.execute(f"PRAGMA cache_size = {CACHE_KIB}")
        await db.execute(f"PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES}")
        await self._migrate()

    async def _wal(self) -> None:
        """Write-ahead logging. Switching a new file to it needs the file to itself, and SQLite answers
        "database is locked" at once (not after the busy timeout) while another process opening the same
        new file holds it: wait for that like the busy timeout would, then say what is wrong."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                await self._db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise StoreError(f"{self.path} is not a paperbot database: {exc}") from exc
                if time.monotonic() > deadline:
                    raise StoreError(f"{self.path}: {exc} (another process holds it)") from exc
                await asyncio.sleep(0.05)
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{self.path} is not a paperbot database: {exc}") from exc

    async def _migrate(self) -> None:
        db = self._db
        await db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        rows = await db.execute_fetchall("SELECT max(version) FROM schema_version")
        current = rows[0][0] or 0  # type: ignore[index]
        if current > LATEST:
            raise StoreError(
                f"{self.path} has schema version {current}, newer than this paperbot understands "
                f"(up to {LATEST}); upgrade paperbot or point --db at another file"
            )
        for migration in migrations():
            if migration.version <= current:
                continue
            async with self.transaction():  # BEGIN IMMEDIATE: a second process opening the file waits here …
                found = list(await db.execute_fetchall("SELECT max(version) FROM schema_version"))
                if (found[0][0] or 0) >= migration.version:
                    continue  # … and finds the migration applied by the first
                for statement in _statements(migration.sql):
                    await db.execute(statement)
                await db.execute("INSERT INTO schema_version(version) VALUES (?)", (migration.version,))
        await self._migrated(current)

    async def _migrated(self, previous: int) -> None:
        """Data fix-ups after the schema moved on from ``previous`` (the mixins extend this)."""

    async def schema_version(self) -> int:
        rows = await self._db.execute_fetchall("SELECT max(version) FROM schema_version")
        return rows[0][0] or 0  # type: ignore[index]

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _make_parent(path: str) -> None:
    Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (``sqlite3.complete_statement`` aware)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        if not buffer and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
