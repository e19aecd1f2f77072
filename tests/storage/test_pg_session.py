"""The connections a PostgreSQL store opens say whose they are in pg_stat_activity (what an operator reads when
several processes share the database): the pool's and the ledger's alike."""

from __future__ import annotations

import asyncpg

from bot.payload import Payload
from storage.postgres import PostgresStore
from storage.postgres.session import process_name


async def test_the_pool_and_the_ledgers_connection_name_this_process(pg_schema: tuple[str, str]) -> None:
    url, schema = pg_schema
    store = await PostgresStore.open(url, schema=schema)
    try:
        await store.open_post("slack", "C1", "digest:2024-05-02", [Payload({"text": "hello"})])
        conn = await asyncpg.connect(url)
        try:
            rows = await conn.fetch("SELECT application_name FROM pg_stat_activity WHERE application_name LIKE $1",
                                    f"paperbot% {process_name()}")
        finally:
            await conn.close()
    finally:
        await store.close()
    names = {r["application_name"] for r in rows}
    assert {f"paperbot {process_name()}", f"paperbot-ledger {process_name()}"} <= names
