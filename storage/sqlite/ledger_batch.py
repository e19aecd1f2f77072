"""Ledger writes made while another is on its way, committed together in one transaction and one hop to
SQLite's thread.

A fan-out records a thousand parts a second and an alert run opens a post per subscriber: one transaction
(three round trips to aiosqlite's thread) per write was most of their ledger time. :class:`Writes` queues
each write as a function of the ``sqlite3`` connection, or as a call of one of the common kinds
(:mod:`storage.sqlite.ledger_kinds`: the calls of a kind are written together, a few statements for the
lot); whatever queued while the connection was busy runs in one ``BEGIN IMMEDIATE … COMMIT`` inside SQLite's
thread (when one fails, the batch is rolled back and each write run alone, so a write that fails fails alone).
Each call returns only once its write is committed, so a crash loses no more than it would one by one.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from storage.sqlite.db import Database
from storage.sqlite.ledger_kinds import Kind

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], Any]


def statement(sql: str, params: Any) -> Work:
    """One statement; the rows it changed."""
    return lambda conn: conn.execute(sql, params).rowcount


@dataclass(frozen=True, slots=True, eq=False)
class Together:
    """A call of a :class:`~storage.sqlite.ledger_kinds.Kind`: written with the batch's other calls of its kind
    in one go, or alone (``together(connection)``)."""

    kind: Kind
    item: Any

    def __call__(self, conn: sqlite3.Connection) -> Any:
        return self.kind.run(conn, [self.item])[0]


def _values(conn: sqlite3.Connection, works: list[Work]) -> list[Any]:
    """Each write's value: the calls of each kind together (one kind's calls in a batch are made at once by
    different tasks, so any order of them is one they could have been made in), the others one by one."""
    values: list[Any] = [None] * len(works)
    kinds: dict[Kind, list[tuple[int, Any]]] = {}
    for n, work in enumerate(works):
        if isinstance(work, Together):
            kinds.setdefault(work.kind, []).append((n, work.item))
        else:
            values[n] = work(conn)
    for kind, calls in kinds.items():
        for (n, _), answer in zip(calls, kind.run(conn, [item for _, item in calls]), strict=True):
            values[n] = answer
    return values


def _run_all(conn: sqlite3.Connection, works: list[Work]) -> list[tuple[bool, Any]]:
    """Every write in one transaction; when one fails, nothing of it is kept and each is run in a transaction
    of its own (so a write that fails fails alone)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        values = _values(conn, works)
    except Exception:
        conn.execute("ROLLBACK")
        return [_run_alone(conn, work) for work in works]
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    if _commit_failure(conn) is not None:  # (a deferred constraint, a full disk): none of it kept; each alone
        return [_run_alone(conn, work) for work in works]
    return [(True, value) for value in values]


def _commit_failure(conn: sqlite3.Connection) -> sqlite3.Error | None:
    """COMMIT; when it fails, why, and the transaction is rolled back (SQLite leaves it open, and every later BEGIN
    of this connection would fail)."""
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return exc
    return None


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
    failure = _commit_failure(conn)
    return (False, failure) if failure is not None else (True, value)


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

    async def write(self, kind: Kind, item: Any) -> Any:
        """``item`` written with the calls of its kind queued beside it (:mod:`storage.sqlite.ledger_kinds`),
        once committed: its answer."""
        return await self.run(Together(kind, item))

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
