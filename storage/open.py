"""One way to open the store: a ``postgresql://`` URL opens PostgreSQL, anything else is a SQLite file."""

from __future__ import annotations

import os
import re

from bot.store import Store

#: pathlib collapses ``//``: a URL that went through ``Path`` (``settings.db``) is restored
_MANGLED_URL = re.compile(r"^(postgres(?:ql)?):/(?!/)")


def store_url(target: str | os.PathLike[str]) -> str:
    """``target`` as given, with a URL that went through :class:`pathlib.Path` restored."""
    return _MANGLED_URL.sub(r"\1://", os.fspath(target))


def is_postgres(target: str | os.PathLike[str]) -> bool:
    from storage.postgres.db import is_postgres_url

    return is_postgres_url(store_url(target))


async def open_store(target: str | os.PathLike[str]) -> Store:
    """Open (and migrate) the store at ``target``: a SQLite path, or a ``postgresql://`` URL."""
    text = store_url(target)
    if is_postgres(text):
        from storage.postgres import PostgresStore

        return await PostgresStore.open(text)
    from storage.sqlite import SQLiteStore

    return await SQLiteStore.open(target)
