"""``paperbot db copy SQLITE_PATH postgresql://…``: move an install from SQLite to PostgreSQL."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    """Add ``paperbot db …`` to the CLI's subcommands (called by :func:`bot.cli.build_parser`)."""
    from bot.cli.common import HANDLERS

    p = sub.add_parser("db", help="database tools: copy a SQLite install into PostgreSQL")
    actions = p.add_subparsers(dest="db_action", metavar="ACTION", required=True)
    c = actions.add_parser("copy", help="copy every record of a SQLite database into an empty PostgreSQL database")
    c.add_argument("source", type=Path, metavar="SQLITE_PATH", help="the SQLite database file")
    c.add_argument("target", metavar="POSTGRESQL_URL",
                   help="postgresql://user@host:5432/db (add ?schema=NAME to use a schema of its own)")
    c.add_argument("--json", action="store_true", help="print the copied counts as JSON")
    HANDLERS["db"] = cmd_db


async def cmd_db(args: argparse.Namespace, settings: Any) -> int:
    from bot.cli.common import EXIT_OK, UsageError, out
    from storage.open import is_postgres, store_url

    source: Path = args.source.expanduser()
    target = store_url(args.target)
    if not await asyncio.to_thread(source.is_file):
        raise UsageError(f"{source}: no such SQLite database file")
    if not is_postgres(target):
        raise UsageError(f"{args.target!r} is not a PostgreSQL URL (postgresql://user@host:5432/db)")
    from bot.text import redact
    from storage.postgres import PostgresStore
    from storage.postgres.copy import copy_store
    from storage.sqlite import SQLiteStore

    old = await SQLiteStore.open(source)
    try:
        new = await PostgresStore.open(target)
        try:
            counts = await copy_store(old, new)
        finally:
            await new.close()
    finally:
        await old.close()
    if args.json:
        print(json.dumps(counts, indent=2))
        return EXIT_OK
    width = max(len(name) for name in counts)
    for name, n in counts.items():
        out.print(f"{name:<{width}}  {n:>9,}", markup=False)
    out.print(f"copied {source} → {redact(target)}; every count checked", markup=False)
    return EXIT_OK
