"""Recording a part sent and claiming the next, for many posts at once: the fan-out's most frequent ledger write.

One ``UPDATE`` records part ``done`` sent and claims part ``next`` — only when ``next`` is pending (else
nothing changes and the caller takes the two steps one by one: the post may be finished, or ``next`` not
ours). :class:`SentAndClaimed` runs the calls made while the connection is busy together.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from storage.sqlite.db import Database

_NAMED_KEY = "platform = :platform AND target = :target AND post_key = :post_key"
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


class SentAndClaimed:
    """``mark_sent_and_claim`` calls made while the connection is busy, written together: one transaction (three
    round trips to SQLite's thread) for all of them (a fan-out records a thousand parts a second). Each call
    returns only once its write is committed, so a crash loses no more than it would one by one; the ``UPDATE``
    changes both rows or neither, and a call's fresh nonce tells whether its claim was made."""

    def __init__(self, store: Database) -> None:
        self.store = store
        self.waiting: list[tuple[dict[str, Any], asyncio.Future[bool]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def write(self, item: dict[str, Any]) -> bool:
        """Whether the next part was claimed (else nothing changed)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.waiting.append((item, future))
        if len(self.waiting) == 1:
            self._flushing = asyncio.ensure_future(self._flush())
        return await future

    async def _flush(self) -> None:
        async with self.store._write:  # the calls made while a transaction holds the connection gather here
            batch, self.waiting = self.waiting, []
            try:
                claimed = await self._run([item for item, _ in batch])
            except BaseException as exc:
                for _, future in batch:
                    if future.done():
                        continue
                    if isinstance(exc, asyncio.CancelledError):
                        future.cancel()
                    else:
                        future.set_exception(exc)
                raise
        for (_, future), ok in zip(batch, claimed, strict=True):
            if not future.done():
                future.set_result(ok)

    async def _run(self, items: list[dict[str, Any]]) -> list[bool]:
        db = self.store._db
        await db.execute("BEGIN IMMEDIATE")
        try:
            cursor = await db.executemany(SENT_AND_CLAIMED, items)
            if cursor.rowcount == 2 * len(items):
                claimed = [True] * len(items)
            else:  # some next part was not pending: the claims made carry their call's nonce
                rows = await db.execute_fetchall(
                    "SELECT nonce FROM parts WHERE state = 'claimed' AND nonce IN (SELECT value FROM json_each(?))",
                    (json.dumps([item["nonce"] for item in items]),))
                made = {row[0] for row in rows}
                claimed = [item["nonce"] in made for item in items]
        except BaseException:
            await db.execute("ROLLBACK")
            raise
        await db.execute("COMMIT")
        return claimed
