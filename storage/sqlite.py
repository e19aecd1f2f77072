"""The SQLite implementation of :class:`storage.base.Store` (aiosqlite, WAL, FTS5).

Writes go through one connection, serialised by a lock, each ingest in one transaction
built from a handful of batched statements (aiosqlite runs every call on its thread, so
per-row calls would dominate the cost).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from bot import matching
from bot.models import Digest, Paper
from bot.text import fold, word_tokens
from storage import fts
from storage.base import (
    Claim,
    IngestReport,
    QueryError,
    RunRecord,
    Schedule,
    SearchHit,
    SearchPage,
    StoredDigest,
    StoredPaper,
    StoreError,
    Subscription,
)
from storage.migrations import LATEST, migrations

HL_START, HL_END = "\ue000", "\ue001"  # snippet markers, private-use characters
_PAPER_COLUMNS = "p.id, p.arxiv_id, p.url, p.title, p.thumbnail, p.votes, p.authors, p.sections, p.links, p.last_date"
_CHUNK = 900  # bound variables per IN (...) list
_FTS_TABLES = ("papers_fts", "papers_words")
#: bm25 weights for (title, authors, body): the title counts most, then authors
_WEIGHTS = "10.0, 4.0, 1.0"
COUNT_CAP = 1000  # totals past this are reported as COUNT_CAP + 1 ("1,000+")


def search_body(paper: Paper) -> str:
    """The text the search indexes for a paper's summaries."""
    return "\n".join(text for _, text in paper.sections)


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _marks(n: int) -> str:
    return ",".join("?" * n)


def split_snippet(text: str) -> tuple[tuple[str, bool], ...]:
    """An FTS5 snippet with our markers → ``(text, is_match)`` segments."""
    segments: list[tuple[str, bool]] = []
    rest = text
    while rest:
        start = rest.find(HL_START)
        if start < 0:
            segments.append((rest, False))
            break
        if start:
            segments.append((rest[:start], False))
        end = rest.find(HL_END, start)
        if end < 0:
            segments.append((rest[start + 1 :], True))
            break
        segments.append((rest[start + 1 : end], True))
        rest = rest[end + 1 :]
    merged: list[tuple[str, bool]] = []
    for seg in segments:
        if merged and merged[-1][1] == seg[1]:
            merged[-1] = (merged[-1][0] + seg[0], seg[1])
        elif seg[0]:
            merged.append(seg)
    return tuple(merged)


