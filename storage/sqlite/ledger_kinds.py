"""The ledger's common writes, each kind written for any number of calls at once in a few statements over
``json_each``: open posts, record a part sent and claim the next, close parts.

Why not one statement per call: aiosqlite runs SQLite in a thread of its own, and the ``sqlite3`` module lets
go of the GIL around every step of a statement and takes it back after. While the event loop's thread is
busy (rendering the next alerts), taking it back waits for the loop's thread to yield — up to
``sys.getswitchinterval()`` (see ``storage.sqlite.db.GIL_SWITCH_SECONDS``) — once per statement and once per
row of an ``executemany``. Measured here: 20,000 one-row inserts took 53 ms alone and over a minute beside a
busy thread; one ``INSERT … SELECT … FROM json_each(?)`` of the same rows took 97 ms. In an alert run to
100,000 subscribers the ledger's statements took 6.2 s, half of it waiting for the GIL, and the loop sat idle
3.4–4.0 s of the send stage waiting for them; a kind at a time, a batch of a thousand calls is a handful of
statements, each one step: 3.5 s, no waiting, and 1.5 s idle (measured with other processes stopped).

Each kind's :meth:`Kind.run` answers each call as writing it alone would: the same function writes one call
(``storage.sqlite.ledger_batch`` runs a call alone after a batch failed), so each rule is written once.
Payload bytes (a skeleton holds a raw digest) travel as one BLOB that each row names a slice of.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from storage.payload_codec import Encoded
from storage.sqlite.ledger_payloads import Plan, Stored, write_payloads


def _col(n: int, of: str = "j.value") -> str:
    return f"json_extract({of}, '$[{n}]')"


#: a row of ``json_each(?1) j``, its first three values the post's key, matched to the table ``t``'s row
def _key(table: str) -> str:
    return f"{table}.platform = {_col(0)} AND {table}.target = {_col(1)} AND {table}.post_key = {_col(2)}"


def _repeats(keys: Sequence[tuple[Any, ...]]) -> set[int]:
    """The calls (by position) whose row an earlier call of the same batch names already: one by one, the earlier
    call would have written it first, so these find it written (a post opened, a next part claimed)."""
    seen: set[tuple[Any, ...]] = set()
    repeats = set()
    for n, key in enumerate(keys):
        if key in seen:
            repeats.add(n)
        seen.add(key)
    return repeats


@dataclass(frozen=True, eq=False)
class Kind:
    """One kind of write: ``run(connection, items)`` writes every item (in the caller's transaction) and gives
    each one's answer, in order."""

    name: str
    run: Callable[[sqlite3.Connection, Sequence[Any]], list[Any]]


# -- opening posts --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, eq=False)
class OpenPost:
    """A post to record with its parts, its payloads encoded and planned (:class:`~.ledger_payloads.Known`)."""

    #: platform, target, post_key, parts, report_to, created_at, finished_at
    post: tuple[Any, ...]
    #: each part: platform, target, post_key, part, state, payload_hash, owner, nonce, claimed_at
    parts: list[tuple[Any, ...]]
    encoded: Sequence[Encoded]
    plan: Plan


_EXISTING = f"SELECT j.key FROM json_each(?) j CROSS JOIN posts p WHERE {_key('p')}"
_NEW_POSTS = ("INSERT INTO posts(platform, target, post_key, parts, report_to, created_at, finished_at)"
              f" SELECT {', '.join(_col(n, 'value') for n in range(7))} FROM json_each(?)")
_NEW_PARTS = ("INSERT INTO parts(platform, target, post_key, part, state, payload, payload_hash, owner, nonce,"
              f" claimed_at) SELECT {', '.join(_col(n, 'value') for n in range(5))}, '',"
              f" {', '.join(_col(n, 'value') for n in range(5, 9))} FROM json_each(?)")


def _open(conn: sqlite3.Connection, items: Sequence[OpenPost]) -> list[Stored | None]:
    """Each post recorded with its parts the first time (what its payloads stored, for ``Known.add``); ``None``
    for a post recorded already (by an earlier write, or by an item before it in ``items``)."""
    existing = {int(row[0]) for row in conn.execute(_EXISTING, (json.dumps([i.post[:3] for i in items]),))}
    existing |= _repeats([item.post[:3] for item in items])
    new = [n for n in range(len(items)) if n not in existing]
    answers: list[Stored | None] = [None] * len(items)
    if not new:
        return answers
    conn.execute(_NEW_POSTS, (json.dumps([items[n].post for n in new]),))
    stored = write_payloads(conn, [(items[n].encoded, items[n].plan) for n in new])
    conn.execute(_NEW_PARTS, (json.dumps([row for n in new for row in items[n].parts]),))
    for n, done in zip(new, stored, strict=True):
        answers[n] = done
    return answers


OPENS = Kind("open", _open)


# -- recording a part sent and claiming the next ---------------------------------------------------------------
#: an item: platform, target, post_key, done, next, message_id, thread_id, sent_at, owner, nonce, claimed_at.
#: The items whose part ``next`` is not pending (their key in the JSON array): nothing is written for them, and
#: the caller takes the two steps one by one (the post may be finished, or ``next`` not ours)
_NEXT_NOT_PENDING = ("SELECT j.key FROM json_each(?) j WHERE NOT EXISTS (SELECT 1 FROM parts q"
                     f" WHERE {_key('q')} AND q.part = {_col(4)} AND q.state = 'pending')")


def _when_done(done: str, otherwise: str) -> str:
    return f"CASE parts.part WHEN {_col(3)} THEN {done} ELSE {otherwise} END"


#: part ``done`` recorded sent and part ``next`` claimed, for items whose ``next`` is pending
_SENT_AND_CLAIMED = (
    f"UPDATE parts SET state = {_when_done(repr('sent'), repr('claimed'))},"
    f" message_id = {_when_done(_col(5), 'parts.message_id')},"
    f" thread_id = {_when_done(_col(6), 'parts.thread_id')},"
    f" sent_at = {_when_done(_col(7), 'parts.sent_at')},"
    f" error = {_when_done('NULL', 'parts.error')},"
    f" owner = {_when_done('parts.owner', _col(8))},"
    f" nonce = {_when_done('parts.nonce', _col(9))},"
    f" claimed_at = {_when_done('parts.claimed_at', _col(10))}"
    f" FROM json_each(?) j WHERE {_key('parts')}"
    f" AND (parts.part = {_col(3)} OR (parts.part = {_col(4)} AND parts.state = 'pending'))"
)


def _sent_and_claimed(conn: sqlite3.Connection, items: Sequence[tuple[Any, ...]]) -> list[bool]:
    """Whether each item's next part was claimed (its part ``done`` recorded sent in the same write)."""
    not_pending = {int(row[0]) for row in conn.execute(_NEXT_NOT_PENDING, (json.dumps(items),))}
    not_pending |= _repeats([(*item[:3], item[4]) for item in items])  # the next part: claimed by the first call
    ready = [item for n, item in enumerate(items) if n not in not_pending]
    if ready:
        conn.execute(_SENT_AND_CLAIMED, (json.dumps(ready),))
    return [n not in not_pending for n in range(len(items))]


SENT_AND_CLAIMS = Kind("sent and claimed", _sent_and_claimed)


# -- closing parts ---------------------------------------------------------------------------------------------
def _if_sent(value: str, otherwise: str) -> str:
    return f"CASE {_col(4)} WHEN 'sent' THEN {value} ELSE {otherwise} END"


#: an item: platform, target, post_key, part, state ('sent' or 'failed'), message_id, thread_id, error, at.
#: A part recorded sent keeps its message's ids and time; one recorded failed keeps what it had and its error.
_CLOSE_PARTS = (
    f"UPDATE parts SET state = {_col(4)}, error = {_col(7)},"
    f" message_id = {_if_sent(_col(5), 'parts.message_id')},"
    f" thread_id = {_if_sent(_col(6), 'parts.thread_id')},"
    f" sent_at = {_if_sent(_col(8), 'parts.sent_at')}"
    f" FROM json_each(?) j WHERE {_key('parts')} AND parts.part = {_col(3)}"
)
#: their posts finished once no part is pending or claimed
_FINISH_POSTS = (
    f"UPDATE posts SET finished_at = {_col(8)}, retry_at = NULL FROM json_each(?) j WHERE {_key('posts')}"
    " AND posts.finished_at IS NULL AND NOT EXISTS (SELECT 1 FROM parts q WHERE q.platform = posts.platform"
    " AND q.target = posts.target AND q.post_key = posts.post_key AND q.state IN ('pending', 'claimed'))"
)


def _close(conn: sqlite3.Connection, items: Sequence[tuple[Any, ...]]) -> list[None]:
    rows = json.dumps(items)
    conn.execute(_CLOSE_PARTS, (rows,))
    conn.execute(_FINISH_POSTS, (rows,))
    return [None] * len(items)


CLOSES = Kind("close", _close)
