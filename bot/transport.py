"""What delivery needs from a platform adapter (:class:`Transport`), what a send can answer, and what a
post comes to.

The ledger (:mod:`bot.delivery`) hands a transport one rendered part at a time with its nonce;
the transport returns where the message went (:class:`SentRef`), or raises
:class:`ChannelUnavailable` (the channel refuses for good) or :class:`PartRejected` (this
message is invalid). Any other exception means the outcome is unknown. A post's delivery ends
in a :class:`PostResult` with its :class:`Outcome`; a run's in a :class:`RunSummary`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from bot.messages import Message
from bot.payload import Payload


class ChannelUnavailable(Exception):
    """The platform refused the channel for good (deleted, no access, bot not in it)."""

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(f"{target}: {reason}")
        self.target = target
        self.reason = reason


class PartRejected(Exception):
    """The platform rejected this one message as invalid (a 4xx other than 401/403/404/429):
    sending it again would fail the same way, so it is recorded as failed and the post goes on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SentRef:
    message_id: str
    thread_id: str | None = None  # where replies to this message go


class Transport(Protocol):
    """What delivery needs from a platform adapter."""

    platform: str

    @property
    def max_concurrency(self) -> int | None:
        """At most this many posts at once on this platform (``None``: the deliverer's default)."""

    def render(self, messages: Sequence[Message]) -> list[Payload]: ...

    async def send(self, target: str, payload: Payload, *, parent: SentRef | None, nonce: str,
                   unknown: bool) -> SentRef:
        """Send one payload to ``target`` (a channel id, or ``user:<id>`` for a DM).

        ``parent`` is the recorded post this payload replies to (its thread). ``unknown``
        means an earlier send of this very part may have happened: the transport looks for
        the ``nonce`` marker among recent messages first and sends only if it is not there.
        Raises :class:`ChannelUnavailable` when the channel refuses for good,
        :class:`PartRejected` when this payload is invalid; any other exception means the
        outcome is unknown (the part stays claimed and is resolved by the next attempt).
        """


_NONCES_AT_ONCE = 256  # nonces drawn from the OS in one read: a read per part was a tenth of a part's ledger cost
_random: list[str] = []
os.register_at_fork(after_in_child=_random.clear)  # a forked child never reuses its parent's nonces


def new_nonce() -> str:
    """A fresh idempotency key and marker (32 hex characters of the OS's randomness, as ``uuid4().hex`` had; a
    transport uses as much as its platform takes)."""
    if not _random:
        data = os.urandom(16 * _NONCES_AT_ONCE).hex()
        _random.extend(data[i:i + 32] for i in range(0, len(data), 32))
    return _random.pop()


class Outcome(StrEnum):
    SENT = "sent"  #: this run sent at least one part and the post is finished
    SKIPPED = "skipped"  #: nothing to send (finished earlier, or nothing due)
    BUSY = "busy"  #: a live run is sending it
    FAILED = "failed"  #: the channel is unavailable, or the run crashed
    INCOMPLETE = "incomplete"  #: a part's outcome is unknown; retried later
    DRY_RUN = "dry-run"


@dataclass
class PostResult:
    platform: str
    target: str
    post_key: str
    outcome: Outcome | str
    sent: int = 0
    skipped: int = 0
    rejected: int = 0
    detail: str = ""


@dataclass
class RunSummary:
    results: list[PostResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    def line(self) -> str:
        failed = [f"{r.target}: {r.detail}" for r in self.results if r.outcome in (Outcome.FAILED, Outcome.INCOMPLETE)]
        why = f" ({'; '.join(failed)})" if failed else ""
        return (f"delivery run: due={len(self.results)} sent={self.count(Outcome.SENT)} "
                f"skipped={self.count(Outcome.SKIPPED) + self.count(Outcome.BUSY)} "
                f"failed={self.count(Outcome.FAILED) + self.count(Outcome.INCOMPLETE)}{why}")
