"""Keyword and author search over the FTS5 indexes (trigram for substrings, words for Latin terms)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from bot import matching
from bot.models import Paper
from bot.store import QueryError, SearchHit, SearchPage, StoredPaper
from bot.text import word_tokens
from storage import fts
from storage.fts import korean_index_text as korean_index_text  # storage.postgres imports it from here
from storage.sqlite.db import marks
from storage.sqlite.index import LONG_WORD, IndexMixin
from storage.sqlite.rows import PAPER_COLUMNS

SNIPPET_CHARS = 160
RANKED = 50  # the newest title hits and the newest matches are ranked; the rest follow newest first
COUNT_CAP = 1000  # totals past this are reported as COUNT_CAP + 1 ("1,000+")
MAX_FORMS = 32  # a long search word standing for more index words than this stays an FTS5 prefix


def snippet(pattern: re.Pattern[str] | None, paper: Paper, indexed: str = "") -> tuple[tuple[str, bool], ...]:
    """An excerpt of the summaries around the first match, matches marked; the title when only it matches.
    ``indexed``: every summary the paper is indexed by (older digests' too), for a match only they hold."""
    body = " ".join(text for _, text in paper.sections)
    first = pattern.search(body) if pattern else None
    if first is None and pattern and indexed and not pattern.search(paper.title):
        older = indexed.replace("\n", " ")
        if (found := pattern.search(older)) is not None:
            body, first = older, found
    if first is None:
        text, start, end = (paper.title, 0, len(paper.title)) if pattern and pattern.search(paper.title) \
            else (body, 0, min(len(body), SNIPPET_CHARS))
    else:
        text, start = body, max(0, first.start() - SNIPPET_CHARS // 4)
        if start:
            space = body.find(" ", start, first.start())
            start = space + 1 if space >= 0 else start
        end = min(len(body), start + SNIPPET_CHARS)
        if end < len(body):
            space = body.rfind(" ", first.end(), end)
            end = space if space > 0 else end
    window = text[start:end]
    segments: list[tuple[str, bool]] = [("…", False)] if start else []
    at = 0
    for m in pattern.finditer(window) if pattern else ():
        if m.end() == m.start():
            continue
        if m.start() > at:
            segments.append((window[at : m.start()], False))
        segments.append((m.group(), True))
        at = m.end()
    if at < len(window):
        segments.append((window[at:], False))
    if end < len(text):
        segments.append(("…", False))
    return tuple(segments)


def rank(terms: tuple[matching.Term, ...], rows: list[Any]) -> list[int]:
    """Paper ids in page order from the search statement's rows ``(total, id, in_title, title, body)``
    (title and summary text only for the ranked set): ranked papers first — title
    hits, then by how often the terms occur for the text's length (a bm25-like saturation, no
    idf) — then the others, newest first."""
    needles = [t.chars if t.kind == "chars" else t.words[0] for t in terms]
    scored: list[tuple[float, int]] = []
    rest: list[int] = []
    for _, pid, in_title, title, body in rows:
        if title is None:
            rest.append(pid)
            continue
        text = body.lower()
        hits = sum(text.count(n) for n in needles)
        density = hits / (hits + 1.2 * (0.25 + 0.75 * len(text) / 1500))
        scored.append((-(10.0 * bool(in_title) + density), -pid))
    scored.sort()
    rest.sort(reverse=True)
    return [-pid for _, pid in scored] + rest


def author_hits(stored: Sequence[StoredPaper], page: Sequence[int], links: Iterable[Sequence[Any]],
                names: dict[int, str], exact: set[int]) -> tuple[SearchHit, ...]:
    """An author lookup's page: each paper with its matching authors (``links``: paper id, author id, in
    author order), exact name matches first."""
    per_paper: dict[int, list[int]] = {}
    for pid, aid in links:
        if aid in names:
            per_paper.setdefault(pid, []).append(aid)
    return tuple(
        SearchHit(sp, (), tuple(names[a] for a in sorted(per_paper.get(pid, []), key=lambda a: a not in exact)))
        for sp, pid in zip(stored, page, strict=True)
    )


def named_forms(expr: str, forms: dict[str, list[str]]) -> str:
    """``expr`` (a words expression from storage.fts) with each prefix phrase ``"… word"*`` in ``forms``
    written as the phrases of the index words it stands for, OR-ed (``"reasoning" OR "reasonings"``).
    For a word longer than papers_words' prefix indexes FTS5 merges every posting of every such word
    before it returns a row (0.5-1 ms a word at 100,000 papers); named, they are read newest first
    and stop at the LIMIT. (storage.fts quotes every phrase, so ``"reasoning"*`` is one whole token.)"""
    for phrase, words in forms.items():
        head = phrase.rpartition(" ")[0]
        named = " OR ".join(fts.quote(f"{head} {w}".lstrip()) for w in words)
        expr = expr.replace(fts.quote(phrase) + "*", f"({named})")
    return expr


def _newest(table: str, match: str, words: tuple[str, str] | None = None) -> str:
    """The rowids matching ``:match`` in ``table``, newest first; with ``words`` (a word index and its
    parameter), only those that index matches too: both indexes are read newest first and merged
    (SQLite's ordered INTERSECT), so a LIMIT stops both early instead of collecting every match of the
    Latin terms first."""
    sql = f"SELECT rowid FROM {table} WHERE {table} MATCH :{match}"
    if words:
        sql += f" INTERSECT SELECT rowid FROM {words[0]} WHERE {words[0]} MATCH :{words[1]}"
    return sql + " ORDER BY 1 DESC"


class SearchMixin(IndexMixin):
    if TYPE_CHECKING:  # from PapersMixin, beside this one in the store class
        async def _stored(self, rows: Iterable[Any]) -> list[StoredPaper]: ...

    async def _vocab(self, table: str, prefix: str, limit: int = -1) -> list[str]:
        low, high = fts.prefix_range(prefix)
        rows = await self._db.execute_fetchall(
            f"SELECT term FROM {table} WHERE term >= ? AND term < ? LIMIT ?", (low, high, limit)
        )
        return [r[0] for r in rows]

    async def _trigrams(self, prefix: str) -> list[str]:
        """The Korean index's trigrams starting with ``prefix`` (from ``ko_trigrams``, which indexing
        keeps: papers_ko_vocab would count every posting of each, 1-30 ms at 100,000 papers)."""
        low, high = fts.prefix_range(prefix)
        rows = await self._db.execute_fetchall("SELECT gram FROM ko_trigrams WHERE gram >= ? AND gram < ?",
                                               (low, high))
        return [r[0] for r in rows]

    async def search(self, query: str, *, limit: int = 10, offset: int = 0) -> SearchPage:
        parsed = fts.keyword_query(query)
        trigrams = {c: await self._trigrams(c) for c in parsed.short_korean()}
        filtered = frozenset(
            [t for t in parsed.latin if fts.needs_filter(t, await self._vocab("authors_fts_vocab", t.words[-1], 2))]
        )
        forms: dict[str, list[str]] = {}
        for t in parsed.latin:
            if t.prefix and len(t.words[-1]) >= LONG_WORD:
                index_words = await self._vocab("long_words", t.words[-1], MAX_FORMS + 1)
                if 0 < len(index_words) <= MAX_FORMS:
                    forms[" ".join(t.words)] = index_words
        words = parsed.words_match(filtered=filtered)
        title_words = parsed.words_match()
        if words and title_words and forms:
            words, title_words = named_forms(words, forms), named_forms(title_words, forms)
        korean = parsed.korean_match(trigrams)
        # the unranked rest only for pages past the ranked set (it holds the newest RANKED at least)
        params: dict[str, object] = {"n": COUNT_CAP + 1, "window": RANKED, "deep": offset + limit > RANKED}
        # title hits from the title indexes (titles_words has the one column: no column filter)
        if korean is None:
            params.update(m=words, t=title_words)
            matches, titles = _newest("papers_words", "m"), _newest("titles_words", "t")
        else:
            params.update(m=korean, t=korean, w=words, wt=title_words)
            matches = _newest("papers_ko", "m", ("papers_words", "w") if words else None)
            titles = _newest("titles_ko", "t", ("titles_words", "wt") if words else None)
        # One statement: the newest COUNT_CAP + 1 matches (rowids only, cheap) give the count and, for deep
        # pages, the order past the ranked set; the ranked set is the newest RANKED title hits (from a title
        # index, however old) and the newest RANKED matches, with their text. bm25 is not used: it makes
        # FTS5 read every posting's positions (10-25 ms for a common prefix).
        sql = (
            f"WITH ids(id) AS MATERIALIZED ({matches} LIMIT :n), ttl(id) AS MATERIALIZED ({titles} LIMIT :window),"
            " cand(id) AS (SELECT id FROM ttl UNION SELECT id FROM (SELECT id FROM ids ORDER BY id DESC LIMIT :window))"
            " SELECT (SELECT count(*) FROM ids), c.id, c.id IN ttl, t.title, t.body"
            " FROM cand c JOIN paper_text t ON t.id = c.id"
            " UNION ALL SELECT NULL, id, 0, NULL, NULL FROM ids WHERE :deep AND id NOT IN cand"
        )
        try:
            rows = await self._db.execute_fetchall(sql, params)
        except sqlite3.OperationalError as exc:
            raise QueryError(f"Could not search for {query!r}: {exc}") from exc
        total = next((row[0] for row in rows if row[0] is not None), 0)  # on the ranked rows
        order = rank(parsed.terms, list(rows))
        ids = order[offset : offset + limit]
        if not ids:
            return SearchPage((), total, offset, capped=total > COUNT_CAP)
        found = await self._db.execute_fetchall(
            f"SELECT {PAPER_COLUMNS}, t.body FROM papers p JOIN paper_text t ON t.id = p.id"
            f" WHERE p.id IN ({marks(len(ids))})", ids
        )
        by_id = {row[0]: row for row in found}
        stored = await self._stored(by_id[pid][:-1] for pid in ids if pid in by_id)
        pattern = matching.highlighter(parsed.terms)
        hits = tuple(SearchHit(sp, snippet(pattern, sp.paper, by_id[pid][-1]))
                     for sp, pid in zip(stored, [pid for pid in ids if pid in by_id], strict=True))
        return SearchPage(hits, total, offset, capped=total > COUNT_CAP)

    async def search_authors(self, name: str, *, limit: int = 10, offset: int = 0) -> SearchPage:
        match, words = fts.author_query(name)
        # exact: every word of the name whole, as the index cuts names (word_tokens' rule, read from the
        # index instead of folding up to 500 names in Python: 2-3 ms for a common surname); the names
        # themselves are read for the page's papers only
        rows = await self._db.execute_fetchall(
            "SELECT rowid, rowid IN (SELECT rowid FROM authors_fts WHERE authors_fts MATCH ?2)"
            " FROM authors_fts WHERE authors_fts MATCH ?1 LIMIT 500",
            (match, " AND ".join(fts.quote(w) for w in words)),
        )
        if not rows:
            return SearchPage((), 0, offset)
        matched = {row[0] for row in rows}
        exact = {row[0] for row in rows if row[1]}
        m = json.dumps([aid * 2 + (aid in exact) for aid in matched])  # one number each: json_extract costs
        with_m = "WITH m(aid, exact) AS (SELECT value >> 1, value & 1 FROM json_each(?1)) "
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
            "SELECT pa.paper_id, pa.author_id, a.name FROM paper_authors pa JOIN authors a ON a.id = pa.author_id"
            f" WHERE pa.paper_id IN ({marks(len(page))}) ORDER BY pa.paper_id, pa.position", page
        )
        names = {aid: author for _, aid, author in links if aid in matched}
        stored = await self._stored(by_id[pid] for pid in page)
        hits = author_hits(stored, page, [(pid, aid) for pid, aid, _ in links], names, exact)
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
