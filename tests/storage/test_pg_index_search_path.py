"""PostgreSQL computes an index expression under its own search_path, not the bot's: REINDEX and ANALYZE run
by an operator, every maintenance operation from version 17 (``pg_catalog, pg_temp``), pg_restore (empty).
The search index's expression must work there, and give the index a search reads the same answers from."""

from __future__ import annotations

import datetime as dt

import asyncpg
import pytest

from bot.models import Digest, Paper
from storage.postgres import PostgresStore

PAPERS = (
    Paper("2405.00011", "https://arxiv.org/abs/2405.00011", "한국어 언어 모델 평가", None, 3, ("Mina Park",),
          (("What's New", "강화 학습으로 대화 에이전트를 만듭니다."),)),
    Paper("2405.00012", "https://arxiv.org/abs/2405.00012", "Agents that plan", None, 2, ("Li Wei",),
          (("What's New", "언어 모델이 도구를 씁니다. Planning with tools."),)),
)
QUERIES = ("언어 모델", "모델 평가", "강화 학습", "plan", "agents", "Park")


@pytest.mark.parametrize("search_path", ["pg_catalog, pg_temp", "''"])
async def test_the_search_index_is_rebuilt_and_analyzed_under_any_search_path(
        pg_schema: tuple[str, str], search_path: str) -> None:
    url, schema = pg_schema
    store = await PostgresStore.open(url, schema=schema)
    try:
        await store.ingest(Digest(dt.date(2024, 5, 2), PAPERS))
        before = {q: [h.paper.paper.arxiv_id for h in (await store.search(q)).hits] for q in QUERIES}
        conn = await asyncpg.connect(url)
        try:
            async with conn.transaction():  # as an operator's (or version 17's) maintenance run
                await conn.execute(f"SET LOCAL search_path = {search_path}")
                await conn.execute(f"REINDEX INDEX {schema}.papers_terms")
                await conn.execute(f"ANALYZE {schema}.papers")
        finally:
            await conn.close()
        after = {q: [h.paper.paper.arxiv_id for h in (await store.search(q)).hits] for q in QUERIES}
    finally:
        await store.close()
    assert after == before
    assert before["모델 평가"] == ["2405.00011"] and before["언어 모델"] and before["plan"] == ["2405.00012"]
