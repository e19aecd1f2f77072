"""Delivering posts exactly once: the ledger protocol between the store and a transport.

A post (a day's digest for a channel, a "no new papers" note, an alert batch, a manual
``paperbot post``) is rendered into payloads; each payload is one *part*. The first time a
post is delivered, the store records it with every rendered part and claims the first in the
same write (``open_post_claimed``); from then on the post is *unfinished* until each part is
sent (or rejected by the platform), and any run resumes it with the parts as first rendered.
Each part goes:

1. **claim** — ``pending`` → ``claimed`` by this run (its *owner* id), with a fresh nonce;
2. **send** — the transport posts it, carrying the nonce as a marker;
3. **record** — ``claimed`` → ``sent`` with the message id (or ``failed`` when the platform
   rejected it as invalid: the post goes on without it). Recording a part sent claims the
   next one in the same write (``mark_sent_and_claim``): one ledger write per part.

A run holds a *lease* in the store that it renews while it works. A claim whose owner's
lease has expired belongs to a dead run: the next run takes it over at once as
``unknown`` and the transport looks the nonce up among the channel's (or thread's) recent
messages before sending again, so a crash between "sent" and "recorded" never posts twice
and never loses the part. A live owner's claim is left alone (two processes on one
database stay exactly-once): at once when its process runs on this host, else once it has
renewed its lease while we waited. A part the channel refused goes back to ``pending``; the
channel is marked unavailable and reported once to whoever set its schedule.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Sequence

from bot import metrics, post_keys
from bot.i18n import ENGLISH, channel_lang
from bot.lease import LEASE_SECONDS, Lease, owner_alive
from bot.messages import Level, Message, MessageKind, Notice
from bot.payload import Payload
from bot.store import Claim, ClaimState, LedgerPost, Store
from bot.transport import (
    ChannelUnavailable,
    Outcome,
    PartRejected,
    PostResult,
    RunSummary,
    SentRef,
    Transport,
    new_nonce,
)

# what a transport implements and raises, and what a post comes to, live in bot.transport; callers
# import them from here too
__all__ = ["ChannelUnavailable", "Deliverer", "Outcome", "PartRejected", "PostResult", "RunSummary", "SentRef",
           "Transport", "new_nonce", "retry_delay"]

log = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 30.0  # an unfinished post is retried after 30 s, 60 s, 120 s … at most an hour
RETRY_MAX_SECONDS = 3600.0
RENDERED_KEPT = 64  # renderings kept for reuse (a fan-out renders one digest for every channel)


def retry_delay(attempts: int) -> float:
    """Seconds before the next try of a post that failed ``attempts`` times: 30 s, 60 s, 120 s … at most 1 h."""
    return min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * float(2 ** max(0, attempts - 1)))


class Deliverer:
    """Sends posts through the ledger; use as ``async with Deliverer(...)`` to keep its lease alive."""

    def __init__(self, store: Store, transports: dict[str, Transport], *, lease_seconds: float = LEASE_SECONDS,
                 concurrency: int = 64, clock: Callable[[], dt.datetime] | None = None,
                 wait_for_leases: bool = True) -> None:
        self.store = store
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.transports = transports
        self.lease = Lease(store, seconds=lease_seconds, clock=self.clock)
        self.lease_seconds = lease_seconds
        self.owner = self.lease.owner
        #: a part claimed by a run whose lease is about to run out is waited for (a restart
        #: right after a crash), not skipped
        self.wait_for_leases = wait_for_leases
        # one bound per platform: rate limits are per platform, and one platform's queue
        # must not hold up another's
        self.limits = {name: asyncio.Semaphore(getattr(t, "max_concurrency", None) or concurrency)
                       for name, t in transports.items()}
        self._inflight: set[tuple[str, str, str]] = set()
        self._rendered: dict[tuple[str, tuple[Message, ...]], list[Payload]] = {}
        self._series: dict[str, metrics.DeliverySeries] = {}

    async def __aenter__(self) -> Deliverer:
        await self.lease.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop renewing and give the lease up (nothing is in flight after a clean stop)."""
        await self.lease.stop(release=not self._inflight)

    # -- posts -----------------------------------------------------------------------------
    async def deliver(self, platform: str, target: str, post_key: str, messages: Sequence[Message],
                      *, report_to: str = "") -> PostResult:
        """Send every not-yet-sent part of one post, in order; see the module docstring."""
        return await self.deliver_rendered(platform, target, post_key, self.render(platform, messages),
                                           report_to=report_to)

    def render(self, platform: str, messages: Sequence[Message]) -> list[Payload]:
        """The platform's payloads for ``messages``; the same messages (a digest posted to many channels in one
        language) are rendered once."""
        key = (platform, tuple(messages))
        try:
            payloads = self._rendered.get(key)
        except TypeError:  # something unhashable inside: render every time
            return self.transports[platform].render(messages)
        if payloads is None:
            if len(self._rendered) >= RENDERED_KEPT:
                self._rendered.clear()
            payloads = self._rendered[key] = self.transports[platform].render(messages)
        return payloads

    async def deliver_rendered(self, platform: str, target: str, post_key: str, payloads: Sequence[Payload],
                               *, report_to: str = "") -> PostResult:
        """:meth:`deliver` for payloads rendered already (identical alerts share one rendering)."""
        await self.lease.ensure()
        post, claim = await self.store.open_post_claimed(platform, target, post_key, payloads, new_nonce(),
                                                         owner=self.owner, report_to=report_to, now=self.clock())
        return await self.resume(post, claim)

    async def resume(self, post: LedgerPost, claim: Claim | None = None) -> PostResult:
        """Send the parts of a recorded post that are not sent yet (as first rendered); ``claim``: the first
        part's, when this run holds it already."""
        key = (post.platform, post.target, post.post_key)
        result = PostResult(post.platform, post.target, post.post_key, Outcome.SENT)
        if key in self._inflight:
            result.outcome, result.detail = Outcome.BUSY, "being sent by this process"
            return result
        self._inflight.add(key)
        try:
            async with self.limits[post.platform]:
                await self._send_parts(post, result, claim)
        finally:
            self._inflight.discard(key)
        if result.outcome == Outcome.SENT and result.sent == 0:
            result.outcome = Outcome.SKIPPED
        if result.outcome == Outcome.SENT:
            series = self._metrics(post.platform)
            series.posts_sent.inc()
            series.delivery_lag.observe(max(0.0, (self.clock() - post.created_at).total_seconds()))
        if result.outcome == Outcome.INCOMPLETE:
            delay = retry_delay(post.attempts + 1)
            attempts = await self.store.note_attempt(post.platform, post.target, post.post_key, result.detail,
                                                     self.clock() + dt.timedelta(seconds=delay))
            log.warning("%s %s: %s unfinished (%s); retry %d in %.0f s", post.platform, post.target,
                        post.post_key, result.detail, attempts, delay)
        return result

    def _metrics(self, platform: str) -> metrics.DeliverySeries:
        """The platform's delivery series, looked up once per run."""
        series = self._series.get(platform)
        if series is None:
            series = self._series[platform] = metrics.delivery_series(platform)
        return series

    async def _claim(self, platform: str, target: str, post_key: str, part: int) -> Claim:
        """Claim a part. One claimed by another run is left to it when that run is alive (its process runs on
        this host, or it renews its lease within a third of one); else (a run that just died) its lease is
        waited out and the part taken over."""
        nonce = new_nonce()
        first: dt.datetime | None = None  # the other run's lease when first seen
        for _ in range(5):
            await self.lease.ensure()
            claim = await self.store.claim_part(platform, target, post_key, part, nonce, owner=self.owner,
                                                now=self.clock())
            if not self._wait_for(claim):
                return claim
            assert claim.lease_expires is not None
            alive = owner_alive(claim.owner)
            if alive or (first is not None and claim.lease_expires > first and alive is None):
                return claim  # a live run (its process is running here, or it renewed while we waited)
            first = first or claim.lease_expires
            wait = (claim.lease_expires - self.clock()).total_seconds()
            if wait > self.lease_seconds + 1:
                return claim  # a longer lease than ours: a live run's
            # first long enough to see a live run renew, then until the lease runs out
            await asyncio.sleep(max(0.0, min(wait, self.lease_seconds / 3 + 0.25)) + 0.05)
        return claim

    def _wait_for(self, claim: Claim) -> bool:
        return claim.state == ClaimState.BUSY and self.wait_for_leases and claim.lease_expires is not None

    async def _record_sent(self, post: LedgerPost, part: int, ref: SentRef, following: int | None) -> Claim | None:
        """Record ``part`` sent and claim the ``following`` one in the same write (``None``: it was the last)."""
        platform, target, post_key = post.platform, post.target, post.post_key
        if following is None:
            await self.store.mark_sent(platform, target, post_key, part, ref.message_id, ref.thread_id)
            return None
        await self.lease.ensure()
        claim = await self.store.mark_sent_and_claim(platform, target, post_key, part, ref.message_id,
                                                     ref.thread_id, following, new_nonce(), owner=self.owner,
                                                     now=self.clock())
        return await self._claim(platform, target, post_key, following) if self._wait_for(claim) else claim

    async def _send_parts(self, post: LedgerPost, result: PostResult, claimed: Claim | None) -> None:
        platform, target, post_key = post.platform, post.target, post.post_key
        transport = self.transports[platform]
        sent: dict[int, SentRef] = {}
        rejected: set[int] = set()
        # claimed: the next part's claim, when the last write took it already
        for index, stored in enumerate(post.parts):
            part, payload = stored.part, stored.payload
            claim = claimed or await self._claim(platform, target, post_key, part)
            claimed = None
            if claim.state == ClaimState.SENT:
                sent[part] = SentRef(claim.message_id or "", claim.thread_id)
                result.skipped += 1
                continue
            if claim.state == ClaimState.FAILED:
                rejected.add(part)
                continue
            if claim.state == ClaimState.BUSY:
                result.outcome, result.detail = Outcome.BUSY, f"part {part} is being sent by another run"
                return
            parent: SentRef | None = None
            if payload.thread_of is not None:
                if payload.thread_of in rejected or payload.thread_of not in sent:
                    await self.store.mark_failed(platform, target, post_key, part,
                                                 "the message it replies to was rejected")
                    rejected.add(part)
                    continue
                parent = sent[payload.thread_of]
            try:
                ref = await transport.send(target, payload, parent=parent, nonce=claim.nonce,
                                           unknown=claim.state == ClaimState.UNKNOWN)
            except ChannelUnavailable as exc:
                await self.store.release_part(platform, target, post_key, part)
                await self._unavailable(platform, target, exc.reason, post.report_to)
                result.outcome, result.detail = Outcome.FAILED, exc.reason
                return
            except PartRejected as exc:
                log.warning("%s %s: part %d of %s rejected: %s", platform, target, part, post_key, exc.reason)
                await self.store.mark_failed(platform, target, post_key, part, exc.reason)
                self._metrics(platform).parts_failed.inc()
                rejected.add(part)
                result.rejected += 1
                result.detail = f"part {part} rejected: {exc.reason}"
                continue
            except asyncio.CancelledError:
                raise  # the claim stays: the next attempt resolves it by looking
            except Exception as exc:  # outcome unknown: the next attempt resolves it by looking
                log.warning("%s %s: part %d of %s not confirmed: %s", platform, target, part, post_key,
                            type(exc).__name__)
                result.outcome, result.detail = Outcome.INCOMPLETE, f"{type(exc).__name__} on part {part}"
                return
            following = post.parts[index + 1].part if index + 1 < len(post.parts) else None
            claimed = await self._record_sent(post, part, ref, following)
            self._metrics(platform).parts_sent.inc()
            sent[part] = ref
            result.sent += 1

    async def resume_unfinished(self, *, platforms: set[str] | None = None, target: str | None = None,
                                due_only: bool = True) -> list[PostResult]:
        """Finish recorded posts left unfinished (a crash, an outage), oldest first per channel.

        ``due_only`` skips posts whose back-off has not run out (the running bot's retry loop).
        """
        now = self.clock()
        posts = [p for p in await self.store.unfinished_posts(target=target)
                 if p.platform in self.transports and (platforms is None or p.platform in platforms)
                 and not (due_only and p.retry_at is not None and p.retry_at > now)]
        by_channel: dict[tuple[str, str], list[LedgerPost]] = {}
        for post in posts:
            by_channel.setdefault((post.platform, post.target), []).append(post)

        async def channel(queue: list[LedgerPost]) -> list[PostResult]:
            results = []
            for post in queue:  # an older post is finished before a newer one goes on
                result = await self._safe_resume(post)
                results.append(result)
                if result.outcome not in (Outcome.SENT, Outcome.SKIPPED):
                    break
            return results

        batches = await asyncio.gather(*(channel(q) for q in by_channel.values()))
        return [r for batch in batches for r in batch]

    async def _safe_resume(self, post: LedgerPost) -> PostResult:
        try:
            return await self.resume(post)
        except Exception as exc:  # one channel's failure never stops the others
            log.exception("%s %s: resuming %s crashed", post.platform, post.target, post.post_key)
            return PostResult(post.platform, post.target, post.post_key, Outcome.FAILED, detail=type(exc).__name__)

    async def _unavailable(self, platform: str, target: str, reason: str, report_to: str) -> None:
        if not await self.store.set_unavailable(platform, target, reason):
            return
        log.warning("%s channel %s is unavailable (%s): not posting there until its schedule is set again",
                    platform, target, reason)
        if report_to and report_to != target:
            t = await channel_lang(self.store, platform, target, ENGLISH)  # the language that channel was set to
            note = Message((Notice(t._("paperbot can't post the daily papers to channel {channel}: {reason}. "
                                       "Invite the bot or give it access, then set the schedule again.",
                                       channel=target, reason=reason),
                                   Level.WARNING),), kind=MessageKind.ALERT)
            try:
                await self.deliver(platform, report_to, post_keys.unavailable(target), (note,))
            except Exception:  # the report is best effort; the log line above stands
                log.warning("%s: could not tell %s that %s is unavailable", platform, report_to, target)
