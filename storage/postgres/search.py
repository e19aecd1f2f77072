"""Keyword and author search on PostgreSQL, with the behaviour of the SQLite store.

What a term matches is :mod:`bot.matching`'s rule, as in SQLite:

- a Korean term (``chars``): a substring of the title or a summary line, spacing ignored —
  ``LIKE`` over ``ko`` (texts folded, whitespace removed: :func:`korean_index_text`), served
  by a pg_trgm GIN index when the extension is installed;
- a Latin term (``words``): its words in sequence in the title or summaries, the last a
  prefix, or whole words of an author name — a ``tsquery`` over ``words`` (a ``tsvector`` of
  :func:`bot.text.word_tokens`, title weighted A, authors B, summaries C).

Ranking is SQLite's :func:`storage.sqlite.search.rank` on the same rows (the newest
``RANKED`` title hits and matches; title hits first, then term density; the rest newest
first), snippets are its :func:`~storage.sqlite.search.snippet`, counts stop at ``COUNT_CAP``.
Author lookups: the folded words of each name, every query word a prefix of one of them;
names whose words contain every query word whole come first.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import asyncpg

from bot import matching
from bot.store import QueryError, SearchHit, SearchPage, StoredPaper
from bot.text import word_tokens
from storage import fts
from storage.postgres.db import Database
from storage.postgres.papers import PAPER_COLUMNS
from storage.postgres.rows import pair_query, plain_query, term_query, words_query
from storage.sqlite.search import COUNT_CAP, RANKED, author_hits, rank, snippet


def like_pattern(term: str) -> str:
    """``term`` as a LIKE substring pattern (its ``%``, ``_`` and ``\\`` are literal)."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class SearchMixin(Database):
    if TYPE_CHECKING:  # from PapersMixin, beside this one in the store class
        async def _stored(self, rows: Iterable[Any]) -> list[StoredPaper]: ...

    async def search(self, query: str, *, limit: int = 10, offset: int = 0) -> SearchPage:
        parsed = fts.keyword_query(query.replace("\x00", ""))  # PostgreSQL text holds no NUL
        params: list[object] = [COUNT_CAP + 1, RANKED]

        def arg(value: object, cast: str) -> str:
            params.append(value)
            return f"${len(params)}::{cast}"

        def where(title_only: bool) -> str:
            column = "p.ko_title" if title_only else "p.ko"
            conditions = []
            for t in parsed.korean:
                if len(t.chars) == 2:  # the pair index answers it exactly (no trigram to look up)
                    conditions.append(f"p.ko_pairs @@ {arg(pair_query(t.chars), 'tsquery')}")
                if len(t.chars) != 2 or title_only:
                    conditions.append(f"{column} LIKE {arg(like_pattern(t.chars), 'text')}")
            latin = " & ".join(term_query(t, title_only=title_only) for t in parsed.latin)
            if latin:  # the index narrows by the words alone; the rows are checked for order and fields
                conditions.append(f"p.words @@ {arg(' & '.join(plain_query(t) for t in parsed.latin), 'tsquery')}")
                conditions.append(f"p.words @@ {arg(latin, 'tsquery')}")
            return " AND ".join(conditions)

        # the newest COUNT_CAP + 1 matches give the count and the order past the ranked set; the
        # ranked set is the newest RANKED title hits (however old) and the newest RANKED matches
        sql = (
            f"WITH ids AS MATERIALIZED (SELECT p.id FROM papers p WHERE {where(False)} ORDER BY p.id DESC LIMIT $1),"
            f" ttl AS MATERIALIZED (SELECT p.id FROM papers p WHERE {where(True)} ORDER BY p.id DESC LIMIT $2),"
            " cand AS (SELECT id FROM ttl UNION SELECT id FROM (SELECT id FROM ids ORDER BY id DESC LIMIT $2) n)"
            " SELECT (SELECT count(*) FROM ids), c.id, c.id IN (SELECT id FROM ttl), p.title, p.sections"
            " FROM cand c JOIN papers p ON p.id = c.id"
            " UNION ALL SELECT NULL, id, false, NULL, NULL FROM ids WHERE id NOT IN (SELECT id FROM cand)"
        )
        try:
            rows = await self._pool.fetch(sql, *params)
        except (asyncpg.PostgresError, asyncpg.DataError) as exc:
            raise QueryError(f"Could not search for {query!r}: {exc}") from exc
        total = next((r[0] for r in rows if r[0] is not None), 0)
        order = rank(parsed.terms, [tuple(r) for r in rows])
        ids = order[offset : offset + limit]
        if not ids:
            return SearchPage((), total, offset, capped=total > COUNT_CAP)
        found = await self._pool.fetch(f"SELECT {PAPER_COLUMNS} FROM papers p WHERE p.id = ANY($1::bigint[])", ids)
        by_id = {row[0]: row for row in found}
        stored = await self._stored(by_id[pid] for pid in ids if pid in by_id)
        pattern = matching.highlighter(parsed.terms)
        hits = tuple(SearchHit(sp, snippet(pattern, sp.paper)) for sp in stored)
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
        stored = await self._stored(by_id[pid] for pid in page)
        return SearchPage(author_hits(stored, page, links, names, exact), total, offset, capped=total > COUNT_CAP)

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
