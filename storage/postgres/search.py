"""Keyword and author search on PostgreSQL, with the behaviour of the SQLite store.

- Terms of three or more characters that are not plain Latin words (Korean, ``GPT-4o``…)
  match as case-insensitive substrings: ``ILIKE`` over title, authors and summaries, served
  by a pg_trgm GIN index when the extension is installed.
- Latin words and shorter terms match word prefixes in a ``tsvector`` built from
  :func:`bot.text.word_tokens` (quoted Latin phrases as word sequences).
- Ranking: title over authors over summaries (10 : 4 : 1 per occurrence, and ``ts_rank``
  with the same order of weights); ties and counts past :data:`COUNT_CAP`, newest first.
- Authors: the folded words of each name, every query word a prefix of one of them; names
  whose words contain every query word whole come first.
"""

from __future__ import annotations

import re

import asyncpg

from bot.store import QueryError, SearchHit, SearchPage
from bot.text import word_tokens
from storage import fts
from storage.postgres.db import Database
from storage.postgres.papers import PAPER_COLUMNS
from storage.postgres.rows import words_query
from storage.sqlite.search import COUNT_CAP

#: ts_rank weights for {D, C, B, A}: summaries (C) 0.1, authors (B) 0.4, title (A) 1.0
_TS_WEIGHTS = "'{0.1, 0.1, 0.4, 1.0}'"
_SNIPPET_WORDS = 24