class SQLiteStore:
    """Open with ``await SQLiteStore.open(path)``; close with ``await store.close()``."""

    def __init__(self, db: aiosqlite.Connection, path: str) -> None:
        self._db = db
        self.path = path
        self._write = asyncio.Lock()

    # -- lifecycle -----------------------------------------------------------------
    @classmethod
    async def open(cls, path: str | os.PathLike[str]) -> SQLiteStore:
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
        try:
            await db.execute("PRAGMA journal_mode = WAL")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a paperbot database: {exc}") from exc
        await db.execute("PRAGMA foreign_keys = ON")
        await db.execute("PRAGMA synchronous = NORMAL")
        await db.execute("PRAGMA busy_timeout = 5000")
        await self._migrate()

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
            await db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _statements(migration.sql):
                    await db.execute(statement)
                await db.execute("INSERT INTO schema_version(version) VALUES (?)", (migration.version,))
                await db.execute("COMMIT")
            except BaseException:
                await db.execute("ROLLBACK")
                raise
        if current < 4 <= LATEST:  # subscriptions stored before 0004 get their index gram
            rows = await db.execute_fetchall("SELECT id, kind, term_key FROM subscriptions WHERE gram = ''")
            for sub_id, kind, key in rows:
                gram = await self._gram(kind, key)
                await db.execute("UPDATE subscriptions SET gram = ? WHERE id = ?", (gram, sub_id))

    async def schema_version(self) -> int:
        rows = await self._db.execute_fetchall("SELECT max(version) FROM schema_version")
        return rows[0][0] or 0  # type: ignore[index]

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> SQLiteStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- ingest --------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def bulk(self) -> AsyncIterator[None]:
        """Backfill mode for many digests at once (``paperbot ingest FOLDER``, benchmarks).

        FTS5 normally merges index segments a little at every commit; here merging waits,
        and one ``optimize`` at the end leaves each index as a single segment (the fastest to
        search). Measured on 5,000 Korean-English papers: 1,330 → 2,460 papers/s, merge
        included. The settings are restored even if an ingest fails.
        """
        db = self._db
        for table in _FTS_TABLES:
            await db.execute(f"INSERT INTO {table}({table}, rank) VALUES ('automerge', 0)")
            await db.execute(f"INSERT INTO {table}({table}, rank) VALUES ('crisismerge', 100000)")
        try:
            yield
        finally:
            async with self._write:
                for table in _FTS_TABLES:
                    await db.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
                    await db.execute(f"INSERT INTO {table}({table}, rank) VALUES ('automerge', 4)")
                    await db.execute(f"INSERT INTO {table}({table}, rank) VALUES ('crisismerge', 16)")

    async def ingest(self, digest: Digest, *, source: str = "") -> IngestReport:
        async with self._write:
            db = self._db
            await db.execute("BEGIN IMMEDIATE")
            try:
                report = await self._ingest(digest, source)
                await db.execute("COMMIT")
            except BaseException:
                await db.execute("ROLLBACK")
                raise
            return report

    async def _ingest(self, digest: Digest, source: str) -> IngestReport:
        db = self._db
        date = digest.date.isoformat()
        ids = [p.arxiv_id for p in digest.papers]
        existing: dict[str, tuple[Any, ...]] = {}
        for chunk in _chunks(ids):
            rows = await db.execute_fetchall(
                f"SELECT {_PAPER_COLUMNS} FROM papers p WHERE p.arxiv_id IN ({_marks(len(chunk))})", chunk
            )
            existing.update((row[1], tuple(row)) for row in rows)
        await db.execute("INSERT OR IGNORE INTO digests(date, source) VALUES (?, ?)", (date, source))
        rows = await db.execute_fetchall(
            "SELECT paper_id FROM digest_papers WHERE date = ?", (date,)
        )
        already_linked = {row[0] for row in rows}
        rows = await db.execute_fetchall(
            "SELECT coalesce(max(position), -1) FROM digest_papers WHERE date = ?", (date,)
        )
        next_position = rows[0][0] + 1  # type: ignore[index]
        rows = await db.execute_fetchall("SELECT coalesce(max(id), 0) FROM papers")
        next_id = rows[0][0] + 1  # type: ignore[index]

        added: list[str] = []
        updated: list[str] = []
        linked: list[str] = []
        unchanged = 0
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        reindex: list[tuple[int, Paper]] = []
        links: list[tuple[Any, ...]] = []
        for paper in digest.papers:
            row = existing.get(paper.arxiv_id)
            if row is None:
                paper_id = next_id
                next_id += 1
                inserts.append((paper_id, *_paper_values(paper), date))
                reindex.append((paper_id, paper))
                added.append(paper.arxiv_id)
            else:
                paper_id = row[0]
                old = _row_paper(row)
                if date >= row[9]:
                    merged = _merge(old, paper)
                    if merged != old:
                        updates.append((*_paper_values(merged), date, paper_id))
                        if _search_text(merged) != _search_text(old):
                            reindex.append((paper_id, merged))
                        updated.append(paper.arxiv_id)
                    elif date != row[9]:
                        updates.append((*_paper_values(merged), date, paper_id))
                if paper_id in already_linked:
                    if paper.arxiv_id not in updated:
                        unchanged += 1
                elif paper.arxiv_id not in updated:
                    linked.append(paper.arxiv_id)
            if paper_id not in already_linked:
                links.append((date, next_position, paper_id, paper.votes))
                next_position += 1
                already_linked.add(paper_id)
            else:
                await db.execute(
                    "UPDATE digest_papers SET votes = ? WHERE date = ? AND paper_id = ? AND votes IS NOT ?",
                    (paper.votes, date, paper_id, paper.votes),
                )
        if inserts:
            await db.executemany(
                "INSERT INTO papers(id, arxiv_id, url, title, thumbnail, votes, authors, sections, links, last_date)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                inserts,
            )
        if updates:
            await db.executemany(
                "UPDATE papers SET arxiv_id = ?, url = ?, title = ?, thumbnail = ?, votes = ?, authors = ?,"
                " sections = ?, links = ?, last_date = ? WHERE id = ?",
                updates,
            )
        if links:
            await db.executemany(
                "INSERT INTO digest_papers(date, position, paper_id, votes) VALUES (?, ?, ?, ?)", links
            )
        if reindex:
            await self._reindex(reindex)
        if added or updated or linked:
            await db.execute("UPDATE digests SET source = ? WHERE date = ? AND ? != ''", (source, date, source))
        return IngestReport(digest.date, tuple(added), tuple(updated), tuple(linked), unchanged)

    async def _reindex(self, papers: list[tuple[int, Paper]]) -> None:
        db = self._db
        ids = [pid for pid, _ in papers]
        for chunk in _chunks(ids):
            marks = _marks(len(chunk))
            await db.execute(f"DELETE FROM papers_fts WHERE rowid IN ({marks})", chunk)
            await db.execute(f"DELETE FROM papers_words WHERE rowid IN ({marks})", chunk)
            await db.execute(f"DELETE FROM paper_authors WHERE paper_id IN ({marks})", chunk)
        rows = [(pid, p.title, ", ".join(p.authors), search_body(p)) for pid, p in papers]
        await db.executemany("INSERT INTO papers_fts(rowid, title, authors, body) VALUES (?, ?, ?, ?)", rows)
        await db.executemany("INSERT INTO papers_words(rowid, title, authors, body) VALUES (?, ?, ?, ?)", rows)
        names = list(dict.fromkeys(a for _, p in papers for a in p.authors))
        rows = await db.execute_fetchall("SELECT coalesce(max(id), 0) FROM authors")
        newest = rows[0][0]  # type: ignore[index]
        await db.executemany("INSERT OR IGNORE INTO authors(name) VALUES (?)", [(n,) for n in names])
        # one statement, not a trigger per row: FTS5 flushes pending data at every statement savepoint
        await db.execute("INSERT INTO authors_fts(rowid, name) SELECT id, name FROM authors WHERE id > ?", (newest,))
        author_ids: dict[str, int] = {}
        for chunk in _chunks(names):
            found = await db.execute_fetchall(
                f"SELECT name, id FROM authors WHERE name IN ({_marks(len(chunk))})", chunk
            )
            author_ids.update((row[0], row[1]) for row in found)
        await db.executemany(
            "INSERT INTO paper_authors(paper_id, position, author_id) VALUES (?, ?, ?)",
            [(pid, i, author_ids[a]) for pid, p in papers for i, a in enumerate(p.authors)],
        )

    # -- reads ---------------------------------------------------------------------
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
            f"SELECT {_PAPER_COLUMNS} FROM digest_papers d JOIN papers p ON p.id = d.paper_id"
            " WHERE d.date = ? ORDER BY d.position",
            (day,),
        )
        papers = await self._stored(rows)
        return StoredDigest(dt.date.fromisoformat(day), tuple(papers))

    async def paper(self, arxiv_id: str) -> StoredPaper | None:
        rows = await self._db.execute_fetchall(
            f"SELECT {_PAPER_COLUMNS} FROM papers p WHERE p.arxiv_id = ?", (arxiv_id,)
        )
        papers = await self._stored(rows)
        return papers[0] if papers else None

    async def _stored(self, rows: Iterable[Any]) -> list[StoredPaper]:
        rows = list(rows)
        dates: dict[int, list[dt.date]] = {row[0]: [] for row in rows}
        for chunk in _chunks(list(dates)):
            found = await self._db.execute_fetchall(
                f"SELECT paper_id, date FROM digest_papers WHERE paper_id IN ({_marks(len(chunk))}) ORDER BY date",
                chunk,
            )
            for pid, day in found:
                dates[pid].append(dt.date.fromisoformat(day))
        return [StoredPaper(_row_paper(row), tuple(dates[row[0]])) for row in rows]

    async def search(self, query: str, *, limit: int = 10, offset: int = 0) -> SearchPage:
        parsed = fts.keyword_query(query)
        tri, words = parsed.trigram_match(), parsed.words_match()
        extra = ""
        if tri is not None:
            table, params = "papers_fts", [tri]
            if words:  # `+` keeps FTS5 from probing the trigram index once per listed rowid
                extra = " AND +papers_fts.rowid IN (SELECT rowid FROM papers_words WHERE papers_words MATCH ?)"
                params.append(words)
        else:
            table, params = "papers_words", [words]
        where = f"{table} MATCH ?{extra}"
        try:
            total_rows = await self._db.execute_fetchall(
                f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {where} LIMIT {COUNT_CAP + 1})", params
            )
            total = total_rows[0][0]  # type: ignore[index]
            # bm25 must score every match; past COUNT_CAP matches, newest first costs O(limit)
            order = f"bm25({table}, {_WEIGHTS}), {table}.rowid DESC" if total <= COUNT_CAP else f"{table}.rowid DESC"
            top = await self._db.execute_fetchall(
                f"SELECT {table}.rowid, snippet({table}, -1, '{HL_START}', '{HL_END}', '…', 24)"
                f" FROM {table} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
                [*params, limit, offset],
            )
        except sqlite3.OperationalError as exc:
            raise QueryError(f"Could not search for {query!r}: {exc}") from exc
        ids = [row[0] for row in top]
        if not ids:
            return SearchPage((), total, offset, capped=total > COUNT_CAP)
        found = await self._db.execute_fetchall(
            f"SELECT {_PAPER_COLUMNS} FROM papers p WHERE p.id IN ({_marks(len(ids))})", ids
        )
        by_id = {row[0]: row for row in found}
        stored = await self._stored(by_id[pid] for pid in ids)
        hits = tuple(SearchHit(sp, split_snippet(row[1] or "")) for sp, row in zip(stored, top, strict=True))
        return SearchPage(hits, total, offset, capped=total > COUNT_CAP)

    async def search_authors(self, name: str, *, limit: int = 10, offset: int = 0) -> SearchPage:
        match, words = fts.author_query(name)
        rows = await self._db.execute_fetchall(
            "SELECT rowid, name FROM authors_fts WHERE authors_fts MATCH ? LIMIT 500", (match,)
        )
        if not rows:
            return SearchPage((), 0, offset)
        names = {row[0]: row[1] for row in rows}
        wanted = set(words)
        exact = {aid for aid, n in names.items() if wanted <= set(word_tokens(n))}
        m = json.dumps([(aid, int(aid in exact)) for aid in names])
        with_m = ("WITH m(aid, exact) AS"
                  " (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1)) ")
        distinct = "SELECT DISTINCT pa.paper_id FROM m JOIN paper_authors pa ON pa.author_id = m.aid"
        counts = await self._db.execute_fetchall(
            with_m + f"SELECT (SELECT count(*) FROM ({distinct} LIMIT {COUNT_CAP + 1})),"
            f" (SELECT count(*) FROM ({distinct} WHERE m.exact LIMIT {COUNT_CAP + 1}))",
            (m,),
        )
        total, n_exact = counts[0]  # type: ignore[index]
        want = offset + limit

        async def grouped(only_exact: bool) -> list[int]:  # sorts every matching paper: only for <= COUNT_CAP
            found = await self._db.execute_fetchall(
                with_m + "SELECT pa.paper_id FROM m JOIN paper_authors pa ON pa.author_id = m.aid"
                + (" WHERE m.exact" if only_exact else "")
                + " GROUP BY pa.paper_id ORDER BY max(m.exact) DESC, pa.paper_id DESC LIMIT ?2",
                (m, want),
            )
            return [r[0] for r in found]

        async def newest(only_exact: bool, skip: set[int]) -> list[int]:  # walks papers newest first: dense sets
            found = await self._db.execute_fetchall(
                with_m + "SELECT DISTINCT pa.paper_id FROM paper_authors pa WHERE +pa.author_id IN"
                f" (SELECT aid FROM m{' WHERE exact' if only_exact else ''}) ORDER BY pa.paper_id DESC LIMIT ?2",
                (m, want + len(skip)),
            )
            return [r[0] for r in found if r[0] not in skip]

        if total <= COUNT_CAP:
            order = await grouped(False)
        elif n_exact > COUNT_CAP:
            order = await newest(True, set())
        else:
            order = await grouped(True) if n_exact else []
            if len(order) < want:
                order += (await newest(False, set(order)))[: want - len(order)]
        page = order[offset:want]
        if not page:
            return SearchPage((), total, offset, capped=total > COUNT_CAP)
        found = await self._db.execute_fetchall(
            f"SELECT {_PAPER_COLUMNS} FROM papers p WHERE p.id IN ({_marks(len(page))})", page
        )
        by_id = {row[0]: row for row in found}
        links = await self._db.execute_fetchall(
            f"SELECT paper_id, author_id FROM paper_authors WHERE paper_id IN ({_marks(len(page))})", page
        )
        per_paper: dict[int, list[int]] = {}
        for pid, aid in links:
            if aid in names:
                per_paper.setdefault(pid, []).append(aid)
        stored = await self._stored(by_id[pid] for pid in page)
        hits = tuple(
            SearchHit(sp, (), tuple(names[a] for a in sorted(per_paper.get(pid, []), key=lambda a: a not in exact)))
            for sp, pid in zip(stored, page, strict=True)
        )
        return SearchPage(hits, total, offset, capped=total > COUNT_CAP)

    async def author_names(self, prefix: str, *, limit: int = 25) -> list[str]:
        if not word_tokens(prefix):
            rows = await self._db.execute_fetchall(
                "SELECT a.name FROM authors a JOIN paper_authors pa ON pa.author_id = a.id"
                " GROUP BY a.id ORDER BY count(*) DESC, a.name LIMIT ?",
                (limit,),
            )
        else:
            match, _ = fts.author_query(prefix)
            rows = await self._db.execute_fetchall(
                "SELECT name FROM authors_fts WHERE authors_fts MATCH ? ORDER BY rank LIMIT ?", (match, limit)
            )
        return [r[0] for r in rows]

    async def title_suggestions(self, text: str, *, limit: int = 25) -> list[str]:
        try:
            page = await self.search(text, limit=limit)
        except QueryError:
            rows = await self._db.execute_fetchall(
                "SELECT p.title FROM papers p ORDER BY p.last_date DESC, coalesce(p.votes, -1) DESC LIMIT ?",
                (limit,),
            )
            return [r[0] for r in rows]
        return [h.paper.paper.title for h in page.hits]

    # -- subscriptions ---------------------------------------------------------------
    async def _gram(self, kind: str, key: str) -> str:
        """The gram that indexes a subscription: for keywords, its rarest trigram in the papers."""
        if kind == "author":
            words = matching.author_grams(key)
            return words[0] if words else key
        grams = matching.keyword_grams(key)
        if len(grams) == 1:
            return grams[0]
        found = await self._db.execute_fetchall(
            f"SELECT term, doc FROM papers_fts_vocab WHERE term IN ({_marks(len(grams))})", grams
        )
        counts = dict(found)  # type: ignore[arg-type]
        return min(grams, key=lambda g: counts.get(g, 0))

    async def add_subscription(
        self, platform: str, subscriber: str, kind: str, term: str
    ) -> tuple[Subscription, bool]:
        key = fold(term)
        gram = await self._gram(kind, key)
        async with self._write:
            cursor = await self._db.execute(
                "INSERT OR IGNORE INTO subscriptions(platform, subscriber, kind, term, term_key, gram)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (platform, subscriber, kind, term, key, gram),
            )
            created = cursor.rowcount == 1
        rows = await self._db.execute_fetchall(
            f"SELECT {_SUB_COLUMNS} FROM subscriptions"
            " WHERE platform = ? AND subscriber = ? AND kind = ? AND term_key = ?",
            (platform, subscriber, kind, key),
        )
        return _subscription(rows[0]), created  # type: ignore[index]

    async def remove_subscription(self, platform: str, subscriber: str, kind: str, term: str) -> bool:
        async with self._write:
            cursor = await self._db.execute(
                "DELETE FROM subscriptions WHERE platform = ? AND subscriber = ? AND kind = ? AND term_key = ?",
                (platform, subscriber, kind, fold(term)),
            )
            return cursor.rowcount > 0

    async def subscriptions(self, platform: str, subscriber: str) -> list[Subscription]:
        rows = await self._db.execute_fetchall(
            f"SELECT {_SUB_COLUMNS} FROM subscriptions WHERE platform = ? AND subscriber = ? ORDER BY id",
            (platform, subscriber),
        )
        return [_subscription(r) for r in rows]

    async def all_subscriptions(self) -> list[Subscription]:
        rows = await self._db.execute_fetchall(f"SELECT {_SUB_COLUMNS} FROM subscriptions ORDER BY id")
        return [_subscription(r) for r in rows]

    async def subscription_candidates(self, keyword_grams: set[str], author_grams: set[str]) -> list[Subscription]:
        """One index lookup per gram (the grams drive the join; nothing is written)."""
        columns = ", ".join("s." + c.strip() for c in _SUB_COLUMNS.split(","))
        rows = await self._db.execute_fetchall(
            f"SELECT {columns} FROM json_each(?) g CROSS JOIN subscriptions s"
            " ON s.kind = 'keyword' AND s.gram = g.value"
            f" UNION ALL SELECT {columns} FROM json_each(?) g CROSS JOIN subscriptions s"
            " ON s.kind = 'author' AND s.gram = g.value",
            (json.dumps(list(keyword_grams), ensure_ascii=False), json.dumps(list(author_grams), ensure_ascii=False)),
        )
        return [_subscription(r) for r in rows]

    async def claim_alerts(self, platform: str, subscriber: str, post_key: str,
                           papers: dict[str, list[str]]) -> list[str]:
        now = _now()
        claimed: list[str] = []
        async with self._write:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                for arxiv_id, terms in papers.items():
                    cursor = await self._db.execute(
                        "INSERT OR IGNORE INTO alerted(platform, subscriber, arxiv_id, post_key, terms, at)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        (platform, subscriber, arxiv_id, post_key, json.dumps(terms, ensure_ascii=False), now),
                    )
                    if cursor.rowcount == 1:
                        claimed.append(arxiv_id)
                await self._db.execute("COMMIT")
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
        return claimed

    # -- delivery ledger ---------------------------------------------------------------
    async def claim_part(self, platform: str, target: str, post_key: str, part: int, nonce: str,
                         *, stale_after: float = 120.0, now: dt.datetime | None = None) -> Claim:
        db = self._db
        now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        async with self._write:
            cursor = await db.execute(
                "INSERT OR IGNORE INTO deliveries(platform, target, post_key, part, state, nonce, claimed_at)"
                " VALUES (?, ?, ?, ?, 'claimed', ?, ?)",
                (platform, target, post_key, part, nonce, now.isoformat()),
            )
            if cursor.rowcount == 1:
                return Claim("new", nonce)
            rows = await db.execute_fetchall(
                "SELECT state, nonce, message_id, thread_id, claimed_at FROM deliveries"
                " WHERE platform = ? AND target = ? AND post_key = ? AND part = ?",
                (platform, target, post_key, part),
            )
            state, old_nonce, message_id, thread_id, claimed_at = rows[0]  # type: ignore[index,misc]
            if state != "claimed":
                return Claim(state, old_nonce, message_id, thread_id)
            if (now - dt.datetime.fromisoformat(claimed_at)).total_seconds() < stale_after:
                return Claim("busy", old_nonce)
            cursor = await db.execute(  # take the stale claim over, atomically
                "UPDATE deliveries SET claimed_at = ? WHERE platform = ? AND target = ? AND post_key = ?"
                " AND part = ? AND state = 'claimed' AND claimed_at = ?",
                (now.isoformat(), platform, target, post_key, part, claimed_at),
            )
            return Claim("unknown" if cursor.rowcount == 1 else "busy", old_nonce)

    async def mark_sent(self, platform: str, target: str, post_key: str, part: int,
                        message_id: str, thread_id: str | None) -> None:
        async with self._write:
            await self._db.execute(
                "UPDATE deliveries SET state = 'sent', message_id = ?, thread_id = ?, sent_at = ?, error = NULL"
                " WHERE platform = ? AND target = ? AND post_key = ? AND part = ?",
                (message_id, thread_id, _now(), platform, target, post_key, part),
            )

    async def mark_failed(self, platform: str, target: str, post_key: str, part: int, error: str) -> None:
        async with self._write:
            await self._db.execute(
                "UPDATE deliveries SET state = 'failed', error = ? WHERE platform = ? AND target = ?"
                " AND post_key = ? AND part = ?",
                (error, platform, target, post_key, part),
            )

    async def sent_posts(self, platform: str, target: str) -> set[str]:
        rows = await self._db.execute_fetchall(
            "SELECT post_key FROM deliveries WHERE platform = ? AND target = ? GROUP BY post_key"
            " HAVING sum(state = 'claimed') = 0",
            (platform, target),
        )
        return {r[0] for r in rows}

    async def started_posts(self, platform: str, target: str) -> set[str]:
        rows = await self._db.execute_fetchall(
            "SELECT DISTINCT post_key FROM deliveries WHERE platform = ? AND target = ?", (platform, target)
        )
        return {r[0] for r in rows}

    async def posted_since(self, platform: str, target: str, prefix: str, since: dt.datetime) -> bool:
        """Whether a post whose key starts with ``prefix`` was claimed for ``target`` at or after ``since``."""
        rows = await self._db.execute_fetchall(
            "SELECT 1 FROM deliveries WHERE platform = ? AND target = ? AND post_key >= ? AND post_key < ?"
            " AND part = 0 AND claimed_at >= ? LIMIT 1",
            (platform, target, prefix, prefix + "\uffff", since.astimezone(dt.UTC).isoformat()),
        )
        return bool(rows)

    async def record_run(self, platform: str, target: str, post_key: str, outcome: str, detail: str = "") -> None:
        async with self._write:
            await self._db.execute(
                "INSERT INTO delivery_runs(platform, target, post_key, outcome, detail, at) VALUES (?, ?, ?, ?, ?, ?)",
                (platform, target, post_key, outcome, detail, _now()),
            )

    async def last_runs(self) -> list[RunRecord]:
        rows = await self._db.execute_fetchall(
            "SELECT platform, target, post_key, outcome, detail, at FROM delivery_runs r"
            " WHERE id = (SELECT max(id) FROM delivery_runs x WHERE x.platform = r.platform AND x.target = r.target)"
            " ORDER BY platform, target"
        )
        return [RunRecord(r[0], r[1], r[2], r[3], r[4], dt.datetime.fromisoformat(r[5])) for r in rows]

    async def set_unavailable(self, platform: str, target: str, reason: str) -> bool:
        async with self._write:
            cursor = await self._db.execute(
                "INSERT OR IGNORE INTO unavailable_channels(platform, target, reason, since) VALUES (?, ?, ?, ?)",
                (platform, target, reason, _now()),
            )
            return cursor.rowcount == 1

    async def unavailable(self, platform: str) -> dict[str, str]:
        rows = await self._db.execute_fetchall(
            "SELECT target, reason FROM unavailable_channels WHERE platform = ?", (platform,)
        )
        return {r[0]: r[1] for r in rows}

    # -- schedules -------------------------------------------------------------------
    async def set_schedule(self, schedule: Schedule) -> None:
        async with self._write:
            await self._db.execute(
                "INSERT INTO schedules(platform, channel, workspace, time, timezone, weekdays, top_n, min_votes,"
                " enabled, set_by, quiet, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, coalesce(?, strftime('%Y-%m-%dT%H:%M:%SZ')))"
                " ON CONFLICT(platform, channel) DO UPDATE SET workspace = excluded.workspace, time = excluded.time,"
                " timezone = excluded.timezone, weekdays = excluded.weekdays, top_n = excluded.top_n,"
                " min_votes = excluded.min_votes, enabled = excluded.enabled, set_by = excluded.set_by,"
                " quiet = excluded.quiet, updated_at = excluded.updated_at",
                (
                    schedule.platform,
                    schedule.channel,
                    schedule.workspace,
                    schedule.time.strftime("%H:%M"),
                    schedule.timezone,
                    ",".join(str(d) for d in schedule.weekdays),
                    schedule.top_n,
                    schedule.min_votes,
                    int(schedule.enabled),
                    schedule.set_by,
                    int(schedule.quiet),
                    schedule.since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if schedule.since else None,
                ),
            )
            # a schedule set again is a fresh start for a channel that was unavailable
            await self._db.execute(
                "DELETE FROM unavailable_channels WHERE platform = ? AND target = ?",
                (schedule.platform, schedule.channel),
            )

    async def schedule(self, platform: str, channel: str) -> Schedule | None:
        rows = await self._db.execute_fetchall(
            f"SELECT {_SCHEDULE_COLUMNS} FROM schedules WHERE platform = ? AND channel = ?", (platform, channel)
        )
        return _schedule(rows[0]) if rows else None  # type: ignore[index]

    async def schedules(self) -> list[Schedule]:
        rows = await self._db.execute_fetchall(f"SELECT {_SCHEDULE_COLUMNS} FROM schedules ORDER BY platform, channel")
        return [_schedule(r) for r in rows]


