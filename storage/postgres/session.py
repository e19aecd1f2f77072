"""What every paperbot connection to PostgreSQL starts with: the pool's and those kept apart (the ledger's
writes, the leader lock, the shared request timeline) alike."""

from __future__ import annotations

import os
import socket

__all__ = ["CONNECT_TIMEOUT", "KEEPALIVE", "process_name", "session_settings"]

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
