"""PostgreSQL's keyword search finds, counts, orders and excerpts what SQLite's does, on one synthetic archive.

The archive (the benchmark's generator, 1,200 papers) spans several of PostgreSQL's id buckets, and its
queries take every path of :mod:`storage.postgres.search_terms`: two-character and longer Korean terms,
word prefixes PostgreSQL indexes (2-16 characters), prefixes it expands through its vocabulary (one
character, 17 and more), a prefix starting more words than it names, whole words, phrases, author
words, and terms that match nothing. Windows are narrowed to one bucket so that every term reads several.
"""

from __future__ import annotations

from typing import Any

import pytest

from bench import synth
from bot.store import QueryError
from storage.postgres import search as pg_search
from storage.postgres import search_terms

PAPERS = 1200
EXTRA = (
    "a", "G", "4", "ag", "agent", "agents", "agentic", "segmentations", "diffusion", '"diffusion"', "distillati",
    "diffusionmodel", "RAG", "GPT-4 성능", "Wei", "Li", "Kim", "모델 diffusion", "뷰", "델", '"모델"', "100%",
    "longinstructvid", "longinstructvideo", "longinstructvideo는", "segmentationsegm",
)


@pytest.fixture(scope="module")
def queries() -> list[str]:
    found = [q for _, _, terms in synth.KEYWORD_MIX for q in terms]
    return list(dict.fromkeys([*found, *EXTRA]))


async def _archive(store: Any) -> None:
    for digest in synth.Generator(7).digests(PAPERS, per_digest=60):
        await store.ingest(digest)


def _page(page: Any) -> tuple[int, bool, list[tuple[str, Any]]]:
    return page.total, page.capped, [(h.paper.paper.arxiv_id, h.snippet) for h in page.hits]


async def _answers(store: Any, queries: list[str]) -> dict[tuple[str, int], Any]:
    out: dict[tuple[str, int], Any] = {}
    for q in queries:
        for offset in (0, 45, 60):  # the ranked set, its edge, past it (newest first)
            try:
                out[q, offset] = _page(await store.search(q, limit=10, offset=offset))
            except QueryError as exc:
                out[q, offset] = str(exc)
    return out


async def test_postgres_answers_every_query_as_sqlite_does(pg_schema, tmp_path, queries,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from storage.postgres import PostgresStore
    from storage.sqlite import SQLiteStore

    monkeypatch.setattr(pg_search, "FIRST_WINDOW", 0.1)
    monkeypatch.setattr(pg_search, "MAX_BUCKETS", 1)  # every window one bucket: common terms read several
    monkeypatch.setattr(search_terms, "MAX_EXPANSION", 3)  # `a` and `G` start more words: the prefix scan
    lite = await SQLiteStore.open(tmp_path / "lite.db")
    url, schema = pg_schema
    pg = await PostgresStore.open(url, schema=schema)
    try:
        await _archive(lite)
        await _archive(pg)
        expected, got = await _answers(lite, queries), await _answers(pg, queries)
    finally:
        await lite.close()
        await pg.close()
    differ = [key for key in expected if expected[key] != got[key]]
    assert not differ, [(key, expected[key], got[key]) for key in differ[:3]]
    totals = {q: expected[q, 0][0] for q in queries if not isinstance(expected[q, 0], str)}
    assert any(t > 512 for t in totals.values()) and 0 in totals.values()  # terms past a bucket, and none
