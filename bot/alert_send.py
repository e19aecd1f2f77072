"""An alert batch, the message its subscriber gets, and sending many of them through the ledger.

Alerts with the same papers for the same terms on the same day, on one platform and in one
language, are rendered once (:class:`RenderCache`); batches go out many at once, one queue per
target so a target's alerts keep their order.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import itertools
import operator
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from bot.delivery import Deliverer, PostResult
from bot.i18n import DEFAULT, Lang, channel_langs, language_of
from bot.layout import COMMAND, card, card_actions
from bot.messages import Block, Detail, Header, Message, MessageKind, PaperCard, PaperList, Text
from bot.models import Paper
from bot.payload import Payload
from bot.store import Store

#: rendered alerts waiting for their send at most (bounds memory; the Deliverer bounds each platform's sends)
ALERTS_IN_FLIGHT = 1000
#: papers an alert shows as cards; more are listed after them a line each, so that an alert for forty papers is
#: one message to read (two where a platform's size limit splits it; Slack sends one a second per channel), not a
#: dozen of cards
ALERT_CARDS = 5


@dataclass(frozen=True, slots=True)
class AlertBatch:
    """One subscriber's alert for one digest: the matching papers and why each matched."""

    platform: str
    subscriber: str  # "user:<id>" or "channel:<id>"
    date: dt.date
    papers: tuple[tuple[Paper, tuple[str, ...]], ...]
    #: the ledger key its papers were claimed under (see :func:`bot.post_keys.alert`)
    post_key: str

    @property
    def target(self) -> str:
        return target_of(self.subscriber)

    @property
    def to_channel(self) -> bool:
        """A channel's alert (``channel:<id>``), not a direct message."""
        return self.subscriber.startswith("channel:")


def target_of(subscriber: str) -> str:
    """Where an alert goes: ``user:<id>`` stays a DM target, ``channel:<id>`` becomes the channel id."""
    return subscriber.removeprefix("channel:")


#: the cards built so far for one language and day, by (arxiv_id, matched terms); shared between subscribers
Cards = dict[tuple[str, tuple[str, ...]], PaperCard]


def alert_messages(batch: AlertBatch, t: Lang | None = None,
                   cards: dict[tuple[str, dt.date], Cards] | None = None) -> tuple[Message, ...]:
    """The alert: a header, one card per paper (its matched terms named; no rank, so that a paper
    matched by the same terms is the same card in every subscriber's alert) for the first :data:`ALERT_CARDS`,
    the rest listed after them a line each, how to stop it.
    ``cards``: the cards built so far by language and day, reused (a renderer may then reuse their rendering too);
    a paper's card is built once and given each subscriber's terms."""
    t = t or Lang(DEFAULT)
    shelf = ({} if cards is None else cards).setdefault((t.code, batch.date), {})
    return _alert_messages(batch, t, shelf, content_of(batch)[2])


