"""Numbered SQL migrations: ``NNNN_name.sql``, applied in order, each in one transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations(package: str | None = None) -> list[Migration]:
    """The numbered migrations of ``package`` (SQLite's, by default), in order."""
    found = []
    for entry in resources.files(package or __package__).iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    return found


LATEST = migrations()[-1].version
