"""The PostgreSQL connection pool: opening, numbered migrations, and one transaction helper.

Several processes may share one database, so opening is serialised by an advisory lock
(two bots starting at once must not both migrate), and every write that reads before it
writes runs in :meth:`Database.transaction`.
"""

from __future__ import annotations

import contextlib
import logging
import re
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any, Self

import asyncpg

from bot.store import StoreError
from bot.text import redact
from storage.postgres.leader import AdvisoryLeaderLock
from storage.postgres.migrations import ALL, LATEST
from storage.postgres.session import process_name, session_settings

log = logging.getLogger(__name__)

#: advisory lock keys (any 64-bit numbers unique to paperbot)
MIGRATE_LOCK = 0x7061_7065_7262_0001
INGEST_LOCK = 0x7061_7065_7262_0002

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def is_postgres_url(text: str) -> bool:
    return text.startswith(("postgresql://", "postgres://"))


def split_schema(url: str, schema: str | None = None) -> tuple[str, str | None]:
    """``postgresql://…/db?schema=NAME`` → the URL without it, and NAME (``schema`` when absent)."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    named = [v for k, v in query if k == "schema"]
    if not named:
        return url, schema
    rest = urllib.parse.urlencode([(k, v) for k, v in query if k != "schema"])
    return urllib.parse.urlunsplit(parts._replace(query=rest)), named[-1]


class Database:
    """The pool and its lifecycle; the aggregates' mixins add the queries."""

    def __init__(self, pool: asyncpg.Pool, url: str, schema: str | None) -> None:
        self._pool = pool
        self.url = url
        self.schema = schema
        #: pg_trgm's index serves substring search (without it, substring search scans)
        self.trigram = False

    @property
    def path(self) -> str:  # what messages name the database by (SQLite's is a path)
        return redact(self.url)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """One connection from the pool in one transaction: COMMIT, or ROLLBACK on error."""
        async with self._pool.acquire() as conn, conn.transaction():
            yield conn

    @classmethod
    async def open(cls, url: str, *, schema: str | None = None, max_size: int = 10) -> Self:
        """Connect (a pool of up to ``max_size``), migrate, return the store.

        ``schema`` (or ``?schema=NAME`` in the URL) keeps every table in that schema, created if
        missing: several installs (or test runs) can share one database.
        """
        url, schema = split_schema(url, schema)
        if schema is not None and not _SCHEMA_NAME.match(schema):
            raise StoreError(f"not a schema name: {schema!r} (lowercase letters, digits, _)")
        settings = session_settings(schema, f"paperbot {process_name()}")
        try:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=max_size, server_settings=settings)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as exc:
            raise StoreError(f"cannot open database {redact(url)}: {exc}") from exc
        store = cls(pool, url, schema)
        try:
            await store._setup()
        except BaseException:
            await pool.close()
            raise
        return store

    async def _setup(self) -> None:
        async with self._pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", MIGRATE_LOCK)
            try:
                if self.schema:
                    await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
                self.trigram = await _trigram(conn)
                await self._migrate(conn)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATE_LOCK)

    async def _migrate(self, conn: asyncpg.Connection) -> None:
        await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        current = await conn.fetchval("SELECT max(version) FROM schema_version") or 0
        if current > LATEST:
            raise StoreError(
                f"{self.path} has schema version {current}, newer than this paperbot understands "
                f"(up to {LATEST}); upgrade paperbot or point --db at another database"
            )
        for migration in ALL:
            if migration.version <= current:
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute("INSERT INTO schema_version(version) VALUES ($1)", migration.version)
        if self.trigram:
            await conn.execute("CREATE INDEX IF NOT EXISTS papers_ko_trgm ON papers USING gin (ko public.gin_trgm_ops)")
        await self._migrated(conn, current)

    async def _migrated(self, conn: asyncpg.Connection, previous: int) -> None:
        """Data fix-ups after the schema moved on from ``previous`` (the mixins extend this)."""

    def leader_lock(self) -> AdvisoryLeaderLock:
        """The lock whose holder leads the schedules and the daily fetch (see :mod:`bot.leader`)."""
        return AdvisoryLeaderLock(self.url, self.schema)

    async def schema_version(self) -> int:
        return await self._pool.fetchval("SELECT max(version) FROM schema_version") or 0

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await self._pool.fetch(sql, *args)
        return rows

    async def close(self) -> None:
        await self._pool.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def _trigram(conn: asyncpg.Connection) -> bool:
    """Whether pg_trgm is installed (in ``public``), installing it when it is available."""
    where = await conn.fetchval("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'")
    if where is None:
        try:
            await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        except asyncpg.PostgresError as exc:
            log.warning("pg_trgm is not available (%s): Korean substring search will scan every paper", exc)
            return False
        return True
    if where != "public":
        log.warning("pg_trgm is installed in schema %s, not public: substring search will scan every paper", where)
        return False
    return True
