"""PostgreSQL's numbered migrations (``NNNN_name.sql``), numbered apart from SQLite's."""

from __future__ import annotations

from storage.migrations import Migration, migrations

ALL: list[Migration] = migrations(__package__)
LATEST = ALL[-1].version
