"""Papers and digests on PostgreSQL: ingest (one transaction per digest) and reads."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Iterable
from typing import Any

import asyncpg

from bot.models import Digest, Paper
from bot.store import IngestReport, StoredDigest, StoredPaper
from storage.ingest_plan import plan_ingest
from storage.postgres.db import INGEST_LOCK, Database
from storage.postgres.rows import name_vector, pairs_vector, search_doc, words_vector
from storage.sqlite.rows import DIGEST_PAPER_COLUMNS, Sections, index_body, json_sections, row_paper

PAPER_COLUMNS = (
    "p.id, p.arxiv_id, p.url, p.title, p.thumbnail, p.votes, p.authors, p.sections, p.links, p.last_date, p.media"
)


class PapersMixin(Database):
    @contextlib.asynccontextmanager
    async def bulk(self) -> AsyncIterator[None]:
        """Backfill mode (``paperbot ingest FOLDER``): nothing to defer here, GIN indexes merge themselves."""
        yield

    async def _migrated(self, conn: asyncpg.Connection, previous: int) -> None:
        await super()._migrated(conn, previous)
        if previous and previous < 5:  # papers stored before 0003/0005: Korean search columns
            rows = await conn.fetch(f"SELECT {PAPER_COLUMNS} FROM papers p ORDER BY p.id")
            for start in range(0, len(rows), 2000):
                async with conn.transaction():
                    await reindex_papers(conn, [indexed(r[0], row_paper(r)) for r in rows[start : start + 2000]])

    async def ingest(self, digest: Digest, *, source: str = "") -> IngestReport:
        async with self.transaction() as conn:
            # one ingest at a time across processes (two bots fetching the same day)
            await conn.execute("SELECT pg_advisory_xact_lock($1)", INGEST_LOCK)
            return await self._ingest(conn, digest, source)

    async def _ingest(self, conn: asyncpg.Connection, digest: Digest, source: str) -> IngestReport:
        date = digest.date
        ids = [p.arxiv_id for p in digest.papers]
        rows = await conn.fetch(f"SELECT {PAPER_COLUMNS} FROM papers p WHERE p.arxiv_id = ANY($1::text[])", ids)
        existing: dict[str, tuple[Any, ...]] = {row[1]: tuple(row) for row in rows}
        await conn.execute("INSERT INTO digests(date, source) VALUES ($1, $2) ON CONFLICT DO NOTHING", date, source)
        already_linked = {r[0] for r in await conn.fetch("SELECT paper_id FROM digest_papers WHERE date = $1", date)}
        texts: dict[int, dict[Any, Sections | None]] = {row[0]: {} for row in existing.values()}
        if texts:
            for pid, day, sections in await conn.fetch(
                "SELECT paper_id, date, sections FROM digest_papers WHERE paper_id = ANY($1::bigint[])", list(texts)
            ):
                texts[pid][day] = None if sections is None else json_sections(sections)
        next_position = await conn.fetchval(
            "SELECT coalesce(max(position), -1) + 1 FROM digest_papers WHERE date = $1", date
        )
        new_count = sum(1 for p in dict.fromkeys(ids) if p not in existing)
        new_ids = iter(
            [r[0] for r in await conn.fetch(
                "SELECT nextval(pg_get_serial_sequence('papers', 'id')) FROM generate_series(1, $1)", new_count
            )]
        )

        plan = plan_ingest(digest, date, existing, already_linked, next_position, new_ids.__next__, texts)
        if plan.inserts:
            await conn.executemany(
                "INSERT INTO papers(id, arxiv_id, url, title, thumbnail, votes, authors, sections, links, last_date,"
                " media) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                plan.inserts,
            )
        if plan.updates:
            await conn.executemany(
                "UPDATE papers SET arxiv_id = $1, url = $2, title = $3, thumbnail = $4, votes = $5, authors = $6,"
                " sections = $7, links = $8, last_date = $9, media = $10 WHERE id = $11",
                plan.updates,
            )
        if plan.links:
            await conn.executemany(
                "INSERT INTO digest_papers(date, position, paper_id, votes, sections) VALUES ($1, $2, $3, $4, $5)",
                plan.links,
            )
        if plan.day_texts:
            await conn.executemany(
                "UPDATE digest_papers SET sections = $1 WHERE date = $2 AND paper_id = $3", plan.day_texts
            )
        if plan.votes:
            await conn.executemany(
                "UPDATE digest_papers SET votes = $1 WHERE date = $2 AND paper_id = $3 AND votes IS DISTINCT FROM $1",
                plan.votes,
            )
        if plan.reindex:
            await reindex_papers(conn, plan.reindex)
        if plan.changed:
            await conn.execute("UPDATE digests SET source = $1 WHERE date = $2 AND $1 <> ''", source, date)
        return plan.report(digest)

    async def digest_dates(self) -> list[dt.date]:
        return [r[0] for r in await self._pool.fetch("SELECT date FROM digests ORDER BY date")]

    async def digest(self, date: dt.date | None = None) -> StoredDigest | None:
        pool = self._pool
        if date is None:
            day = await pool.fetchval("SELECT max(date) FROM digest_papers")
            if day is None:
                day = await pool.fetchval("SELECT max(date) FROM digests")
            if day is None:
                return None
        else:
            day = date
            if await pool.fetchval("SELECT 1 FROM digests WHERE date = $1", day) is None:
                return None
        rows = await pool.fetch(
            f"SELECT {DIGEST_PAPER_COLUMNS} FROM digest_papers d JOIN papers p ON p.id = d.paper_id"
            " WHERE d.date = $1 ORDER BY d.position",
            day,
        )
        return StoredDigest(day, tuple(await self._stored(rows)))

    async def paper(self, arxiv_id: str) -> StoredPaper | None:
        rows = await self._pool.fetch(f"SELECT {PAPER_COLUMNS} FROM papers p WHERE p.arxiv_id = $1", arxiv_id)
        papers = await self._stored(rows)
        return papers[0] if papers else None

    async def _stored(self, rows: Iterable[Any]) -> list[StoredPaper]:
        rows = list(rows)
        dates: dict[int, list[dt.date]] = {row[0]: [] for row in rows}
        if dates:
            found = await self._pool.fetch(
                "SELECT paper_id, date FROM digest_papers WHERE paper_id = ANY($1::bigint[]) ORDER BY date",
                list(dates),
            )
            for pid, day in found:
                dates[pid].append(day)
        return [StoredPaper(row_paper(row), tuple(dates[row[0]])) for row in rows]


def indexed(pid: int, paper: Paper, older: Iterable[Sections] = ()) -> tuple[int, Paper, str]:
    """A :func:`reindex_papers` entry: the paper with its current text and ``older`` digests' texts."""
    return pid, paper, index_body(paper.sections, older)


