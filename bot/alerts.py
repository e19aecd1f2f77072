"""Topic alerts: one run, from a batch of new papers to each subscriber's message.

An alert run has four stages (``bench/alerts.py`` times each):

1. **match** (:func:`bot.alert_match.match_terms`): one automaton over every subscribed term
   reads each paper once; the result stays per term (term → papers, subscriber → terms).
2. **claim** (:func:`batches`): per set of terms, their papers are combined (once for all the
   subscribers with those terms), and many subscribers' papers are claimed in one statement under
   the batch's own post key, so each (subscriber, paper) is alerted once ever; the next statement's
   claims are combined while the store writes the last one's.
3. **render**: identical alerts are rendered once per platform and language
   (:class:`bot.alert_send.RenderCache`).
4. **send**: every batch through the delivery ledger, many at once (one queue per target).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from bot import post_keys
from bot.alert_match import Matches, TermId, Who, match, match_terms
from bot.alert_send import AlertBatch, RenderCache, alert_messages, send, target_of
from bot.delivery import Deliverer, Outcome, PostResult
from bot.i18n import Lang
from bot.models import Paper
from bot.store import Store

__all__ = ["AlertBatch", "AlertRun", "Matches", "alert_messages", "batches", "deliver_alerts", "match",
           "match_terms", "orphans", "run_alerts", "send", "target_of"]

#: (subscription, paper) pairs claimed in one statement at most (bounds the statement's size)
CLAIM_PAIRS = 50_000
#: how far back a crash between claiming alerts and posting them is looked for (claims are indexed by time)
ORPHAN_WINDOW = dt.timedelta(days=7)


async def batches(store: Store, date: dt.date, papers: Sequence[Paper],
                  platforms: set[str] | None = None, *, found: Matches | None = None) -> list[AlertBatch]:
    """New alerts for papers of the digest of ``date``; each (subscriber, paper) at most once ever.

    The papers are claimed under the batch's own post key before the alert is sent; a
    crash between the claim and the post being recorded is found by :func:`orphans` and
    the alert is sent then: each alert exactly once. ``found``: the papers' matches, when
    the caller has them already. While the store writes one statement's claims, the next
    statement's are combined (the store works in its own thread or server).
    """
    if found is None:
        found = await match_terms(store, papers)
    combined = _Combined(found, papers, date, post_keys.alert(date))
    by_platform: dict[str, list[Who]] = {}
    for who in sorted(found.subscribers):
        if platforms is None or who[0] in platforms:  # not claimed: whoever runs that platform alerts it
            by_platform.setdefault(who[0], []).append(who)
    out: list[AlertBatch] = []
    claiming: list[tuple[asyncio.Future[dict[str, list[str]]], str, dict[str, dict[str, list[str]]]]] = []

    async def read(waiting: int) -> None:
        """The alerts of the claims started before, oldest first: those done, and more until only ``waiting``
        are left (claims go one after another in the store: a few in flight keep it busy)."""
        while claiming and (len(claiming) > waiting or claiming[0][0].done()):
            task, platform, asked = claiming.pop(0)
            out.extend(combined.batches(platform, asked, await task))

    def start(platform: str, chunk: dict[str, dict[str, list[str]]]) -> None:
        claiming.append((asyncio.ensure_future(store.claim_alerts_many(platform, combined.key, chunk)), platform,
                         chunk))

    try:
        for platform, subscribers in by_platform.items():
            chunk: dict[str, dict[str, list[str]]] = {}
            pairs = 0
            for n, who in enumerate(subscribers, 1):
                hits = chunk[who[1]] = combined.hits(found.subscribers[who])
                pairs += len(hits)
                if pairs >= CLAIM_PAIRS:
                    start(platform, chunk)
                    chunk, pairs = {}, 0
                if n % _YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # the claims in flight take their next step
                    await read(_IN_FLIGHT)
            if chunk:
                start(platform, chunk)
        await read(0)
    finally:  # failed or cancelled midway: the claims in flight end as they would have (claimed: orphans later)
        await asyncio.gather(*(task for task, _, _ in claiming), return_exceptions=True)
    return out


#: subscribers combined between two looks at the claims in flight
_YIELD_EVERY = 100
#: claim statements started and not yet read, at most (each holds its chunk and its answer)
_IN_FLIGHT = 2


class _Combined:
    """Each distinct set of matching terms combined once: subscribers with the same terms share their papers
    mapping (claimed as it is) and, when all of them are new to the subscriber, the alert's papers."""

    def __init__(self, found: Matches, papers: Sequence[Paper], date: dt.date, key: str) -> None:
        self.found, self.date, self.key = found, date, key
        self.by_id: dict[str, Paper] = {}
        for p in papers:
            self.by_id.setdefault(p.arxiv_id, p)
        self.position = {pid: i for i, pid in enumerate(self.by_id)}
        self._hits: dict[tuple[tuple[TermId, str], ...], dict[str, list[str]]] = {}
        self._alerts: dict[int, tuple[tuple[Paper, tuple[str, ...]], ...]] = {}  # by id of the shared hits

    def hits(self, terms: tuple[tuple[TermId, str], ...]) -> dict[str, list[str]]:
        hits = self._hits.get(terms)
        if hits is None:
            hits = self._hits[terms] = self.found.combine(terms)
        return hits

    def batches(self, platform: str, asked: dict[str, dict[str, list[str]]],
                fresh: dict[str, list[str]]) -> list[AlertBatch]:
        """The alerts of one claim statement: each subscriber's papers just claimed, in digest order."""
        out = []
        for subscriber, ids in fresh.items():
            hits = asked[subscriber]
            if len(ids) == len(hits):  # every paper new to it, as usual: the same alert as its terms' others
                papers = self._alerts.get(id(hits))
                if papers is None:
                    papers = self._alerts[id(hits)] = self._papers(platform, subscriber, hits, ids)
            else:
                papers = self._papers(platform, subscriber, hits, ids)
            out.append(AlertBatch(platform, subscriber, self.date, papers, self.key))
        return out

    def _papers(self, platform: str, subscriber: str, hits: dict[str, list[str]],
                ids: list[str]) -> tuple[tuple[Paper, tuple[str, ...]], ...]:
        by_id = self.by_id
        if len(self.found.subscribers[(platform, subscriber)]) == 1:  # one term: its papers in digest order already
            terms = tuple(hits[ids[0]])
            return tuple([(by_id[pid], terms) for pid in ids])
        ordered = sorted(ids, key=self.position.__getitem__)  # digest order
        return tuple([(by_id[pid], tuple(hits[pid])) for pid in ordered])


