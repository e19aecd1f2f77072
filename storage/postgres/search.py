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

import asyncio
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
from storage.postgres.rows import pair_query, term_query, words_query
from storage.sqlite.rows import index_body, json_sections
from storage.sqlite.search import COUNT_CAP, RANKED, author_hits, rank, snippet

FIRST_WINDOW = 4  # the first id window holds this many ids per match wanted


def like_pattern(term: str) -> str:
    """``term`` as a LIKE substring pattern (its ``%``, ``_`` and ``\\`` are literal)."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def match_condition(parsed: fts.KeywordQuery, *, title_only: bool, trigram: bool = True) -> tuple[str, list[object]]:
    """The SQL condition (on ``papers p``) for papers matching every term, and its parameters ($1…).

    Korean terms: a two-character one through the pair index alone (exact); a longer one as a
    substring (``LIKE``), with every pair of it as an index pre-filter. Latin terms: every word
    (the last a prefix) as an unweighted query the word index answers alone, then the weighted
    phrase query that checks fields and order. Titles have columns of their own (migration 0008).
    Without ``trigram`` (pg_trgm's index on ``ko``), longer Korean terms are narrowed by their pairs.
    """
    params: list[object] = []

    def arg(value: object, cast: str) -> str:
        params.append(value)
        return f"${len(params)}::{cast}"

    text, pairs, words = ("p.ko_title", "p.title_pairs", "p.title_words") if title_only else ("p.ko", "p.ko_pairs",
                                                                                              "p.words")
    conditions = []
    for t in parsed.korean:
        if len(t.chars) == 2:  # the pair index answers it exactly
            conditions.append(f"{pairs} @@ {arg(pair_query(t.chars), 'tsquery')}")
            continue
        if title_only or not trigram:  # the pairs narrow, the substring decides
            every = " & ".join(pair_query(t.chars[i : i + 2]) for i in range(len(t.chars) - 1))
            conditions.append(f"{pairs} @@ {arg(every, 'tsquery')}")
        conditions.append(f"{text} LIKE {arg(like_pattern(t.chars), 'text')}")
    if parsed.latin:  # the index finds the words; the rows are checked for order and fields (one unpacking)
        weighted = " & ".join(term_query(t, title_only=title_only) for t in parsed.latin)
        conditions.append(f"{words} @@ {arg(weighted, 'tsquery')}")
    if not conditions:
        raise QueryError("Type something to search for, e.g. `추론` or `diffusion`.")
    return " AND ".join(conditions), params


class SearchMixin(Database):
    if TYPE_CHECKING:  # from PapersMixin, beside this one in the store class
        async def _stored(self, rows: Iterable[Any]) -> list[StoredPaper]: ...

    async def search(self, query: str, *, limit: int = 10, offset: int = 0) -> SearchPage:
        parsed = fts.keyword_query(query.replace("\x00", ""))  # PostgreSQL text holds no NUL
        try:
            # the newest COUNT_CAP + 1 matches give the count and the order past the ranked set; the
            # ranked set is the newest RANKED title hits (however old) and the newest RANKED matches
            matches = match_condition(parsed, title_only=False, trigram=self.trigram)
            ids, titles = await asyncio.gather(  # on two connections of the pool at once
                self._newest(matches, COUNT_CAP + 1), self._newest(match_condition(parsed, title_only=True), RANKED))
            cand = sorted(set(titles) | set(ids[:RANKED]), reverse=True)
            found = await self._pool.fetch(  # ranked on the text SQLite ranks on: the indexed summaries
                "SELECT p.id, p.title, p.sections, (SELECT json_agg(d.sections ORDER BY d.date) FROM digest_papers d"
                " WHERE d.paper_id = p.id AND d.sections IS NOT NULL) FROM papers p WHERE p.id = ANY($1::bigint[])",
                cand)
        except (asyncpg.PostgresError, asyncpg.DataError) as exc:
            raise QueryError(f"Could not search for {query!r}: {exc}") from exc
        total = len(ids)
        in_title = set(titles)
        chosen = set(cand)
        rows: list[tuple[int | None, int, bool, str | None, str | None]]
        rows = [(total, r[0], r[0] in in_title, r[1],
                 index_body(json_sections(r[2]), [json_sections(t) for t in json.loads(r[3] or "[]")]))
                for r in found]
        bodies = {r[1]: r[4] or "" for r in rows}  # what a snippet may show when only an older text matches
        rows += [(None, pid, False, None, None) for pid in ids if pid not in chosen]
        order = rank(parsed.terms, rows)
        page = order[offset : offset + limit]
        if not page:
            return SearchPage((), total, offset, capped=total > COUNT_CAP)
        found = await self._pool.fetch(f"SELECT {PAPER_COLUMNS} FROM papers p WHERE p.id = ANY($1::bigint[])", page)
        by_id = {row[0]: row for row in found}
        stored = await self._stored(by_id[pid] for pid in page if pid in by_id)
        pattern = matching.highlighter(parsed.terms)
        hits = tuple(SearchHit(sp, snippet(pattern, sp.paper, bodies.get(pid, "")))
                     for sp, pid in zip(stored, [pid for pid in page if pid in by_id], strict=True))
        return SearchPage(hits, total, offset, capped=total > COUNT_CAP)

    async def _newest(self, condition: tuple[str, list[object]], need: int) -> list[int]:
        """Ids of the newest ``need`` papers meeting ``condition``, newest first.

        The papers are read in id windows, newest first: the first holds ``FIRST_WINDOW * need`` ids,
        each next one is sized by the share of matches seen so far, and the last (a term rarer than
        one paper in 50) is unbounded. A window is read through the bitmaps of the term's index and
        of the id range, so neither a common term (every match in the table re-checked, then sorted)
        nor one rare among the newest papers (the table walked newest first) re-checks much more
        than ``need`` rows.
        """
        sql, params = condition
        n = len(params)
        found: list[int] = []
        async with self._pool.acquire() as conn, conn.transaction(readonly=True):
            top = await conn.fetchval("SELECT max(id) FROM papers")
            if top is None:
                return found
            # a window is read through the indexes' bitmaps (the term's AND the id range), never by a walk
            # of the window re-checking every row: the planner does not count the cost of unpacking them
            await conn.execute("SET LOCAL enable_indexscan = off")
            hi, width = top, FIRST_WINDOW * need
            while len(found) < need:
                low = hi - width if width < hi else None  # None: the rest of the table
                bounds = f" AND p.id <= ${n + 2}::bigint" + ("" if low is None else f" AND p.id > ${n + 3}::bigint")
                rows = await conn.fetch(
                    f"SELECT p.id FROM papers p WHERE {sql}{bounds} ORDER BY p.id DESC LIMIT ${n + 1}::int",
                    *params, need - len(found), hi, *([] if low is None else [low]))
                found += [r[0] for r in rows]
                if low is None:
                    break
                share = len(found) / (top - low)  # matches per id so far
                width = int(1.2 * (need - len(found)) / share) if share * 50 > 1 else hi  # rarer: the rest at once
                hi = low
        return found

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
