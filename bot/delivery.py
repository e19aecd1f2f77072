"""Delivering posts exactly once: the ledger protocol between the store and a transport.

A post (a day's digest for a channel, a "no new papers" note, an alert batch) is rendered
into payloads; each payload is one *part*. Before a part is sent it is claimed in the
store (a UNIQUE row per platform, target, post and part), and after the platform
answers, its message id is recorded. So:

- a part is sent at most once: a second claim on it (a retry, a catch-up, a live run in
  another process) finds the row and does not send;
- after a crash it is sent at least once: a claim left without a recorded send becomes
  *unknown* once stale, and the transport resends it with the same nonce — Discord
  deduplicates it (``enforce_nonce``), Slack's transport looks the nonce up first;
- thread replies hang off the recorded parent, never found by searching history.

A channel that refuses (gone, no access) is marked unavailable and reported once to
whoever set its schedule; it is not retried until its schedule is set again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.messages import Level, Message, Notice
from bot.payload import Payload
from bot.store import Store

log = logging.getLogger(__name__)


class ChannelUnavailable(Exception):
    """The platform refused the channel for good (deleted, no access, bot not in it)."""

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(f"{target}: {reason}")
        self.target = target
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SentRef:
    message_id: str
    thread_id: str | None = None  # where replies to this message go


class Transport(Protocol):
    """What delivery needs from a platform adapter."""

    platform: str
    #: at most this many posts at once on this platform (``None``: the deliverer's default)
    max_concurrency: int | None

    def render(self, messages: Sequence[Message]) -> list[Payload]: ...

    async def send(self, target: str, payload: Payload, *, parent: SentRef | None, nonce: str,
                   unknown: bool) -> SentRef:
        """Send one payload to ``target`` (a channel id, or ``user:<id>`` for a DM).

        ``parent`` is the recorded post this payload replies to (its thread). ``unknown``
        means an earlier send of this very part may have happened: the transport must not
        duplicate it (same ``nonce``). Raises :class:`ChannelUnavailable` when the channel
        refuses for good; any other exception means the outcome is unknown.
        """


@dataclass
class PostResult:
    platform: str
    target: str
    post_key: str
    outcome: str  # sent | skipped | failed | busy | incomplete
    sent: int = 0
    skipped: int = 0
    detail: str = ""


@dataclass
class RunSummary:
    results: list[PostResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    def line(self) -> str:
        failed = [f"{r.target}: {r.detail}" for r in self.results if r.outcome in ("failed", "incomplete")]
        why = f" ({'; '.join(failed)})" if failed else ""
        return (f"delivery run: due={len(self.results)} sent={self.count('sent')} "
                f"skipped={self.count('skipped') + self.count('busy')} "
                f"failed={self.count('failed') + self.count('incomplete')}{why}")


def new_nonce() -> str:
    """A fresh idempotency key; Discord takes up to 25 characters."""
    return uuid.uuid4().hex[:25]


class Deliverer:
    def __init__(self, store: Store, transports: dict[str, Transport], *, stale_after: float = 120.0,
                 concurrency: int = 64, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.store = store
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.transports = transports
        self.stale_after = stale_after
        # one bound per platform: rate limits are per platform, and one platform's queue
        # must not hold up another's
        self.limits = {name: asyncio.Semaphore(getattr(t, "max_concurrency", None) or concurrency)
                       for name, t in transports.items()}

    async def deliver(self, platform: str, target: str, post_key: str, messages: Sequence[Message],
                      *, report_to: str = "") -> PostResult:
        """Send every not-yet-sent part of one post, in order; see the module docstring."""
        transport = self.transports[platform]
        payloads = transport.render(messages)
        sent: dict[int, SentRef] = {}
        result = PostResult(platform, target, post_key, "sent")
        async with self.limits[platform]:
            for part, payload in enumerate(payloads):
                claim = await self.store.claim_part(platform, target, post_key, part, new_nonce(),
                                                    stale_after=self.stale_after, now=self.clock())
                if claim.state == "sent":
                    sent[part] = SentRef(claim.message_id or "", claim.thread_id)
                    result.skipped += 1
                    continue
                if claim.state == "busy":
                    result.outcome, result.detail = "busy", f"part {part} is being sent by another run"
                    return result
                if claim.state == "failed":
                    result.outcome, result.detail = "failed", "channel refused earlier"
                    return result
                parent = sent.get(payload.thread_of) if payload.thread_of is not None else None
                try:
                    ref = await transport.send(target, payload, parent=parent, nonce=claim.nonce,
                                               unknown=claim.state == "unknown")
                except ChannelUnavailable as exc:
                    await self.store.mark_failed(platform, target, post_key, part, exc.reason)
                    await self._unavailable(platform, target, exc.reason, report_to)
                    result.outcome, result.detail = "failed", exc.reason
                    return result
                except asyncio.CancelledError:
                    raise  # the claim stays: a later run resolves it with the same nonce
                except Exception as exc:  # outcome unknown: a later run resolves it with the nonce
                    log.warning("%s %s: part %d of %s not confirmed: %s", platform, target, part, post_key,
                                type(exc).__name__)
                    result.outcome, result.detail = "incomplete", f"{type(exc).__name__} on part {part}"
                    return result
                await self.store.mark_sent(platform, target, post_key, part, ref.message_id, ref.thread_id)
                sent[part] = ref
                result.sent += 1
        if result.sent == 0 and result.skipped:
            result.outcome = "skipped"
        return result

    async def _unavailable(self, platform: str, target: str, reason: str, report_to: str) -> None:
        if not await self.store.set_unavailable(platform, target, reason):
            return
        log.warning("%s channel %s is unavailable (%s): not posting there until its schedule is set again",
                    platform, target, reason)
        if report_to and report_to != target:
            note = Message((Notice(f"paperbot can't post the daily papers to channel {target}: {reason}. "
                                   "Invite the bot or give it access, then set the schedule again.",
                                   Level.WARNING),), kind="alert")
            try:
                await self.deliver(platform, report_to, f"unavailable:{target}", (note,))
            except Exception:  # the report is best effort; the log line above stands
                log.warning("%s: could not tell %s that %s is unavailable", platform, report_to, target)
