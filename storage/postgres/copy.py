"""Moving an install: every record of a SQLite store into an empty PostgreSQL store, counts checked.

Papers, digests, subscriptions, schedules, the delivery ledger (posts, parts, runs,
unavailable channels), alert claims, the fetch record and channel languages are copied as they are (ids kept);
the search columns and author index are rebuilt from the papers by the PostgreSQL store's
own ingest code. Leases are not copied: they belong to running processes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.store import StoreError
from storage.postgres import PostgresStore
from storage.postgres.papers import indexed, reindex_papers
from storage.sqlite import SQLiteStore
from storage.sqlite.db import parse_time
from storage.sqlite.rows import Sections, json_sections, row_paper

Convert = Callable[[Any], Any]


def _time(value: Any) -> dt.datetime | None:
    return parse_time(value) if value else None


def _date(value: Any) -> dt.date:
    return dt.date.fromisoformat(value)


def _bool(value: Any) -> bool:
    return bool(value)


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[str, ...]
    convert: dict[str, Convert]
    order: str = "1"
    source: str = ""  # the SQLite table or view read (default: name)
    #: the source also has a skeleton column: the payload column is put together from it where it is NULL
    #: (a payload stored as its skeleton and elements, SQLite migration 0017; PostgreSQL stores it whole)
    skeletons: bool = False


TABLES: tuple[Table, ...] = (
    Table("papers", ("id", "arxiv_id", "url", "title", "thumbnail", "votes", "authors", "sections", "links",
                     "last_date", "first_seen", "media"),
          {"last_date": _date, "first_seen": _time}, "id"),
    Table("digests", ("date", "source", "ingested_at"), {"date": _date, "ingested_at": _time}),
    Table("digest_papers", ("date", "position", "paper_id", "votes", "sections"), {"date": _date}),
    Table("subscriptions", ("id", "platform", "subscriber", "kind", "term", "term_key", "gram", "created_at"),
          {"created_at": _time}, "id"),
    Table("schedules", ("platform", "channel", "workspace", "time", "timezone", "weekdays", "top_n", "min_votes",
                        "enabled", "set_by", "quiet", "updated_at"),
          {"enabled": _bool, "quiet": _bool, "updated_at": _time}),
    Table("posts", ("platform", "target", "post_key", "parts", "report_to", "created_at", "finished_at", "attempts",
                    "retry_at", "last_error"),
          {"created_at": _time, "finished_at": _time, "retry_at": _time}),
    Table("parts", ("platform", "target", "post_key", "part", "state", "payload", "nonce", "owner", "message_id",
                    "thread_id", "error", "claimed_at", "sent_at"),
          {"claimed_at": _time, "sent_at": _time}, source="parts_full", skeletons=True),
    Table("delivery_runs", ("id", "platform", "target", "post_key", "outcome", "detail", "at"), {"at": _time}, "id"),
    Table("unavailable_channels", ("platform", "target", "reason", "since", "reported"),
          {"since": _time, "reported": _bool}),
    Table("alerted", ("platform", "subscriber", "arxiv_id", "post_key", "terms", "at"), {"at": _time}, "at, rowid"),
    Table("fetch_runs", ("source", "day", "ok_at", "ok_status", "tried_at", "error"),
          {"day": _date, "ok_at": _time, "tried_at": _time}),
    Table("channel_languages", ("platform", "channel", "language", "set_at"), {"set_at": _time}),
)
#: identity columns to move past the copied ids
_SEQUENCES = ("papers", "subscriptions", "delivery_runs")
_REINDEX_CHUNK = 2000


async def copy_store(source: SQLiteStore, target: PostgresStore,
                     progress: Callable[[str, int], None] = lambda table, n: None) -> dict[str, int]:
    """Copy every record of ``source`` into the empty ``target`` in one transaction; rows per table.

    Raises :class:`StoreError` when the target holds records already or a count differs.
    """
    busy = await target.fetch(
        "SELECT 'papers' FROM papers UNION ALL SELECT 'subscriptions' FROM subscriptions"
        " UNION ALL SELECT 'posts' FROM posts UNION ALL SELECT 'schedules' FROM schedules LIMIT 1"
    )
    if busy:
        raise StoreError(f"{target.path} already holds {busy[0][0]}: copy into an empty database (or a new ?schema=)")
    counts: dict[str, int] = {}
    async with target.transaction() as conn:
        for table in TABLES:
            rows: list[Any] = list(await source._db.execute_fetchall(
                f"SELECT {', '.join(table.columns)}{', skeleton' if table.skeletons else ''}"
                f" FROM {table.source or table.name} ORDER BY {table.order}"
            ))
            if table.skeletons:
                rows = await _whole_payloads(source, table, rows)
            records = [_convert(table, row) for row in rows]
            if records:
                await conn.copy_records_to_table(table.name, records=records, columns=list(table.columns))
            counts[table.name] = len(records)
            progress(table.name, len(records))
            if table.name == "papers":
                older: dict[int, list[Sections]] = {}  # older digests' own texts are searched too
                for pid, text in await source._db.execute_fetchall(
                    "SELECT paper_id, sections FROM digest_papers WHERE sections IS NOT NULL ORDER BY date"
                ):
                    older.setdefault(pid, []).append(json_sections(text))
                for start in range(0, len(rows), _REINDEX_CHUNK):
                    chunk = rows[start : start + _REINDEX_CHUNK]
                    await reindex_papers(conn, [indexed(row[0], row_paper((*row[:10], row[11])), older.get(row[0], ()))
                                                for row in chunk])
        for name in _SEQUENCES:
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), coalesce(max(id), 1), max(id) IS NOT NULL)"
                f" FROM {name}"
            )
        for table in TABLES:
            copied = await conn.fetchval(f"SELECT count(*) FROM {table.name}")
            if copied != counts[table.name]:
                raise StoreError(f"copy check failed: {table.name} has {copied} rows, the source {counts[table.name]}")
    return counts


async def _whole_payloads(source: SQLiteStore, table: Table, rows: list[Any]) -> list[tuple[Any, ...]]:
    """The rows with each payload's whole JSON, the skeleton column left out."""
    at = table.columns.index("payload")
    texts = await source.payload_texts([(row[at], row[-1]) for row in rows])
    return [(*row[:at], text if isinstance(text, str) else text.decode(), *row[at + 1:-1])
            for row, text in zip(rows, texts, strict=True)]


def _convert(table: Table, row: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(
        table.convert[c](v) if c in table.convert and v is not None else v
        for c, v in zip(table.columns, row, strict=True)
    )
