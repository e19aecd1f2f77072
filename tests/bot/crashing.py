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