def like_pattern(term: str) -> str:
    """``term`` as an ILIKE substring pattern (its ``%``, ``_`` and ``\\`` are literal)."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _occurrences(column: str) -> str:
    return f"(length(lower({column})) - length(replace(lower({column}), t, ''))) / length(t)"


def _substring_rank(terms: str) -> str:
    """Occurrences of the (lowercased) ``terms`` in title, authors and summaries, weighted 10 : 4 : 1."""
    return (
        f"coalesce((SELECT sum(10 * {_occurrences('p.doc_title')} + 4 * {_occurrences('p.doc_authors')}"
        f" + {_occurrences('p.doc_body')}) FROM unnest({terms}) t), 0)"
    )


def snippet(texts: tuple[str, ...], query: fts.KeywordQuery) -> tuple[tuple[str, bool], ...]:
    """A short excerpt of the field with the most matches, matches marked (like FTS5's snippet)."""
    alternatives = [re.escape(t) for t in query.long_terms]
    alternatives += [r"(?<!\w)" + re.escape(w) + r"\w*" for w in query.short_terms]
    alternatives += [r"(?<!\w)" + re.escape(w) + r"(?!\w)" for p in query.phrases for w in p.split()]
    if not alternatives:
        return ()
    pattern = re.compile("|".join(sorted(alternatives, key=len, reverse=True)), re.IGNORECASE)
    counts = [len(pattern.findall(t)) for t in texts]
    text = texts[max(range(len(texts)), key=lambda i: (counts[i], -i))]
    first = pattern.search(text)
    if first is None:
        return ((text[:200], False),) if text else ()
    spans = [m.span() for m in re.finditer(r"\S+", text)]
    at = next((i for i, (s, e) in enumerate(spans) if e > first.start()), 0)
    lo = max(0, min(at - 3, len(spans) - _SNIPPET_WORDS))
    hi = min(len(spans), lo + _SNIPPET_WORDS)
    start, end = spans[lo][0], spans[hi - 1][1]
    part = text[start:end]
    segments: list[tuple[str, bool]] = [("…", False)] if lo > 0 else []
    pos = 0
    for m in pattern.finditer(part):
        if m.start() > pos:
            segments.append((part[pos : m.start()], False))
        if m.end() > m.start():
            segments.append((m.group(), True))
        pos = m.end()
    if pos < len(part):
        segments.append((part[pos:], False))
    if hi < len(spans):
        segments.append(("…", False))
    merged: list[tuple[str, bool]] = []
    for seg in segments:
        if merged and merged[-1][1] == seg[1]:
            merged[-1] = (merged[-1][0] + seg[0], seg[1])
        elif seg[0]:
            merged.append(seg)
    return tuple(merged)


class SearchMixin(Database):
    async def search(self, query: str, *, limit: int = 10, offset: int = 0) -> SearchPage:
        parsed = fts.keyword_query(query.replace("\x00", ""))  # PostgreSQL text holds no NUL
        words = words_query(parsed.short_terms, parsed.phrases)
        params: list[object] = []

        def arg(value: object, cast: str) -> str:
            params.append(value)
            return f"${len(params)}::{cast}"

        conditions, ranks = [], []
        if parsed.long_terms:
            conditions.append(f"p.doc ILIKE ALL({arg([like_pattern(t) for t in parsed.long_terms], 'text[]')})")
        if words:
            tsquery = arg(words, "tsquery")
            conditions.append(f"p.words @@ {tsquery}")
            ranks.append(f"10 * ts_rank({_TS_WEIGHTS}, p.words, {tsquery})")
        where = " AND ".join(conditions)
        count_params = list(params)
        if parsed.long_terms:
            ranks.append(_substring_rank(arg([t.lower() for t in parsed.long_terms], "text[]")))
        try:
            total = await self._pool.fetchval(
                f"SELECT count(*) FROM (SELECT 1 FROM papers p WHERE {where} LIMIT {COUNT_CAP + 1}) x", *count_params
            )
            # ranking scores every match: only for a bounded set, newest first past it
            order = f"{' + '.join(ranks)} DESC, p.id DESC" if total <= COUNT_CAP else "p.id DESC"
            rows = await self._pool.fetch(
                f"SELECT {PAPER_COLUMNS}, p.doc_title, p.doc_authors, p.doc_body FROM papers p WHERE {where}"
                f" ORDER BY {order} LIMIT {arg(limit, 'int')} OFFSET {arg(offset, 'int')}",
                *params,
            )
        except (asyncpg.PostgresError, asyncpg.DataError) as exc:
            raise QueryError(f"Could not search for {query!r}: {exc}") from exc
        stored = await self._stored(rows)
        hits = tuple(
            SearchHit(sp, snippet((row[11], row[12], row[13]), parsed)) for sp, row in zip(stored, rows, strict=True)
        )
        return SearchPage(hits, total, offset, capped=total > COUNT_CAP)

    async def _matching_authors(self, name: str, limit: int = 500) -> tuple[dict[int, str], set[int]]:
        """Author ids → names whose words start with every query word; the ids matching them whole."""
        _, words = fts.author_query(name)
        rows = await self._pool.fetch(
            "SELECT id, name FROM authors WHERE words @@ $1::tsquery ORDER BY id LIMIT $2",
            words_query(words), limit,
        )
        names = {row[0]: row[1] for row in rows}
        wanted = set(words)
        exact = {aid for aid, n in names.items() if wanted <= set(word_tokens(n))}
        return names, exact

    async def search_authors(self, name: str, *, limit: int = 10, offset: int = 0) -> SearchPage:
        names, exact = await self._matching_authors(name)
        if not names:
            return SearchPage((), 0, offset)
        ids = list(names)
        flags = [aid in exact for aid in ids]
        m = "unnest($1::bigint[], $2::bool[]) m(aid, exact)"
        distinct = f"SELECT DISTINCT pa.paper_id FROM {m} JOIN paper_authors pa ON pa.author_id = m.aid"
        total, n_exact = await self._pool.fetchrow(
            f"SELECT (SELECT count(*) FROM ({distinct} LIMIT {COUNT_CAP + 1}) a),"
            f" (SELECT count(*) FROM ({distinct} WHERE m.exact LIMIT {COUNT_CAP + 1}) b)",
            ids, flags,
        )
        want = offset + limit

        async def grouped(only_exact: bool) -> list[int]:  # sorts every matching paper: only for <= COUNT_CAP
            found = await self._pool.fetch(
                f"SELECT pa.paper_id FROM {m} JOIN paper_authors pa ON pa.author_id = m.aid"
                + (" WHERE m.exact" if only_exact else "")
                + " GROUP BY pa.paper_id ORDER BY bool_or(m.exact) DESC, pa.paper_id DESC LIMIT $3",
                ids, flags, want,
            )
            return [r[0] for r in found]

        async def newest(only_exact: bool, skip: set[int]) -> list[int]:  # papers newest first: dense sets
            chosen = [a for a, f in zip(ids, flags, strict=True) if f or not only_exact]
            found = await self._pool.fetch(
                "SELECT DISTINCT pa.paper_id FROM paper_authors pa WHERE pa.author_id = ANY($1::bigint[])"
                " ORDER BY pa.paper_id DESC LIMIT $2",
                chosen, want + len(skip),
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
        found = await self._pool.fetch(f"SELECT {PAPER_COLUMNS} FROM papers p WHERE p.id = ANY($1::bigint[])", page)
        by_id = {row[0]: row for row in found}
        links = await self._pool.fetch(
            "SELECT paper_id, author_id FROM paper_authors WHERE paper_id = ANY($1::bigint[]) ORDER BY position", page
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
            rows = await self._pool.fetch(
                "SELECT a.name FROM authors a JOIN paper_authors pa ON pa.author_id = a.id"
                " GROUP BY a.id ORDER BY count(*) DESC, a.name LIMIT $1",
                limit,
            )
            return [r[0] for r in rows]
        names, exact = await self._matching_authors(prefix)
        return sorted(names.values(), key=lambda n: (n not in {names[a] for a in exact}, len(n), n))[:limit]

    async def title_suggestions(self, text: str, *, limit: int = 25) -> list[str]:
        try:
            page = await self.search(text, limit=limit)
        except QueryError:
            rows = await self._pool.fetch(
                "SELECT p.title FROM papers p ORDER BY p.last_date DESC, coalesce(p.votes, -1) DESC LIMIT $1", limit
            )
            return [r[0] for r in rows]
        return [h.paper.paper.title for h in page.hits]
