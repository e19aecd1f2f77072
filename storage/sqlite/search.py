"""Keyword and author search over the FTS5 indexes (trigram for substrings, words for Latin terms)."""

from __future__ import annotations

import json
import sqlite3

from bot.store import QueryError, SearchHit, SearchPage
from bot.text import word_tokens
from storage import fts
from storage.sqlite.db import Database, marks
from storage.sqlite.rows import PAPER_COLUMNS

HL_START, HL_END = "\ue000", "\ue001"  # snippet markers, private-use characters
#: bm25 weights for (title, authors, body): the title counts most, then authors
_WEIGHTS = "10.0, 4.0, 1.0"
COUNT_CAP = 1000  # totals past this are reported as COUNT_CAP + 1 ("1,000+")



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




class SearchMixin(Database):
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
            f"SELECT {PAPER_COLUMNS} FROM papers p WHERE p.id IN ({marks(len(ids))})", ids
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
            f"SELECT {PAPER_COLUMNS} FROM papers p WHERE p.id IN ({marks(len(page))})", page
        )
        by_id = {row[0]: row for row in found}
        links = await self._db.execute_fetchall(
            f"SELECT paper_id, author_id FROM paper_authors WHERE paper_id IN ({marks(len(page))})", page
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
