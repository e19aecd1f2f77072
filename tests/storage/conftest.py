"""``any_store``: the store behaviour tests run on SQLite and on PostgreSQL.

PostgreSQL tests use ``PAPERBOT_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``), each test in a fresh schema dropped at the
end. Without a server they are skipped with the reason shown — unless
``PAPERBOT_REQUIRE_POSTGRES=1`` (CI sets it), where they fail instead.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest

from storage.fts import korean_index_text
from storage.migrations import migrations
from tests.conftest import SEED

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgres")


def sqlite_database_at(path: Any, version: int) -> sqlite3.Connection:
    """A SQLite database as paperbot left it at schema ``version``: every migration up to it applied (still open:
    add rows, then commit), for tests of what a later migration makes of it."""
    db = sqlite3.connect(path)
    db.create_function("korean_index_text", 1, korean_index_text, deterministic=True)
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for m in migrations():
        if m.version <= version:
            db.executescript(m.sql)
            db.execute("INSERT INTO schema_version VALUES (?)", (m.version,))
    return db


def run_apart(coro: Awaitable[Any]) -> Any:
    """Run ``coro`` on its own loop in a thread (fixtures here may be resolved inside a running loop)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()  # type: ignore[arg-type]


async def _probe(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url, timeout=5)
    await conn.close()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test server's URL; skips (or, with PAPERBOT_REQUIRE_POSTGRES=1, fails) when it can't be reached."""
    from storage.postgres.db import redact

    url = os.environ.get("PAPERBOT_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    try:
        run_apart(_probe(url))
    except Exception as exc:  # no server, no database, no asyncpg: the reason is shown either way
        reason = f"PostgreSQL unavailable at {redact(url)} ({type(exc).__name__}: {exc})"
        if os.environ.get("PAPERBOT_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason + "; PAPERBOT_REQUIRE_POSTGRES=1 requires it", pytrace=False)
        pytest.skip(reason + "; set PAPERBOT_TEST_POSTGRES_URL to run these")
    return url


async def drop_schema(url: str, schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await conn.close()


@pytest.fixture
def pg_schema(postgres_url: str) -> Iterator[tuple[str, str]]:
    """(url, schema): a fresh schema on the test server (stores create it), dropped at the end."""
    schema = f"paperbot_test_{uuid.uuid4().hex[:12]}"
    try:
        yield postgres_url, schema
    finally:
        run_apart(drop_schema(postgres_url, schema))


Opener = Callable[[], Awaitable[Any]]


@pytest.fixture(params=BACKENDS)
async def store_opener(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[Opener]:
    """Opens (again) one database of the parametrized backend; every store opened is closed at the end."""
    opened: list[Any] = []
    if request.param == "sqlite":
        from storage.sqlite import SQLiteStore

        path = tmp_path / "paperbot.db"

        async def open_() -> Any:
            opened.append(await SQLiteStore.open(path))
            return opened[-1]
    else:
        from storage.postgres import PostgresStore

        url, schema = request.getfixturevalue("pg_schema")

        async def open_() -> Any:
            opened.append(await PostgresStore.open(url, schema=schema))
            return opened[-1]

    open_.backend = request.param  # type: ignore[attr-defined]
    try:
        yield open_
    finally:
        for store in opened:
            await store.close()


@pytest.fixture
async def any_store(store_opener: Opener) -> Any:
    return await store_opener()


@pytest.fixture
async def any_seeded(any_store: Any, seed_digest) -> Any:
    await any_store.ingest(seed_digest, source=str(SEED))
    return any_store
