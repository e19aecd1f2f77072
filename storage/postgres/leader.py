"""The leader lock on PostgreSQL: a session-level advisory lock held on a connection of its own.

Several bot processes share one database; one of them — the holder of this lock — runs the
channel schedules' timer and the daily fetch (:mod:`bot.leader`). The lock belongs to the
holder's database session: when that process dies (or its connection breaks) the server ends
the session and the lock is free for the next process that tries.

The key is per schema (installs or test runs sharing one database each have a leader), and
the holding connection is named ``paperbot-leader <host>:<pid>`` (``application_name``) so the
others can say who leads.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from storage.postgres.session import OwnConnection, process_name

log = logging.getLogger(__name__)

#: ``hashtextextended`` of this and the schema is the advisory lock key
KEY_PREFIX = "paperbot-leader:"
_KEY = "hashtextextended($1 || current_schema(), 0)"
#: a check that takes longer than this counts as a lost connection
CHECK_TIMEOUT = 5.0


class AdvisoryLeaderLock:
    """``pg_try_advisory_lock`` on a dedicated connection (see the module docstring).

    :meth:`try_acquire` opens the connection when needed and tries the lock once;
    :meth:`holds` checks that the connection (and so the lock) is still there.
    """

    def __init__(self, url: str, schema: str | None, *, name: str | None = None) -> None:
        self.url = url
        self.schema = schema
        self.name = name or process_name()
        # a leader whose host vanished loses the lock within the keepalive probes' 25 s (session_settings)
        self._own = OwnConnection(url, schema, f"paperbot-leader {self.name}", CHECK_TIMEOUT)
        self._held = False
        self._busy = asyncio.Lock()  # one connection: one query at a time

    async def _connection(self) -> asyncpg.Connection:
        conn, opened = await self._own.get()
        if opened:  # a new session holds no lock
            self._held = False
        return conn

    async def try_acquire(self) -> bool:
        """Take the lock if it is free (or already ours); ``False`` when another process holds it."""
        try:
            async with self._busy, asyncio.timeout(CHECK_TIMEOUT):
                conn = await self._connection()
                if self._held:
                    await conn.fetchval("SELECT 1")
                    return True
                self._held = bool(await conn.fetchval(f"SELECT pg_try_advisory_lock({_KEY})", KEY_PREFIX))
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("leader lock: database unreachable (%s: %s)", type(exc).__name__, exc)
            await self._drop()
            return False
        return self._held

    async def holds(self) -> bool:
        """Whether this process still holds the lock (its connection answers)."""
        if not self._held:
            return False
        return await self.try_acquire()

    async def holder(self) -> str | None:
        """The ``host:pid`` of the process holding the lock, when the database can tell."""
        try:
            async with self._busy, asyncio.timeout(CHECK_TIMEOUT):
                conn = await self._connection()
                name = await conn.fetchval(
                    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                    " WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database"
                    " WHERE datname = current_database()) AND l.objsubid = 1"
                    f" AND ((l.classid::bigint << 32) | l.objid::bigint) = {_KEY} LIMIT 1",
                    KEY_PREFIX,
                )
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return None
        return str(name).removeprefix("paperbot-leader ") if name else None

    async def _drop(self) -> None:
        self._held = False
        self._own.drop()

    async def release(self) -> None:
        """Give the lock up (closing the session releases it)."""
        self._held = False
        await self._own.close()