async def orphans(store: Store, platforms: set[str]) -> list[AlertBatch]:
    """Alert batches claimed by a run that crashed before recording their post (within the window)."""
    out = []
    papers: dict[str, Paper | None] = {}  # a crashed run's claims name the same papers for many subscribers
    for claim in await store.orphan_alerts(platforms, since=dt.datetime.now(dt.UTC) - ORPHAN_WINDOW):
        found = []
        for arxiv_id, terms in claim.papers:
            if arxiv_id not in papers:
                stored = await store.paper(arxiv_id)
                papers[arxiv_id] = stored.paper if stored is not None else None
            paper = papers[arxiv_id]
            if paper is not None:
                found.append((paper, terms))
        if found:
            out.append(AlertBatch(claim.platform, claim.subscriber, post_keys.alert_date(claim.post_key),
                                  tuple(found), claim.post_key))
    return out


@dataclass
class AlertRun:
    """What one alert run did and how long each stage took (``bench/alerts.py`` prints it)."""

    results: list[PostResult]
    match_s: float = 0.0
    claim_s: float = 0.0  # orphans found, matches combined per subscriber and claimed
    render_s: float = 0.0  # inside the send stage, rendering only
    send_s: float = 0.0  # the send stage, rendering included
    #: the process's CPU time (every thread: the store's too) in each stage, which a busy machine inflates less;
    #: rendering's is the event loop thread's only (reading the process's costs ~30 µs while the store's thread
    #: works, and rendering happens thousands of times inside the send stage)
    match_cpu_s: float = 0.0
    claim_cpu_s: float = 0.0
    render_cpu_s: float = 0.0
    send_cpu_s: float = 0.0
    batches: int = 0
    pairs: int = 0
    renders: int = 0
    renders_reused: int = 0


async def run_alerts(store: Store, deliverer: Deliverer, date: dt.date, papers: Sequence[Paper],
                     *, run: AlertRun | None = None, language: Lang | None = None) -> AlertRun:
    """Alerts left by a crashed run, then the new papers' alerts: matched, claimed, rendered, sent.

    ``run`` is filled in stage by stage (a caller that gives up midway still sees how far it got)."""
    run = run or AlertRun([])
    with _cycles_collected_after():
        return await _run(store, deliverer, date, papers, run, language)


@contextlib.contextmanager
def _cycles_collected_after() -> Iterator[None]:
    """The cycle collector paused while the run builds its million small objects (none of them in a cycle: each
    pass would walk the whole heap again), and run once after."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
            gc.collect(1)


async def _run(store: Store, deliverer: Deliverer, date: dt.date, papers: Sequence[Paper], run: AlertRun,
               language: Lang | None) -> AlertRun:
    platforms = set(deliverer.transports)
    started, cpu = time.perf_counter(), time.process_time()
    found = await match_terms(store, papers)
    matched, matched_cpu = time.perf_counter(), time.process_time()
    run.match_s, run.match_cpu_s, run.pairs = matched - started, matched_cpu - cpu, found.pairs
    todo = [*await orphans(store, platforms), *await batches(store, date, papers, platforms, found=found)]
    claimed, claimed_cpu = time.perf_counter(), time.process_time()
    run.claim_s, run.claim_cpu_s, run.batches = claimed - matched, claimed_cpu - matched_cpu, len(todo)
    cache = RenderCache(deliverer)
    try:
        run.results = await send(deliverer, todo, cache, language=language)
    finally:
        run.render_s, run.render_cpu_s = cache.seconds, cache.cpu_seconds
        run.send_s, run.send_cpu_s = time.perf_counter() - claimed, time.process_time() - claimed_cpu
        run.renders, run.renders_reused = cache.renders, cache.reused
    return run


async def deliver_alerts(store: Store, deliverer: Deliverer, date: dt.date, papers: Sequence[Paper],
                         *, dry_run: bool = False, language: Lang | None = None) -> list[PostResult]:
    """Match new papers, then send each subscriber one batched alert (platforms with a transport only)."""
    if dry_run:
        found = await match(store, papers)
        return [PostResult(platform, target_of(sub), post_keys.ALERT + date.isoformat(), Outcome.DRY_RUN,
                           detail=f"{len(hits)} papers") for (platform, sub), hits in sorted(found.items())]
    return (await run_alerts(store, deliverer, date, papers, language=language)).results
