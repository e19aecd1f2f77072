"""The search indexes' writes (layout of migration 0012): what a paper is indexed as, and when.

``paper_text`` holds each paper's indexed text once (title, authors, summary body); ``papers_words``
(words, external content over ``paper_text``), ``titles_words`` (the titles' words, contentless,
migration 0016), ``papers_ko`` and ``titles_ko`` (trigrams of the text with whitespace removed,
contentless) and ``authors_fts`` index it; ``ko_trigrams`` lists every trigram ``papers_ko`` holds
(two-character Korean terms are looked up in it) and ``long_words`` every ``papers_words`` word
longer than its prefix indexes (a long search word is looked up in it, to name its forms), as
FTS5 itself cuts the text (through ``temp.new_words``, emptied at once). A write transaction
collects the papers it reindexes and writes the indexes just before it commits: FTS5 then writes
one index segment per table for the whole transaction (it flushes its pending data at every
statement savepoint, so index writes interleaved with the ingest's other statements would write
one per statement).

Backfills (:meth:`IndexMixin.bulk`) also group digests into transactions of about
:data:`BATCH_PAPERS` papers, each digest in a savepoint of its own (a digest that fails is rolled
back alone), and merge each index into one segment at the end.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Sequence
from typing import Any

import aiosqlite

from bot.store import StoreError
from storage.fts import korean_index_text
from storage.sqlite.db import Database, chunks, marks

FTS_TABLES = ("papers_words", "titles_words", "papers_ko", "titles_ko", "authors_fts")
BATCH_PAPERS = 1000  # papers per transaction in a backfill
LONG_WORD = 7  # characters: papers_words has prefix indexes up to 6 (migration 0012); long_words (0016)
_NEW_WORDS = ("CREATE VIRTUAL TABLE IF NOT EXISTS temp.new_words USING fts5(title, authors, body, content = '',"
              " tokenize = 'unicode61 remove_diacritics 2', detail = none)",
              "CREATE VIRTUAL TABLE IF NOT EXISTS temp.new_words_vocab USING fts5vocab(temp, new_words, 'row')")

IndexRow = tuple[int, str, str, str]  # (paper id, title, authors joined with ", ", summary body)


class IndexMixin(Database):
    _bulk = False  # in a backfill: transactions are batched
    _batch_open = False  # a backfill's batch transaction is open

    @property
    def _pending(self) -> dict[int, IndexRow]:
        """Papers to (re)index when the transaction commits, by id (the last text wins)."""
        pending: dict[int, IndexRow] = self.__dict__.setdefault("_pending_rows", {})
        return pending

    async def _migrate(self) -> None:
        # migration 0012 indexes the stored papers with it
        await self._db.create_function("korean_index_text", 1, korean_index_text, deterministic=True)
        await super()._migrate()

    def _queue_index(self, rows: Sequence[IndexRow]) -> None:
        """Index these papers' texts when the current write transaction commits."""
        self._pending.update((row[0], row) for row in rows)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        if self._bulk:
            async with self._batched() as db:
                yield db
            return
        try:
            async with super().transaction() as db:
                yield db
                await self._write_index()
        finally:
            self._pending.clear()

    @contextlib.asynccontextmanager
    async def _batched(self) -> AsyncIterator[aiosqlite.Connection]:
        """One backfill step: a savepoint in the open batch; the batch commits past BATCH_PAPERS."""
        db = self._db
        async with self._write:
            if not self._batch_open:
                try:
                    await db.execute("BEGIN IMMEDIATE")
                except BaseException:  # cancelled while it waits for another process: it still runs, then this
                    await self._rollback()  # ends it (else every later BEGIN fails; see Database._rollback)
                    raise
                self._batch_open = True
            before = dict(self._pending)
            await db.execute("SAVEPOINT step")
            try:
                yield db
            except BaseException:
                await db.execute("ROLLBACK TO step")
                await db.execute("RELEASE step")
                self._pending.clear()
                self._pending.update(before)
                raise
            await db.execute("RELEASE step")
            if len(self._pending) >= BATCH_PAPERS:
                await self._commit_batch()

    async def _commit_batch(self) -> None:
        if self._batch_open:
            papers = len(self._pending)
            try:
                await self._write_index()
                await self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                await self._db.execute("ROLLBACK")
                raise StoreError(f"the last {papers:,} papers of this backfill were not stored ({exc}); "
                                 "ingesting the same files again stores them") from exc
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            finally:
                self._batch_open = False
                self._pending.clear()

    @contextlib.asynccontextmanager
    async def bulk(self) -> AsyncIterator[None]:
        """Backfill mode for many digests at once (``paperbot ingest FOLDER``, benchmarks).

        Transactions are batched (see the module), FTS5's merging waits, and one ``optimize`` at the
        end leaves each index as a single segment (the fastest to search). A digest that fails is
        rolled back alone and the others stay stored (unless a batch's COMMIT itself fails: then the
        batch's digests are not stored and the error says so); the settings are restored either way.
        """
        db = self._db
        async with self._write:
            for table in FTS_TABLES:
                await db.execute(f"INSERT INTO {table}({table}, rank) VALUES ('automerge', 0)")
                await db.execute(f"INSERT INTO {table}({table}, rank) VALUES ('crisismerge', 100000)")
        self._bulk = True
        try:
            yield
        finally:
            self._bulk = False
            async with self._write:
                await self._commit_batch()
                for table in FTS_TABLES:
                    await db.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
                    await db.execute(f"INSERT INTO {table}({table}, rank) VALUES ('automerge', 4)")
                    await db.execute(f"INSERT INTO {table}({table}, rank) VALUES ('crisismerge', 16)")

    async def _write_index(self) -> None:
        """Write the pending papers' index entries: first remove what each indexed before (FTS5's
        'delete' needs the old text, from ``paper_text``), then add the new text. Single-row
        statements only, so FTS5 keeps everything pending until the commit."""
        rows = list(self._pending.values())
        self._pending.clear()
        db = self._db
        if not rows:
            return
        old: list[Any] = []
        for chunk in chunks([r[0] for r in rows]):
            old += await db.execute_fetchall(
                f"SELECT id, title, authors, body FROM paper_text WHERE id IN ({marks(len(chunk))})", chunk
            )
        ko = [(i, korean_index_text(t), korean_index_text(b)) for i, t, _, b in rows]
        # first: a REPLACE (or IGNORE) may open a statement savepoint, which would flush FTS5's pending data
        await db.executemany("INSERT OR REPLACE INTO paper_text(id, title, authors, body) VALUES (?, ?, ?, ?)",
                             rows)
        await db.executemany("INSERT OR IGNORE INTO ko_trigrams(gram) VALUES (?)", trigrams(ko))
        for statement in _NEW_WORDS:  # the connection's own: papers_words' tokenizer, words only
            await db.execute(statement)
        await db.executemany("INSERT INTO new_words(rowid, title, authors, body) VALUES (?, ?, ?, ?)", rows)
        await db.execute("INSERT OR IGNORE INTO long_words(term)"
                         f" SELECT term FROM new_words_vocab WHERE length(term) >= {LONG_WORD}")
        await db.execute("INSERT INTO new_words(new_words) VALUES ('delete-all')")
        if old:
            ko_old = [(i, korean_index_text(t), korean_index_text(b)) for i, t, _, b in old]
            await db.executemany("INSERT INTO papers_words(papers_words, rowid, title, authors, body)"
                                 " VALUES ('delete', ?, ?, ?, ?)", old)
            await db.executemany("INSERT INTO titles_words(titles_words, rowid, title) VALUES ('delete', ?, ?)",
                                 [(i, t) for i, t, _, _ in old])
            await db.executemany("INSERT INTO papers_ko(papers_ko, rowid, title, body)"
                                 " VALUES ('delete', ?, ?, ?)", ko_old)
            await db.executemany("INSERT INTO titles_ko(titles_ko, rowid, title) VALUES ('delete', ?, ?)",
                                 [(i, t) for i, t, _ in ko_old])
        await db.executemany("INSERT INTO papers_words(rowid, title, authors, body) VALUES (?, ?, ?, ?)", rows)
        await db.executemany("INSERT INTO titles_words(rowid, title) VALUES (?, ?)", [(r[0], r[1]) for r in rows])
        await db.executemany("INSERT INTO papers_ko(rowid, title, body) VALUES (?, ?, ?)", ko)
        await db.executemany("INSERT INTO titles_ko(rowid, title) VALUES (?, ?)", [(i, t) for i, t, _ in ko])


def trigrams(ko: Sequence[tuple[int, str, str]]) -> list[tuple[str]]:
    """The distinct trigrams of ``papers_ko`` rows (id, title, body), as its tokenizer cuts each column."""
    grams: set[str] = set()
    for _, *texts in ko:
        for text in texts:
            grams.update(text[i : i + 3] for i in range(len(text) - 2))
    return [(g,) for g in grams]


def index_row(paper_id: int, title: str, authors: Sequence[str], body: str) -> IndexRow:
    """What the indexes hold for a paper (``body``: its summaries, as storage/sqlite/papers.py passes them)."""
    return paper_id, title, ", ".join(authors), body

