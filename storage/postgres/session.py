"""What every paperbot connection to PostgreSQL starts with: the pool's and those kept apart (the ledger's
writes, the leader lock, the shared request timeline) alike."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket

import asyncpg

__all__ = ["CONNECT_TIMEOUT", "KEEPALIVE", "OwnConnection", "process_name", "session_settings"]

#: seconds a connection kept apart from the pool may take to open (asyncpg's default: 60)
CONNECT_TIMEOUT = 10.0

#: the server probes a connection when idle: one whose host vanished (power, network) is ended within about
#: 10 + 3 × 5 = 25 s, not after the system's default of two hours (a leader's lock is then free), and the
#: probes keep an idle connection's entry in a NAT or firewall between bot and database alive
KEEPALIVE = {"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3"}


def process_name() -> str:
    """``host:pid``: how logs (and the other processes) name this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def session_settings(schema: str | None, name: str | None = None) -> dict[str, str]:
    """The server settings of a connection: plans made for each statement's values (a generic plan can't tell
    a common search term from a rare one; asyncpg prepares every statement and PostgreSQL would switch to one
    after 5 runs), the keepalive probes, the install's ``schema`` first on the search path, and ``name`` as the
    connection's ``application_name`` (what ``pg_stat_activity`` shows)."""
    settings = {"plan_cache_mode": "force_custom_plan", **KEEPALIVE}
    if schema:
        settings["search_path"] = f"{schema}, public"
    if name:
        settings["application_name"] = name[:63]
    return settings


class OwnConnection:
    """One connection kept apart from the pool, for a session that must stay the same (a session-level advisory
    lock) or a statement that must not wait for a pooled connection (the shared request timeline); opened on
    first use and again once the server has ended it."""

    def __init__(self, url: str, schema: str | None, name: str, timeout: float) -> None:
        self.url, self.schema, self.name, self.timeout = url, schema, name, timeout
        self._conn: asyncpg.Connection | None = None

    async def get(self) -> tuple[asyncpg.Connection, bool]:
        """The connection, and whether it was opened just now (a session of its own: nothing held on it yet)."""
        if self._conn is not None and not self._conn.is_closed():
            return self._conn, False
        self._conn = await asyncpg.connect(self.url, server_settings=session_settings(self.schema, self.name),
                                           timeout=self.timeout)
        return self._conn, True

    def drop(self) -> None:
        """Abandon the connection at once (broken, or its state unknown); the next :meth:`get` opens another."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.terminate()

    async def close(self) -> None:
        """Close the connection (its session ends, and what it held with it)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                async with asyncio.timeout(self.timeout):
                    await conn.close()
            except Exception:  # a broken connection: the server drops the session anyway
                conn.terminate()
