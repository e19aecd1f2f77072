"""What only the PostgreSQL store has: upgrades of its own schema, processes opening at once, URLs."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest

from bot.store import StoreError
from storage.open import is_postgres, open_store, store_url
from storage.postgres.db import redact, split_schema
from storage.postgres.migrations import ALL, LATEST


async def test_an_older_schema_is_upgraded_with_its_papers_searchable(pg_schema):
    import asyncpg

    from storage.postgres import PostgresStore

    url, schema = pg_schema
    conn = await asyncpg.connect(url, server_settings={"search_path": schema})
    try:
        await conn.execute(f"CREATE SCHEMA {schema}")
        await conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        await conn.execute(ALL[0].sql)
        await conn.execute("INSERT INTO schema_version VALUES (1)")
        await conn.execute(
            "INSERT INTO papers(arxiv_id, url, title, votes, authors, sections, last_date)"
            " VALUES ($1, $2, $3, 14, $4, $5, '2024-06-28')",
            "2406.18629", "https://arxiv.org/abs/2406.18629", "Step-DPO", json.dumps(["José Hernández-Orallo"]),
            json.dumps([["What's New", "수학적 추론은 중요합니다"]], ensure_ascii=False),
        )
        await conn.execute("INSERT INTO digests(date) VALUES ('2024-06-28')")
        await conn.execute("INSERT INTO digest_papers(date, position, paper_id, votes) VALUES ('2024-06-28', 0, 1, 14)")
    finally:
        await conn.close()
    store = await PostgresStore.open(url, schema=schema)
    try:
        assert await store.schema_version() == LATEST
        assert [h.paper.paper.arxiv_id for h in (await store.search("수학적추론")).hits] == ["2406.18629"]
        assert (await store.digest()).papers[0].paper.votes == 14
        assert (await store.digest()).date == dt.date(2024, 6, 28)
    finally:
        await store.close()


async def test_three_processes_starting_at_once_migrate_once(pg_schema):
    from storage.postgres import PostgresStore

    url, schema = pg_schema
    stores = await asyncio.gather(*(PostgresStore.open(url, schema=schema) for _ in range(3)))
    try:
        assert {await s.schema_version() for s in stores} == {LATEST}
        rows = await stores[0].fetch("SELECT count(*) FROM schema_version")
        assert rows[0][0] == len(ALL)
    finally:
        for s in stores:
            await s.close()


async def test_the_url_chooses_the_backend(pg_schema, tmp_path):
    url, schema = pg_schema
    from pathlib import Path

    pg = await open_store(Path(f"{url}?schema={schema}"))  # PAPERBOT_DB comes as a Path: // collapsed
    try:
        assert type(pg).__name__ == "PostgresStore" and pg.schema == schema
    finally:
        await pg.close()
    lite = await open_store(tmp_path / "paperbot.db")
    try:
        assert type(lite).__name__ == "SQLiteStore"
    finally:
        await lite.close()
    assert is_postgres("postgres://h/db") and not is_postgres("postgresql.db")
    assert store_url(Path("postgresql://u@h:5432/db")) == "postgresql://u@h:5432/db"


def test_urls_are_shown_without_passwords_and_schemas_split():
    assert redact("postgresql://bot:s3cret@db:5432/paperbot") == "postgresql://bot:***@db:5432/paperbot"
    assert split_schema("postgresql://h/db?schema=team&sslmode=disable") == (
        "postgresql://h/db?sslmode=disable", "team")
    assert split_schema("postgresql://h/db") == ("postgresql://h/db", None)


async def test_an_unreachable_server_is_one_clear_error():
    from storage.postgres import PostgresStore

    with pytest.raises(StoreError, match=r"cannot open database postgresql://bot:\*\*\*@127.0.0.1:9/x"):
        await PostgresStore.open("postgresql://bot:pw@127.0.0.1:9/x")
    with pytest.raises(StoreError, match="not a schema name"):
        await PostgresStore.open("postgresql://127.0.0.1:9/x?schema=Bad-Name")


def test_both_stores_implement_every_method_of_the_protocol():
    import inspect

    from bot.store import Store
    from storage.postgres import PostgresStore
    from storage.sqlite import SQLiteStore

    wanted = {n for n, f in vars(Store).items() if inspect.iscoroutinefunction(f)}
    assert wanted, "the protocol lists its methods"
    for store in (SQLiteStore, PostgresStore):
        missing = sorted(n for n in wanted if not inspect.iscoroutinefunction(getattr(store, n, None)))
        assert not missing, f"{store.__name__} lacks {missing}"
