"""A real transport killed at one step of one part, to simulate a crash in the middle of a delivery."""

from __future__ import annotations

import asyncio

from bot.delivery import SentRef, Transport
from bot.payload import Payload


class CrashingTransport:
    """Delegates to ``inner``; at call number ``part`` it dies ``"before"`` sending, or ``"after"`` the
    platform accepted the message but before the ledger could record it."""

    def __init__(self, inner: Transport, part: int, when: str) -> None:
        self.inner, self.part, self.when, self.calls = inner, part, when, 0
        self.platform = inner.platform
        self.render = inner.render

    async def send(self, target: str, payload: Payload, *, parent: SentRef | None, nonce: str,
                   unknown: bool) -> SentRef:
        index, self.calls = self.calls, self.calls + 1
        if index == self.part and self.when == "before":
            raise asyncio.CancelledError
        ref = await self.inner.send(target, payload, parent=parent, nonce=nonce, unknown=unknown)
        if index == self.part and self.when == "after":
            raise asyncio.CancelledError
        return ref


#: the store calls that write the ledger, in the order a delivery makes them
LEDGER_WRITES = frozenset({"open_post", "open_post_claimed", "claim_part", "mark_sent", "mark_sent_and_claim",
                           "mark_failed", "release_part", "note_attempt"})


class CrashingStore:
    """Delegates to ``inner``; dies (``CancelledError``, as a killed process would stop) just ``"before"``
    or just ``"after"`` ledger write number ``step`` (0-based, counted over :data:`LEDGER_WRITES`)."""

    def __init__(self, inner: object, step: int, when: str) -> None:
        self.inner, self.step, self.when, self.writes = inner, step, when, 0

    def __getattr__(self, name: str) -> object:
        attr = getattr(self.inner, name)
        if name not in LEDGER_WRITES:
            return attr

        async def write(*args: object, **kwargs: object) -> object:
            index, self.writes = self.writes, self.writes + 1
            if index == self.step and self.when == "before":
                raise asyncio.CancelledError
            result = await attr(*args, **kwargs)  # type: ignore[operator]
            if index == self.step and self.when == "after":
                raise asyncio.CancelledError
            return result

        return write
