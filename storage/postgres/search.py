"""Keyword and author search on PostgreSQL, with the behaviour of the SQLite store.

Keyword search reads the index of papers' terms (:mod:`storage.postgres.search_terms`: which lexemes, and the
checks the index can't make) through ``paperbot_newest`` (migration 0013): newest papers first, a few
id buckets at a time, so GIN skips to those papers in every term's posting list instead of decoding
it for the whole table.

Ranking is SQLite's :func:`storage.sqlite.search.rank` on the same rows (the newest
``RANKED`` title hits and matches; title hits first, then term density; the rest newest
first), snippets are its :func:`~storage.sqlite.search.snippet`, counts stop at ``COUNT_CAP``.
Author lookups: the folded words of each name, every query word a prefix of one of them;
names whose words contain every query word whole come first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import asyncpg

from bot import matching
from bot.store import QueryError, SearchHit, SearchPage, StoredPaper
from bot.text import word_tokens
from storage import fts
from storage.postgres.db import Database
from storage.postgres.papers import PAPER_COLUMNS
from storage.postgres.rows import words_query
from storage.postgres.search_terms import SEARCH_WORDS_SQL, Condition, expansions, prefixes
from storage.sqlite.rows import index_body, json_sections, row_paper
from storage.sqlite.search import COUNT_CAP, RANKED, author_hits, rank, snippet

FIRST_WINDOW = 1.25  # the first window of ids holds this many per match wanted
MAX_BUCKETS = 64  # the widest window (of 512 ids) before the rest of the table
# One statement: the matches' count up to COUNT_CAP + 1; the newest RANKED title hits however old and the
# newest RANKED matches (COUNT_CAP + 1 for a page past the ranked set, $11: the order of the rest), from
# paperbot_newest (migration 0013); and the ranked set's text: those title hits and matches, with the summaries
# SQLite ranks on (the indexed ones, older digests' too).
SEARCH_SQL = (
    "WITH m AS MATERIALIZED (SELECT id, n FROM paperbot_newest($1::tsquery, $2::text[], $3::tsquery, false,"
    " CASE WHEN $11::bool THEN $4::int ELSE $8::int END, $9::float8, $10::int) WITH ORDINALITY x(id, n)),"
    " t AS MATERIALIZED (SELECT id FROM paperbot_newest($5::tsquery, $6::text[], $7::tsquery, true, $8::int,"
    " $9::float8, $10::int) x(id)),"
    " c AS (SELECT id FROM t UNION SELECT id FROM m WHERE n <= $8::int)"
    " SELECT CASE WHEN $11::bool THEN (SELECT count(*) FROM m) ELSE (SELECT x FROM paperbot_newest($1::tsquery,"
    " $2::text[], $3::tsquery, false, $4::int, $9::float8, $10::int, true) x) END,"
    " (SELECT array_agg(id ORDER BY n) FROM m), (SELECT array_agg(id) FROM t), p.id, p.title, p.sections,"
    " (SELECT json_agg(d.sections ORDER BY d.date) FROM digest_papers d"
    " WHERE d.paper_id = p.id AND d.sections IS NOT NULL)"
    " FROM (SELECT 1) one LEFT JOIN (c JOIN papers p ON p.id = c.id) ON true"
)
# the page's papers with the dates of the digests they appeared in (as PapersMixin._stored reads them)
PAGE_SQL = (
    f"SELECT {PAPER_COLUMNS}, ARRAY(SELECT d.date FROM digest_papers d WHERE d.paper_id = p.id ORDER BY d.date)"
    " FROM papers p WHERE p.id = ANY($1::bigint[])"
)


def like_pattern(term: str) -> str:
    """``term`` as a LIKE substring pattern (its ``%``, ``_`` and ``\\`` are literal)."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class SearchMixin(Database):
    if TYPE_CHECKING:  # from PapersMixin, beside this one in the store class
        async def _stored(self, rows: Iterable[Any]) -> list[StoredPaper]: ...

    async def search(self, query: str, *, limit: int = 10, offset: int = 0) -> SearchPage:
        parsed = fts.keyword_query(query.replace("\x00", ""))  # PostgreSQL text holds no NUL
        async with self._pool.acquire() as conn:  # one connection for the search's statements (one reset)
            try:
                words = prefixes(parsed)
                found_words = expansions(await conn.fetch(SEARCH_WORDS_SQL, words)) if words else {}
                m = Condition(parsed, found_words, title_only=False)
                t = Condition(parsed, found_words, title_only=True)
                rows = await conn.fetch(SEARCH_SQL, m.index, m.subs, m.phrase, COUNT_CAP + 1, t.index, t.subs,
                                        t.phrase, RANKED, FIRST_WINDOW, MAX_BUCKETS, offset + limit > RANKED)
            except (asyncpg.PostgresError, asyncpg.DataError) as exc:
                raise QueryError(f"Could not search for {query!r}: {exc}") from exc
            total: int = rows[0][0]
            ids: list[int] = rows[0][1] or []
            in_title = set(rows[0][2] or [])
            ranked: list[tuple[int | None, int, bool, str | None, str | None]]
            ranked = [(total, r[3], r[3] in in_title, r[4],
                       index_body(json_sections(r[5]), [json_sections(s) for s in json.loads(r[6] or "[]")]))
                      for r in rows if r[3] is not None]
            bodies = {r[1]: r[4] or "" for r in ranked}  # what a snippet may show when only an older text matches
            ranked += [(None, pid, False, None, None) for pid in ids if pid not in bodies]
            page = rank(parsed.terms, ranked)[offset : offset + limit]
            if not page:
                return SearchPage((), total, offset, capped=total > COUNT_CAP)
            found = await conn.fetch(PAGE_SQL, page)
        by_id = {row[0]: row for row in found}
        pattern = matching.highlighter(parsed.terms)
        hits = tuple(SearchHit(StoredPaper(paper := row_paper(by_id[pid]), tuple(by_id[pid][-1])),
                               snippet(pattern, paper, bodies.get(pid, "")))
                     for pid in page if pid in by_id)
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
