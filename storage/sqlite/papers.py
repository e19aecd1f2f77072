"""Papers and digests: ingest (one transaction per digest, batched statements) and reads."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from typing import Any

from bot.models import Digest, Paper
from bot.store import IngestReport, StoredDigest, StoredPaper
from storage.ingest_plan import plan_ingest
from storage.sqlite.db import chunks, marks
from storage.sqlite.index import IndexMixin, index_row
from storage.sqlite.rows import DIGEST_PAPER_COLUMNS, PAPER_COLUMNS, Sections, json_sections, row_paper


class PapersMixin(IndexMixin):
    async def ingest(self, digest: Digest, *, source: str = "") -> IngestReport:
        async with self.transaction():
            return await self._ingest(digest, source)

    async def _ingest(self, digest: Digest, source: str) -> IngestReport:
        db = self._db
        date = digest.date.isoformat()
        ids = [p.arxiv_id for p in digest.papers]
        existing: dict[str, tuple[Any, ...]] = {}
        for chunk in chunks(ids):
            rows = await db.execute_fetchall(
                f"SELECT {PAPER_COLUMNS} FROM papers p WHERE p.arxiv_id IN ({marks(len(chunk))})", chunk
            )
            existing.update((row[1], tuple(row)) for row in rows)
        await db.execute("INSERT OR IGNORE INTO digests(date, source) VALUES (?, ?)", (date, source))
        rows = await db.execute_fetchall(
            "SELECT paper_id FROM digest_papers WHERE date = ?", (date,)
        )
        already_linked = {row[0] for row in rows}
        texts: dict[int, dict[Any, Sections | None]] = {row[0]: {} for row in existing.values()}
        for chunk in chunks(list(texts)):
            rows = await db.execute_fetchall(
                f"SELECT paper_id, date, sections FROM digest_papers WHERE paper_id IN ({marks(len(chunk))})", chunk
            )
            for pid, day, sections in rows:
                texts[pid][day] = None if sections is None else json_sections(sections)
        rows = await db.execute_fetchall(
            "SELECT coalesce(max(position), -1) FROM digest_papers WHERE date = ?", (date,)
        )
        next_position = rows[0][0] + 1  # type: ignore[index]
        rows = await db.execute_fetchall("SELECT coalesce(max(id), 0) FROM papers")
        new_ids = itertools.count(rows[0][0] + 1)  # type: ignore[index]
        plan = plan_ingest(digest, date, existing, already_linked, next_position, new_ids.__next__, texts)
        if plan.votes:
            await db.executemany(
                "UPDATE digest_papers SET votes = ?1 WHERE date = ?2 AND paper_id = ?3 AND votes IS NOT ?1", plan.votes
            )
        if plan.inserts:
            await db.executemany(
                "INSERT INTO papers(id, arxiv_id, url, title, thumbnail, votes, authors, sections, links, last_date,"
                " media) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                plan.inserts,
            )
        if plan.updates:
            await db.executemany(
                "UPDATE papers SET arxiv_id = ?, url = ?, title = ?, thumbnail = ?, votes = ?, authors = ?,"
                " sections = ?, links = ?, last_date = ?, media = ? WHERE id = ?",
                plan.updates,
            )
        if plan.links:
            await db.executemany(
                "INSERT INTO digest_papers(date, position, paper_id, votes, sections) VALUES (?, ?, ?, ?, ?)",
                plan.links,
            )
        if plan.day_texts:
            await db.executemany(
                "UPDATE digest_papers SET sections = ? WHERE date = ? AND paper_id = ?", plan.day_texts
            )
        if plan.reindex:
            await self._reindex(plan.reindex)
        if plan.changed:
            await db.execute("UPDATE digests SET source = ? WHERE date = ? AND ? != ''", (source, date, source))
        return plan.report(digest)

    async def _reindex(self, papers: list[tuple[int, Paper, str]]) -> None:
        """``(id, paper, body)`` as the ingest plan gives them: ``body`` is the summaries to index (older
        digests' texts too). The search indexes are written when the transaction commits (storage/sqlite/index.py)."""
        db = self._db
        ids = [pid for pid, _, _ in papers]
        for chunk in chunks(ids):
            await db.execute(f"DELETE FROM paper_authors WHERE paper_id IN ({marks(len(chunk))})", chunk)
        self._queue_index([index_row(pid, p.title, p.authors, body) for pid, p, body in papers])
        names = list(dict.fromkeys(a for _, p, _ in papers for a in p.authors))
        found_max = list(await db.execute_fetchall("SELECT coalesce(max(id), 0) FROM authors"))
        newest = found_max[0][0]
        await db.executemany("INSERT OR IGNORE INTO authors(name) VALUES (?)", [(n,) for n in names])
        # one statement, not a trigger per row: FTS5 flushes pending data at every statement savepoint
        await db.execute("INSERT INTO authors_fts(rowid, name) SELECT id, name FROM authors WHERE id > ?", (newest,))
        author_ids: dict[str, int] = {}
        for chunk in chunks(names):
            found = await db.execute_fetchall(
                f"SELECT name, id FROM authors WHERE name IN ({marks(len(chunk))})", chunk
            )
            author_ids.update((row[0], row[1]) for row in found)
        await db.executemany(
            "INSERT INTO paper_authors(paper_id, position, author_id) VALUES (?, ?, ?)",
            [(pid, i, author_ids[a]) for pid, p, _ in papers for i, a in enumerate(p.authors)],
        )

    async def digest_dates(self) -> list[dt.date]:
        rows = await self._db.execute_fetchall("SELECT date FROM digests ORDER BY date")
        return [dt.date.fromisoformat(r[0]) for r in rows]

    async def digest(self, date: dt.date | None = None) -> StoredDigest | None:
        db = self._db
        if date is None:
            rows = await db.execute_fetchall("SELECT max(date) FROM digest_papers")
            if not rows or rows[0][0] is None:  # type: ignore[index]
                rows = await db.execute_fetchall("SELECT max(date) FROM digests")
            if not rows or rows[0][0] is None:  # type: ignore[index]
                return None
            day = rows[0][0]  # type: ignore[index]
        else:
            day = date.isoformat()
            rows = await db.execute_fetchall("SELECT 1 FROM digests WHERE date = ?", (day,))
            if not rows:
                return None
        rows = await db.execute_fetchall(
            f"SELECT {DIGEST_PAPER_COLUMNS} FROM digest_papers d JOIN papers p ON p.id = d.paper_id"
            " WHERE d.date = ? ORDER BY d.position",
            (day,),
        )
        papers = await self._stored(rows)
        return StoredDigest(dt.date.fromisoformat(day), tuple(papers))

    async def paper(self, arxiv_id: str) -> StoredPaper | None:
        rows = await self._db.execute_fetchall(
            f"SELECT {PAPER_COLUMNS} FROM papers p WHERE p.arxiv_id = ?", (arxiv_id,)
        )
        papers = await self._stored(rows)
        return papers[0] if papers else None

    async def _stored(self, rows: Iterable[Any]) -> list[StoredPaper]:
        rows = list(rows)
        dates: dict[int, list[dt.date]] = {row[0]: [] for row in rows}
        for chunk in chunks(list(dates)):
            found = await self._db.execute_fetchall(
                f"SELECT paper_id, date FROM digest_papers WHERE paper_id IN ({marks(len(chunk))}) ORDER BY date",
                chunk,
            )
            for pid, day in found:
                dates[pid].append(dt.date.fromisoformat(day))
        return [StoredPaper(row_paper(row), tuple(dates[row[0]])) for row in rows]
