"""An alert batch, the message its subscriber gets, and sending many of them through the ledger.

Alerts with the same papers for the same terms on the same day, on one platform and in one
language, are rendered once (:class:`RenderCache`); batches go out many at once, one queue per
target so a target's alerts keep their order.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.delivery import Deliverer, PostResult
from bot.i18n import DEFAULT, Lang, channel_lang, language_of
from bot.layout import COMMAND, card, card_actions
from bot.messages import Block, Detail, Header, Message, MessageKind, PaperCard, Text
from bot.models import Paper
from bot.payload import Payload
from bot.store import Store

#: rendered alerts waiting for their send at most (bounds memory; the Deliverer bounds each platform's sends)
ALERTS_IN_FLIGHT = 1000


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


def target_of(subscriber: str) -> str:
    """Where an alert goes: ``user:<id>`` stays a DM target, ``channel:<id>`` becomes the channel id."""
    return subscriber.removeprefix("channel:")


#: an alert card as shared between subscribers: (arxiv_id, matched terms, language, day)
CardKey = tuple[str, tuple[str, ...], str, dt.date]


def alert_messages(batch: AlertBatch, t: Lang | None = None,
                   cards: dict[CardKey, PaperCard] | None = None) -> tuple[Message, ...]:
    """The alert: a header, one card per paper (its matched terms named; no rank, so that a paper
    matched by the same terms is the same card in every subscriber's alert), how to stop it.
    ``cards``: the cards built so far, reused (a renderer may then reuse their rendering too); a paper's
    card is built once and given each subscriber's terms."""
    t = t or Lang(DEFAULT)
    cards = {} if cards is None else cards
    blocks: list[Block] = [
        Header(t.ngettext("🔔 {n} new paper for your alerts — {date}", "🔔 {n} new papers for your alerts — {date}",
                          len(batch.papers), date=day_label(t.code, batch.date))),
    ]
    for paper, terms in batch.papers:
        key = (paper.arxiv_id, terms, t.code, batch.date)
        block = cards.get(key)
        if block is None:
            base_key = (paper.arxiv_id, (), t.code, batch.date)
            base = cards.get(base_key)
            if base is None:
                base = cards[base_key] = card(paper, Detail.COMPACT, t, dates=(batch.date,),
                                              actions=card_actions(paper, t=t))
            block = cards[key] = replace(base, matched=terms) if terms else base
        blocks.append(block)
    blocks.append(Text(t._("Stop an alert with `{command} unsubscribe <topic>`.", command=COMMAND)))
    return (Message(tuple(blocks), kind=MessageKind.ALERT),)


@functools.lru_cache(maxsize=64)
def day_label(language: str, day: dt.date) -> str:
    """A day as ``language`` writes it (every alert of a run has the same header date)."""
    return Lang(language).date(day)


async def alert_language(store: Store, batch: AlertBatch, default: Lang, transport: object = None) -> Lang:
    """A channel's alerts speak its ``/papers language``; a direct message its reader's language where the
    platform says it (a transport's ``user_language(user)``: Slack asks ``users.info``), else the process's."""
    if batch.subscriber.startswith("channel:"):
        return await channel_lang(store, batch.platform, batch.target, default)
    user_language = getattr(transport, "user_language", None)
    chosen = language_of(await user_language(batch.subscriber.removeprefix("user:"))) if user_language else None
    return Lang(chosen) if chosen else default


class RenderCache:
    """Each distinct alert rendered once per platform and language: subscribers whose alerts hold the
    same papers for the same terms on the same day share the payloads (nothing mutates them)."""

    def __init__(self, deliverer: Deliverer) -> None:
        self.deliverer = deliverer
        self._payloads: dict[tuple[str, str, dt.date, tuple[tuple[str, tuple[str, ...]], ...]], list[Payload]] = {}
        self._cards: dict[CardKey, PaperCard] = {}
        self.seconds = 0.0  # spent rendering
        self.cpu_seconds = 0.0  # the process's CPU time meanwhile
        self.renders = 0
        self.reused = 0

    @staticmethod
    def key(batch: AlertBatch, language: str) -> tuple[str, str, dt.date, tuple[tuple[str, tuple[str, ...]], ...]]:
        return batch.platform, language, batch.date, tuple([(paper.arxiv_id, terms) for paper, terms in batch.papers])

    def render(self, batch: AlertBatch, t: Lang) -> list[Payload]:
        key = self.key(batch, t.code)
        payloads = self._payloads.get(key)
        if payloads is None:
            started, cpu = time.perf_counter(), time.process_time()
            transport = self.deliverer.transports[batch.platform]
            payloads = self._payloads[key] = transport.render(alert_messages(batch, t, self._cards))
            self.seconds += time.perf_counter() - started
            self.cpu_seconds += time.process_time() - cpu
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
    results: list[PostResult | None] = [None] * len(batches)
    gate = asyncio.Semaphore(in_flight)

    async def one_target(queue: list[int]) -> None:
        try:  # the language looked up here, many targets at once (a platform may ask its API for it)
            first = batches[queue[0]]
            t = await alert_language(deliverer.store, first, default, deliverer.transports.get(first.platform))
            for i in queue:
                batch = batches[i]
                results[i] = await deliverer.deliver_rendered(batch.platform, batch.target, batch.post_key,
                                                              cache.render(batch, t))
        finally:
            gate.release()

    tasks: list[asyncio.Task[None]] = []
    try:
        # identical alerts one after another: their shared payloads are recorded while the ledger's caches of
        # them (the JSON, by identity) still hold them
        for queue in sorted(queues.values(), key=lambda q: RenderCache.key(batches[q[0]], "")):
            await gate.acquire()
            tasks.append(asyncio.create_task(one_target(queue)))
        await asyncio.gather(*tasks)  # the first failure (or crash) is raised as it is
    finally:
        for task in tasks:
            task.cancel()  # after a failure: nothing more starts (claims left to the ledger)
    return [r for r in results if r is not None]