def _alert_messages(batch: AlertBatch, t: Lang, shelf: Cards,
                    keys: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[Message, ...]:
    """:func:`alert_messages` with the batch's cards' keys (arxiv id, terms) at hand: the cards built already are
    looked up all at once, the others built."""
    keys = keys[:ALERT_CARDS]  # the papers shown as cards
    found = list(map(shelf.get, keys))
    if any(map(operator.is_, found, itertools.repeat(None))):
        for i, (paper, terms) in enumerate(batch.papers[:ALERT_CARDS]):
            if found[i] is None:
                base = shelf.get((paper.arxiv_id, ()))
                if base is None:
                    base = shelf[(paper.arxiv_id, ())] = card(paper, Detail.COMPACT, t, dates=(batch.date,),
                                                              actions=card_actions(paper, t=t))
                found[i] = shelf[keys[i]] = with_terms(base, terms) if terms else base
    shown = cast(list[PaperCard], found)  # each one found or built
    header = alert_header(t.code, len(batch.papers), batch.date)
    if len(batch.papers) <= ALERT_CARDS:
        return (Message((header, *shown, alert_footer(t.code)), kind=MessageKind.ALERT),)
    listed = PaperList(tuple([paper for paper, _ in batch.papers[ALERT_CARDS:]]), start=ALERT_CARDS + 1)
    blocks: tuple[Block, ...] = (header, *shown, more_header(t.code, len(listed.papers)), listed,
                                 alert_footer(t.code))
    return (Message(blocks, kind=MessageKind.ALERT),)


def with_terms(base: PaperCard, terms: tuple[str, ...]) -> PaperCard:
    """``dataclasses.replace(base, matched=terms)`` without its look-ups by field name (an alert run makes tens of
    thousands of these); every other field is ``base``'s own object."""
    return PaperCard(base.paper, base.detail, base.rank, base.dates, base.snippet, terms, base.actions,
                     base.matched_label, base.date_labels, base.more_label, base.video_label, base.other_language)


@functools.lru_cache(maxsize=1024)
def alert_header(language: str, n: int, day: dt.date) -> Header:
    """An alert's header: how many papers, the day (an alert run writes the same few many times)."""
    t = Lang(language)
    return Header(t.ngettext("🔔 {n} new paper for your alerts — {date}", "🔔 {n} new papers for your alerts — {date}",
                             n, date=day_label(language, day)))


@functools.lru_cache(maxsize=1024)
def more_header(language: str, n: int) -> Header:
    """The header over an alert's papers past its cards, listed a line each."""
    return Header(Lang(language).ngettext("🔔 {n} more new paper for your alerts",
                                          "🔔 {n} more new papers for your alerts", n))


@functools.lru_cache(maxsize=64)
def alert_footer(language: str) -> Text:
    """How to stop an alert."""
    return Text(Lang(language)._("Stop an alert with `{command} unsubscribe <topic>`.", command=COMMAND))


@functools.lru_cache(maxsize=64)
def day_label(language: str, day: dt.date) -> str:
    """A day as ``language`` writes it (every alert of a run has the same header date)."""
    return Lang(language).date(day)


async def alert_language(batch: AlertBatch, default: Lang, transport: object,
                         channels: Mapping[tuple[str, str], Lang]) -> Lang:
    """A channel's alerts speak its ``/papers language`` (``channels``: every channel's of the run, by (platform,
    channel), from :func:`channel_languages`); a direct message its reader's language where the platform says it (a
    transport's ``user_language(user)``: Slack asks ``users.info``), else the process's."""
    if batch.to_channel:
        return channels[(batch.platform, batch.target)]
    user_language = getattr(transport, "user_language", None)
    chosen = language_of(await user_language(batch.subscriber.removeprefix("user:"))) if user_language else None
    return Lang(chosen) if chosen else default


async def channel_languages(store: Store, batches: Sequence[AlertBatch],
                            default: Lang) -> dict[tuple[str, str], Lang]:
    """The language of every channel the batches go to, by (platform, channel): one look-up per platform."""
    channels: dict[str, dict[str, None]] = {}
    for batch in batches:
        if batch.to_channel:
            channels.setdefault(batch.platform, {})[batch.target] = None
    return {(platform, channel): t for platform, some in channels.items()
            for channel, t in (await channel_langs(store, platform, list(some), default)).items()}


#: what an alert says, whatever its language: its platform, day, and papers (by arxiv id) with their matched terms
Content = tuple[str, dt.date, tuple[tuple[str, tuple[str, ...]], ...]]


def content_of(batch: AlertBatch) -> Content:
    """Alerts with the same content are the same alert (in one language): :class:`RenderCache`'s key, and the
    order :func:`send` starts targets in (identical alerts one after another)."""
    return batch.platform, batch.date, tuple([(paper.arxiv_id, terms) for paper, terms in batch.papers])


class RenderCache:
    """Each distinct alert rendered once per platform and language: subscribers whose alerts hold the
    same papers for the same terms on the same day share the payloads (nothing mutates them)."""

    def __init__(self, deliverer: Deliverer) -> None:
        self.deliverer = deliverer
        self._payloads: dict[tuple[str, Content], list[Payload]] = {}
        self._cards: dict[tuple[str, dt.date], Cards] = {}
        self.seconds = 0.0  # spent rendering
        #: the event loop thread's CPU time spent rendering (rendering runs in that thread only). Not the process's:
        #: reading that makes the kernel add up every thread's, ~30 µs a read while the store's thread is busy, two
        #: reads a render in the event loop's thread (~0.6 s of an alert run to 100,000 subscribers)
        self.cpu_seconds = 0.0
        self.renders = 0
        self.reused = 0

    def render(self, batch: AlertBatch, t: Lang, content: Content | None = None) -> list[Payload]:
        """The batch's payloads in ``t``'s language; ``content``: :func:`content_of` the batch, if known."""
        key = (t.code, content_of(batch) if content is None else content)
        payloads = self._payloads.get(key)
        if payloads is None:
            started, cpu = time.perf_counter(), time.thread_time()
            transport = self.deliverer.transports[batch.platform]
            shelf = self._cards.setdefault((t.code, batch.date), {})
            payloads = self._payloads[key] = transport.render(_alert_messages(batch, t, shelf, key[1][2]))
            self.seconds += time.perf_counter() - started
            self.cpu_seconds += time.thread_time() - cpu
            self.renders += 1
        else:
            self.reused += 1
        return payloads


async def send(deliverer: Deliverer, batches: Sequence[AlertBatch], cache: RenderCache | None = None,
               *, in_flight: int = ALERTS_IN_FLIGHT, language: Lang | None = None) -> list[PostResult]:
    """Deliver the batches through the ledger, many at once; one target's batches in order, in its language."""
    cache = cache or RenderCache(deliverer)
    default = language or Lang(DEFAULT)
    queues: dict[tuple[str, str], list[int]] = {}
    for i, batch in enumerate(batches):
        queues.setdefault((batch.platform, batch.target), []).append(i)
    contents = [content_of(batch) for batch in batches]
    results: list[PostResult | None] = [None] * len(batches)
    gate = asyncio.Semaphore(in_flight)
    channels = await channel_languages(deliverer.store, batches, default)

    async def one_target(queue: list[int]) -> None:
        try:  # a reader's language looked up here, many targets at once (a platform may ask its API for it)
            first = batches[queue[0]]
            t = await alert_language(first, default, deliverer.transports.get(first.platform), channels)
            for i in queue:
                batch = batches[i]
                results[i] = await deliverer.deliver_rendered(batch.platform, batch.target, batch.post_key,
                                                              cache.render(batch, t, contents[i]))
        finally:
            gate.release()

    tasks: list[asyncio.Task[None]] = []
    try:
        # identical alerts one after another: their shared payloads are recorded while the ledger's caches of
        # them (the JSON, by identity) still hold them
        for queue in sorted(queues.values(), key=lambda q: contents[q[0]]):
            await gate.acquire()
            tasks.append(asyncio.create_task(one_target(queue)))
        await asyncio.gather(*tasks)  # the first failure (or crash) is raised as it is
    finally:
        for task in tasks:
            task.cancel()  # after a failure: nothing more starts (claims left to the ledger)
    return [r for r in results if r is not None]
