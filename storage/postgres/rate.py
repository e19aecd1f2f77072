"""The request timeline the bot processes on one PostgreSQL database share (:mod:`bot.shared_rate`).

One row per timeline (``request_timelines``, UNLOGGED): the first slot no process holds yet,
in seconds on the database's clock (``statement_timestamp()``), so processes whose clocks disagree
still take slots on one clock. Taking ``count`` slots is one statement — the row's lock makes
concurrent takers queue — that starts at that slot or now, whichever is later (a timeline
nobody used for a while starts at now: unused slots are never saved up), and moves the row on
by ``count`` slots. Nothing is held between statements: a process that dies loses the slots it
took as their time passes, and the next taker starts after them.

Each timeline has a connection of its own (named ``paperbot-rate <host>:<pid>``), so that a
batch of slots never waits for the store's pool.
"""

from __future__ import annotations

import asyncio

import asyncpg

from storage.postgres.db import split_schema
from storage.postgres.session import OwnConnection, process_name

#: a statement that takes longer than this counts as a lost connection (the pacer then paces alone)
TAKE_TIMEOUT = 2.0

_NOW = "extract(epoch FROM statement_timestamp())::float8"
TAKE = f"""
INSERT INTO request_timelines AS t (name, next_at) VALUES ($1, {_NOW} + $2::int * $3::float8)
ON CONFLICT (name) DO UPDATE SET next_at = GREATEST(t.next_at, {_NOW}) + $2::int * $3::float8
RETURNING t.next_at - $2::int * $3::float8 AS first, {_NOW} AS now
"""


class PostgresRequestTimeline:
    """``take(count, interval)`` on the ``request_timelines`` row ``name`` (see the module docstring)."""

    def __init__(self, url: str, schema: str | None = None, *, name: str = "discord") -> None:
        self.url, self.schema = split_schema(url, schema)
        self.name = name
        self._own = OwnConnection(self.url, self.schema, f"paperbot-rate {process_name()}", TAKE_TIMEOUT)
        self._fresh = True
        self._busy = asyncio.Lock()  # one connection: one statement at a time

    async def _connection(self) -> asyncpg.Connection:
        conn, opened = await self._own.get()
        if opened:
            self._fresh = True  # not used yet: an error on it is not a session that ended
        return conn

    async def take(self, count: int, interval: float) -> tuple[float, float]:
        """(the first of the next ``count`` slots ``interval`` s apart, now), on the database's clock. A connection
        the server ended (a restart) is opened again once at once; raises when the database can't be reached
        within :data:`TAKE_TIMEOUT`."""
        if count < 1 or interval <= 0:
            raise ValueError(f"take({count}, {interval}): at least one slot, a positive interval")
        try:
            async with self._busy, asyncio.timeout(TAKE_TIMEOUT):
                try:
                    row = await (await self._connection()).fetchrow(TAKE, self.name, count, interval)
                except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.InternalClientError):
                    if self._fresh:
                        raise
                    self._drop()
                    row = await (await self._connection()).fetchrow(TAKE, self.name, count, interval)
                self._fresh = False
        except BaseException:
            self._drop()
            raise
        return float(row["first"]), float(row["now"])

    def _drop(self) -> None:
        self._own.drop()

    async def close(self) -> None:
        await self._own.close()
