"""Parts' payloads as SQLite's ledger stores them (migration 0017): a payload made of list elements as its
skeleton and each distinct element once, any other whole; written in the transaction that records the post.

An alert run's posts share their paper cards, and after the first few most of a post's payloads and elements
are stored already: :class:`Known` remembers what this store has committed, so that such a post writes only
its parts (probing a dozen elements a payload cost ~0.7 s of an alert run to 100,000 subscribers). What it
remembers is trusted only while ``payload_deletions`` is unchanged: any deletion of a payload row, by any
connection, counts there (triggers), and a write that finds the count changed writes (or finds) all of its
payloads and elements, and the store forgets what it knew.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

import aiosqlite

from storage.payload_codec import Encoded, markers, whole

_ELEMENTS_READ = 500  # elements looked up per statement
_KNOWN_KEPT = 500_000  # payload keys and element markers remembered, at most

#: what a write stored: the deletion count it was made under, payload keys, element markers
Stored = tuple[int, list[str], list[bytes]]
#: the payloads (by key) and elements (by digest) to write, unless the deletion count is no longer ``epoch``
Plan = tuple[int, dict[str, Encoded], dict[bytes, bytes]]


class Known:
    """Payload keys and element markers this store has committed since ``payload_deletions`` last changed.

    Kept on the event loop: a write is planned there (:meth:`plan`) and only checks the count in SQLite's thread
    (Python run in that thread waits for the event loop's thread to let go of the GIL)."""

    def __init__(self) -> None:
        self._epoch = -1
        self._payloads: set[str] = set()
        self._elements: set[bytes] = set()

    def plan(self, encoded: Sequence[Encoded]) -> Plan:
        new = {e.key: e for e in encoded if e.key not in self._payloads}
        fresh = {d: data for e in new.values() for d, data in e.elements.items() if d not in self._elements}
        return self._epoch, new, fresh

    def add(self, stored: Stored) -> None:
        """What a write stored, once committed (the deletion count only grows: a write made under an older
        count is dropped, one under a newer count makes everything known before it forgotten)."""
        epoch, payloads, elements = stored
        if epoch < self._epoch:
            return
        if epoch > self._epoch or len(self._payloads) + len(self._elements) >= _KNOWN_KEPT:
            self._epoch, self._payloads, self._elements = epoch, set(), set()
        self._payloads.update(payloads)
        self._elements.update(elements)


def write_payloads(conn: sqlite3.Connection, posts: Sequence[tuple[Sequence[Encoded], Plan]]) -> list[Stored]:
    """Store the payloads of ``posts`` not stored yet (in the caller's transaction): what each post's write stored,
    for :meth:`Known.add`. When payload rows were deleted since a post's plan was made, every payload and element
    of it is written (or found). Each table gets one statement (see :mod:`storage.sqlite.ledger_kinds`: the
    bytes travel as one BLOB that each row names a slice of)."""
    deletions = int(conn.execute("SELECT n FROM payload_deletions").fetchone()[0])
    whole_rows: dict[str, bytes] = {}
    skeletons: dict[str, bytes] = {}
    elements: dict[bytes, bytes] = {}
    stored: list[Stored] = []
    for encoded, (epoch, new, fresh) in posts:
        if deletions != epoch:
            new = {e.key: e for e in encoded}
            fresh = {d: data for e in encoded for d, data in e.elements.items()}
        for key, e in new.items():
            (skeletons if e.elements else whole_rows)[key] = e.skeleton
        elements.update(fresh)
        stored.append((deletions, list(new), list(fresh)))
    if whole_rows:
        conn.execute(_WHOLE, _sliced(list(whole_rows.items())))
    if skeletons:
        conn.execute(_SKELETONS, _sliced(list(skeletons.items())))
    if elements:  # the marker's digest (its bytes after the NUL) and the JSON, one slice
        conn.execute(_ELEMENTS, _sliced([(None, marker[1:] + data) for marker, data in elements.items()]))
    return stored


_SLICE = "substr(?2, json_extract(value, '$[1]'), json_extract(value, '$[2]'))"
_WHOLE = f"INSERT OR IGNORE INTO payloads(hash, payload) SELECT json_extract(value, '$[0]'), CAST({_SLICE} AS TEXT)" \
         " FROM json_each(?1)"
_SKELETONS = f"INSERT OR IGNORE INTO payload_skeletons(hash, skeleton) SELECT json_extract(value, '$[0]'), {_SLICE}" \
             " FROM json_each(?1)"
_ELEMENTS = ("INSERT OR IGNORE INTO payload_elements(hash, element) SELECT substr(?2, at, 32),"
             " CAST(substr(?2, at + 32, size - 32) AS TEXT)"
             " FROM (SELECT json_extract(value, '$[1]') AS at, json_extract(value, '$[2]') AS size FROM json_each(?1))")


def _sliced(rows: Sequence[tuple[str | None, bytes]]) -> tuple[str, bytes]:
    """``(json, blob)``: the rows' bytes one after another in ``blob``, and for each row ``[key, start, length]``
    (SQLite's ``substr`` counts from 1)."""
    index: list[tuple[str | None, int, int]] = []
    at = 1
    for key, data in rows:
        index.append((key, at, len(data)))
        at += len(data)
    return json.dumps(index), b"".join([data for _, data in rows])


async def payload_texts(db: aiosqlite.Connection,
                        rows: Sequence[tuple[str | None, bytes | None]]) -> list[str | bytes]:
    """The whole JSON of each payload as the view ``parts_full`` gives it: ``(payload, skeleton)``."""
    wanted = list({m[1:] for text, skeleton in rows if text is None and skeleton is not None
                   for m in markers(skeleton)})
    elements: dict[bytes, bytes] = {}
    for start in range(0, len(wanted), _ELEMENTS_READ):
        chunk = wanted[start:start + _ELEMENTS_READ]
        found = await db.execute_fetchall(
            f"SELECT hash, element FROM payload_elements WHERE hash IN ({', '.join('?' * len(chunk))})", chunk)
        elements.update((b"\x00" + h, e.encode()) for h, e in found)
    texts: list[str | bytes] = []
    for text, skeleton in rows:
        if text is None and skeleton is None:
            raise LookupError("a part names a payload that is not stored")
        texts.append(text if text is not None else whole(skeleton, elements))  # type: ignore[arg-type]
    return texts