_SCHEDULE_COLUMNS = (
    "platform, channel, workspace, time, timezone, weekdays, top_n, min_votes, enabled, set_by, quiet, updated_at"
)
_SUB_COLUMNS = "id, platform, subscriber, kind, term, created_at, term_key, gram"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _schedule(row: Sequence[Any]) -> Schedule:
    return Schedule(
        platform=row[0],
        channel=row[1],
        workspace=row[2],
        time=dt.time.fromisoformat(row[3]),
        timezone=row[4],
        weekdays=tuple(int(d) for d in row[5].split(",") if d),
        top_n=row[6],
        min_votes=row[7],
        enabled=bool(row[8]),
        set_by=row[9],
        quiet=bool(row[10]),
        since=dt.datetime.strptime(row[11], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC),
    )


def _subscription(row: Sequence[Any]) -> Subscription:
    created = dt.datetime.fromisoformat(row[5])  # "…Z": aware UTC (strptime is 20x slower per row)
    return Subscription(row[0], row[1], row[2], row[3], row[4], created, row[6], row[7])


def _make_parent(path: str) -> None:
    Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _paper_values(paper: Paper) -> tuple[Any, ...]:
    return (
        paper.arxiv_id,
        paper.url,
        paper.title,
        paper.thumbnail,
        paper.votes,
        json.dumps(list(paper.authors), ensure_ascii=False),
        json.dumps([list(s) for s in paper.sections], ensure_ascii=False),
        json.dumps([list(link) for link in paper.links], ensure_ascii=False),
    )


def _row_paper(row: Sequence[Any]) -> Paper:
    return Paper(
        arxiv_id=row[1],
        url=row[2],
        title=row[3],
        thumbnail=row[4],
        votes=row[5],
        authors=tuple(json.loads(row[6])),
        sections=tuple((name, text) for name, text in json.loads(row[7])),
        links=tuple((label, url) for label, url in json.loads(row[8])),
    )


def _merge(old: Paper, new: Paper) -> Paper:
    """A paper seen again in a newer digest: newer values win, but nothing known is blanked."""
    return Paper(
        arxiv_id=old.arxiv_id,
        url=new.url or old.url,
        title=new.title or old.title,
        thumbnail=new.thumbnail or old.thumbnail,
        votes=new.votes if new.votes is not None else old.votes,
        authors=new.authors or old.authors,
        sections=new.sections or old.sections,
        links=new.links or old.links,
    )


def _search_text(paper: Paper) -> tuple[str, tuple[str, ...], str]:
    return paper.title, paper.authors, search_body(paper)


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
