"""Ledger writes made while another is on its way, committed together in one transaction and one hop to
SQLite's thread.

A fan-out records a thousand parts a second and an alert run opens a post per subscriber: one transaction
(three round trips to aiosqlite's thread) per write was most of their ledger time. :class:`Writes` queues
each write as a function of the ``sqlite3`` connection; whatever queued while the connection was busy runs
in one ``BEGIN IMMEDIATE … COMMIT`` inside SQLite's thread (when one fails, the batch is rolled back and each
write run alone, so a write that fails fails alone). Each call returns only once its write is committed, so
a crash loses no more than it would one by one.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from storage.sqlite.db import Database

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], Any]

_NAMED_KEY = "platform = :platform AND target = :target AND post_key = :post_key"
#: records part ``done`` sent and claims part ``next`` — only when ``next`` is pending (else nothing changes and
#: the caller takes the two steps one by one: the post may be finished, or ``next`` not ours)
SENT_AND_CLAIMED = (
    "UPDATE parts SET state = CASE part WHEN :done THEN 'sent' ELSE 'claimed' END,"
    " message_id = CASE part WHEN :done THEN :message_id ELSE message_id END,"
    " thread_id = CASE part WHEN :done THEN :thread_id ELSE thread_id END,"
    " sent_at = CASE part WHEN :done THEN :sent_at ELSE sent_at END,"
    " error = CASE part WHEN :done THEN NULL ELSE error END,"
    " owner = CASE part WHEN :done THEN owner ELSE :owner END,"
    " nonce = CASE part WHEN :done THEN nonce ELSE :nonce END,"
    " claimed_at = CASE part WHEN :done THEN claimed_at ELSE :claimed_at END"
    f" WHERE {_NAMED_KEY} AND (part = :done OR (part = :next AND state = 'pending'))"
    f" AND EXISTS (SELECT 1 FROM parts WHERE {_NAMED_KEY} AND part = :next AND state = 'pending')"
)


def sent_and_claimed(item: dict[str, Any]) -> Work:
    """The write for ``mark_sent_and_claim``: whether the next part was claimed (both rows changed, or neither)."""
    def work(conn: sqlite3.Connection) -> bool:
        changed = conn.execute(SENT_AND_CLAIMED, item).rowcount
        if changed in (0, 2):
            return changed == 2
        return conn.execute(f"SELECT 1 FROM parts WHERE {_NAMED_KEY} AND part = :next AND nonce = :nonce"
                            " AND state = 'claimed'", item).fetchone() is not None
    return work


def statement(sql: str, params: Any) -> Work:
    """One statement; the rows it changed."""
    return lambda conn: conn.execute(sql, params).rowcount


def _run_all(conn: sqlite3.Connection, works: list[Work]) -> list[tuple[bool, Any]]:
    """Every write in one transaction; when one fails, nothing of it is kept and each is run in a transaction
    of its own (so a write that fails fails alone)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        values = [work(conn) for work in works]
    except Exception:
        conn.execute("ROLLBACK")
        return [_run_alone(conn, work) for work in works]
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    if not _committed(conn):  # (a deferred constraint, a full disk): none of it kept; each alone, as above
        return [_run_alone(conn, work) for work in works]
    return [(True, value) for value in values]


def _committed(conn: sqlite3.Connection) -> bool:
    """COMMIT; when it fails the transaction is rolled back (SQLite leaves it open, and every later BEGIN of this
    connection would fail)."""
    try:
        conn.execute("COMMIT")
    except sqlite3.Error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return False
    return True


def _run_alone(conn: sqlite3.Connection, work: Work) -> tuple[bool, Any]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        value = work(conn)
    except Exception as exc:
        conn.execute("ROLLBACK")
        return False, exc
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return False, exc
    return True, value


class Writes:
    """The writes queued while one batch of them is on its way (see the module docstring)."""

    def __init__(self, store: Database) -> None:
        self.store = store
        self.waiting: list[tuple[Work, asyncio.Future[Any]]] = []
        self._flushes: set[asyncio.Future[None]] = set()

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work(connection)`` run in a write transaction (with the writes queued beside it), once committed."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self.waiting.append((work, future))
        if len(self.waiting) == 1:
            flush = asyncio.ensure_future(self._flush())
            self._flushes.add(flush)
            flush.add_done_callback(self._flushes.discard)
        return await future

    async def _flush(self) -> None:
        async with self.store._write:  # the writes queued while a transaction holds the connection gather here
            batch, self.waiting = self.waiting, []
            db = self.store._db
            try:
                outcomes = await db._execute(_run_all, db._conn, [work for work, _ in batch])  # type: ignore[no-untyped-call]
            except BaseException as exc:
                for _, future in batch:
                    if not future.done():
                        if isinstance(exc, asyncio.CancelledError):
                            future.cancel()
                        else:
                            future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                return
        for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
            if future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
