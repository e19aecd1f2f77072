"""The index layout before migration 0012, as a store: the baseline ``bench.store`` ingests the same
digests into, in the same run.

Every migration but 0012, so the layout of 0011 (a raw trigram table ``papers_fts`` besides ``papers_words``, every
FTS table keeping its own copy of the text, ``papers_ko``/``titles_ko`` filled from ``papers_fts``
through a pending list when a transaction commits, one-character word prefixes), written the way
the store wrote it then: one transaction per digest, even in bulk mode. Ingest itself (the plan,
papers, links, authors) is today's code, so the two stores differ in their index layout only.
Searching it with today's code is not possible (search reads ``paper_text``); the previous search
path (:func:`bench.store.legacy_search`) runs on it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

import aiosqlite

from storage.fts import korean_index_text
from storage.migrations import migrations
from storage.sqlite import SQLiteStore
from storage.sqlite.db import Database, _statements, chunks, marks
from storage.sqlite.index import IndexRow

LAYOUT_MIGRATION = 12  # the one left out
FTS_TABLES = ("papers_fts", "papers_words")


class BaselineLayoutStore(SQLiteStore):
    async def _migrate(self) -> None:
        db = self._db
        await db.create_function("korean_index_text", 1, korean_index_text, deterministic=True)
        await db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        for migration in migrations():
            if migration.version == LAYOUT_MIGRATION:
                continue
            async with Database.transaction(self):
                for statement in _statements(migration.sql):
                    await db.execute(statement)
                await db.execute("INSERT INTO schema_version(version) VALUES (?)", (migration.version,))

    def _queue_index(self, rows: Sequence[IndexRow]) -> None:
        self.__dict__.setdefault("_legacy_rows", []).extend(rows)

    async def _write_legacy(self) -> None:
        """What ``_reindex`` wrote before 0012: both word tables right away (here: at the end of the
        digest's statements, the same order), the Korean tables from papers_fts at commit."""
        rows: list[IndexRow] = self.__dict__.pop("_legacy_rows", [])
        db = self._db
        if rows:
            ids = [r[0] for r in rows]
            for chunk in chunks(ids):
                await db.execute(f"DELETE FROM papers_fts WHERE rowid IN ({marks(len(chunk))})", chunk)
                await db.execute(f"DELETE FROM papers_words WHERE rowid IN ({marks(len(chunk))})", chunk)
            await db.executemany("INSERT INTO papers_fts(rowid, title, authors, body) VALUES (?, ?, ?, ?)", rows)
            await db.executemany("INSERT INTO papers_words(rowid, title, authors, body) VALUES (?, ?, ?, ?)", rows)
        found = await db.execute_fetchall("SELECT 1 FROM papers_ko_pending LIMIT 1")
        if not list(found):
            return
        for table in ("papers_ko", "titles_ko"):
            await db.execute(f"DELETE FROM {table} WHERE rowid IN (SELECT paper_id FROM papers_ko_pending)")
        await db.execute(
            "INSERT INTO papers_ko(rowid, title, body)"
            " SELECT f.rowid, korean_index_text(f.title), korean_index_text(f.body)"
            " FROM papers_ko_pending p CROSS JOIN papers_fts f ON f.rowid = p.paper_id"
        )
        await db.execute(
            "INSERT INTO titles_ko(rowid, title) SELECT k.rowid, k.title"
            " FROM papers_ko_pending p CROSS JOIN papers_ko k ON k.rowid = p.paper_id"
        )
        await db.execute("DELETE FROM papers_ko_pending")

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with Database.transaction(self) as db:
            yield db
            await self._write_legacy()

    @contextlib.asynccontextmanager
    async def bulk(self) -> AsyncIterator[None]:
        db = self._db
        for table in FTS_TABLES:
            await db.execute(f"INSERT INTO {table}({table}, rank) VALUES ('automerge', 0)")
            await db.execute(f"INSERT INTO {table}({table}, rank) VALUES ('crisismerge', 100000)")
        try:
            yield
        finally:
            async with self._write:
                for table in FTS_TABLES:
                    await db.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
                    await db.execute(f"INSERT INTO {table}({table}, rank) VALUES ('automerge', 4)")
                    await db.execute(f"INSERT INTO {table}({table}, rank) VALUES ('crisismerge', 16)")