async def reindex_papers(conn: asyncpg.Connection, papers: list[tuple[int, Paper, str]]) -> None:
    """(Re)build the search columns and author links of these papers: (id, paper, summaries to index)."""
    rows = []
    for pid, paper, body in papers:
        ko_title, ko_body, ko = search_doc(paper, body)
        rows.append((ko_title, ko_body, ko, pairs_vector(ko), words_vector(paper, body), pid))
    await conn.executemany(
        "UPDATE papers SET ko_title = $1, ko_body = $2, ko = $3, ko_pairs = $4::tsvector, words = $5::tsvector"
        " WHERE id = $6",
        rows,
    )
    await conn.execute(  # the vocabulary search expands prefixes over (migration 0013): titles' and summaries'
        "INSERT INTO search_words SELECT DISTINCT l.lexeme FROM papers p, unnest(ts_filter(p.words, '{a,c}')) l"
        " WHERE p.id = ANY($1::bigint[]) AND NOT EXISTS (SELECT 1 FROM search_words s WHERE s.word = l.lexeme)"
        " ON CONFLICT DO NOTHING", [pid for pid, _, _ in papers])
    await conn.execute("DELETE FROM paper_authors WHERE paper_id = ANY($1::bigint[])", [pid for pid, _, _ in papers])
    names = list(dict.fromkeys(a for _, p, _ in papers for a in p.authors))
    if not names:
        return
    await conn.executemany(
        "INSERT INTO authors(name, words) VALUES ($1, $2::tsvector) ON CONFLICT (name) DO NOTHING",
        [(n, name_vector(n)) for n in names],
    )
    author_ids = dict(await conn.fetch("SELECT name, id FROM authors WHERE name = ANY($1::text[])", names))
    await conn.executemany(
        "INSERT INTO paper_authors(paper_id, position, author_id) VALUES ($1, $2, $3)",
        [(pid, i, author_ids[a]) for pid, p, _ in papers for i, a in enumerate(p.authors)],
    )
