"""Topic alerts: which subscribers a batch of new papers concerns, and the message they get.

An alert run has four stages (``bench/alerts.py`` times each):

1. **match** (:func:`match_terms`): the papers' grams go to the store, which returns only
   subscriptions indexed by one of them (see :mod:`bot.matching`); each distinct term among
   those candidates is verified once, against the papers that contain its gram. Cost grows
   with the papers and the matches, not with the number of subscriptions. The result stays
   per term (term → papers, subscriber → terms), as small as the distinct terms are few.
2. **claim** (:func:`batches`): per subscriber, its terms' papers are combined and claimed in
   one statement under the batch's own post key, so each (subscriber, paper) is alerted once ever.
3. **render**: alerts with the same papers for the same terms are rendered once per platform
   (:class:`RenderCache`).
4. **send**: every batch through the delivery ledger, many at once (one queue per target).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot import matching, post_keys
from bot.delivery import Deliverer, Outcome, PostResult
from bot.i18n import DEFAULT, Lang, channel_lang
from bot.layout import card_actions
from bot.messages import Block, Detail, Header, Message, MessageKind, PaperCard, Text
from bot.models import Paper
from bot.payload import Payload
from bot.store import Store, Subscription
from bot.topics import topic_text

#: rendered alerts waiting for their send at most (bounds memory; the Deliverer bounds each platform's sends)
ALERTS_IN_FLIGHT = 1000
_WORD = re.compile(r"[^\W_]+")  # a word as the matching rule sees one (letters and digits)

#: a term as matched: (kind, term_key, index gram)
TermId = tuple[str, str, str]
#: (platform, subscriber)
Who = tuple[str, str]


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


def describe(sub: Subscription) -> str:
    return topic_text(sub.kind, sub.term)


@dataclass(frozen=True, slots=True)
class Matches:
    """What a batch of papers matched, kept per term until a subscriber's alert is built."""

    #: each matching term's papers, in the order they were given
    papers: dict[TermId, tuple[str, ...]]
    #: each alerted subscriber's matching terms with their labels, in the order they were subscribed
    subscribers: dict[Who, tuple[tuple[TermId, str], ...]]

    def hits(self, who: Who) -> dict[str, list[str]]:
        """``{arxiv_id: [matched terms]}`` for one subscriber."""
        out: dict[str, list[str]] = {}
        for term, label in self.subscribers[who]:
            for pid in self.papers[term]:
                labels = out.get(pid)
                if labels is None:
                    out[pid] = [label]
                else:
                    labels.append(label)
        return out

    def combined(self) -> dict[Who, dict[str, list[str]]]:
        return {who: self.hits(who) for who in self.subscribers}

    @property
    def pairs(self) -> int:
        """(subscription, paper) matches."""
        return sum(len(self.papers[term]) for terms in self.subscribers.values() for term, _ in terms)


@dataclass(frozen=True, slots=True)
class _Texts:
    """One paper's :func:`matching.paper_text`, split once for the term checks."""

    text: str
    words: str  # " word word … " per part (title, summaries), parts joined by matching.LINE
    squashed: str
    authors: str  # " word word … "


def _texts(text: str) -> _Texts:
    spaced, squashed, authors = [*text.split(matching.PART), "", "", ""][:3]
    words = matching.LINE.join(" " + " ".join(_WORD.findall(part)) + " " for part in spaced.split(matching.LINE))
    return _Texts(text, words, squashed, f" {authors} ")


def _checker(term_key: str) -> Callable[[_Texts], bool]:
    """:func:`matching.keyword_matcher`'s rule as substring tests (no regex per paper): a word
    sequence is a run of whole words in ``words`` (the last one only a word start unless
    whole). ``tests/bot/test_alerts.py`` checks both agree; an unknown kind asks the rule itself."""
    t = matching.term(term_key)
    if t.kind == "chars":
        chars = t.chars
        return lambda x: chars in x.squashed
    if t.kind != "words":
        rule = matching.keyword_matcher(term_key)
        return lambda x: bool(rule(x.text))
    if not t.words:
        return lambda x: False
    needle = " " + " ".join(t.words) + ("" if t.prefix else " ")
    if not t.authors:
        return lambda x: needle in x.words
    whole = " " + " ".join(t.words) + " "
    return lambda x: needle in x.words or whole in x.authors


async def match_terms(store: Store, papers: Sequence[Paper]) -> Matches:
    """The papers' matches per term, and each subscriber's matching terms."""
    texts = {p.arxiv_id: matching.paper_text(p) for p in papers}
    grams = {pid: matching.text_grams(text) for pid, text in texts.items()}
    authors = {p.arxiv_id: matching.paper_author_tokens(p) for p in papers}
    keyword_grams: set[str] = set().union(*grams.values()) if grams else set()
    author_grams: set[str] = {t for tokens in authors.values() for name in tokens for t in name}
    candidates = await store.subscription_candidates(keyword_grams, author_grams)
    if not candidates:
        return Matches({}, {})
    candidates.sort(key=lambda c: c.id)  # matched terms listed in the order they were subscribed
    # papers containing each candidate's index gram: set intersections, not a scan per term
    wanted = {c.gram for c in candidates if c.kind == "keyword"}
    gram_papers: dict[str, list[str]] = defaultdict(list)
    for pid, paper_grams in grams.items():
        for gram in paper_grams & wanted:
            gram_papers[gram].append(pid)
    wanted_authors = {c.gram for c in candidates if c.kind == "author"}
    token_papers: dict[str, list[str]] = defaultdict(list)
    for pid, names in authors.items():
        for token in set().union(*names) & wanted_authors if names else ():
            token_papers[token].append(pid)
    split: dict[str, _Texts] = {}
    found: dict[TermId, tuple[str, ...]] = {}
    for term in dict.fromkeys((c.kind, c.term_key, c.gram) for c in candidates):
        kind, key, gram = term
        if kind == "author":
            check_author = matching.author_matcher(key)
            hits = tuple(pid for pid in token_papers.get(gram, ()) if check_author(authors[pid]))
        elif key == gram and not key.isascii():
            hits = tuple(gram_papers.get(gram, ()))  # the term is its own gram: containing it is matching
        else:
            check = _checker(key)
            hits = tuple(pid for pid in gram_papers.get(gram, ())
                         if check(split.get(pid) or split.setdefault(pid, _texts(texts[pid]))))
        if hits:
            found[term] = hits
    subscribers: dict[Who, list[tuple[TermId, str]]] = {}
    for sub in candidates:
        term = (sub.kind, sub.term_key, sub.gram)
        if term in found:
            subscribers.setdefault((sub.platform, sub.subscriber), []).append((term, describe(sub)))
    return Matches(found, {who: tuple(terms) for who, terms in subscribers.items()})


async def match(store: Store, papers: Sequence[Paper]) -> dict[tuple[str, str], dict[str, list[str]]]:
    """``{(platform, subscriber): {arxiv_id: [matched terms]}}`` for the given papers."""
    return (await match_terms(store, papers)).combined()


async def batches(store: Store, date: dt.date, papers: Sequence[Paper],
                  platforms: set[str] | None = None, *, found: Matches | None = None) -> list[AlertBatch]:
    """New alerts for papers of the digest of ``date``; each (subscriber, paper) at most once ever.

    The papers are claimed under the batch's own post key before the alert is sent; a
    crash between the claim and the post being recorded is found by :func:`orphans` and
    the alert is sent then: each alert exactly once. ``found``: the papers' matches, when
    the caller has them already.
    """
    if found is None:
        found = await match_terms(store, papers)
    by_id: dict[str, Paper] = {}
    for p in papers:
        by_id.setdefault(p.arxiv_id, p)
    position = {pid: i for i, pid in enumerate(by_id)}
    out: list[AlertBatch] = []
    for who in sorted(found.subscribers):
        platform, subscriber = who
        if platforms is not None and platform not in platforms:
            continue  # not claimed: whoever runs that platform alerts it
        hits = found.hits(who)
        key = post_keys.alert(date)
        fresh = await store.claim_alerts(platform, subscriber, key, hits)
        if fresh:
            ordered = sorted(fresh, key=position.__getitem__)  # digest order
            out.append(AlertBatch(platform, subscriber, date,
                                  tuple((by_id[pid], tuple(hits[pid])) for pid in ordered), key))
    return out


#: how far back a crash between claiming alerts and posting them is looked for (claims are indexed by time)
ORPHAN_WINDOW = dt.timedelta(days=7)


async def orphans(store: Store, platforms: set[str]) -> list[AlertBatch]:
    """Alert batches claimed by a run that crashed before recording their post (within the window)."""
    out = []
    for claim in await store.orphan_alerts(platforms, since=dt.datetime.now(dt.UTC) - ORPHAN_WINDOW):
        found = []
        for arxiv_id, terms in claim.papers:
            stored = await store.paper(arxiv_id)
            if stored is not None:
                found.append((stored.paper, terms))
        if found:
            out.append(AlertBatch(claim.platform, claim.subscriber, post_keys.alert_date(claim.post_key),
                                  tuple(found), claim.post_key))
    return out


def alert_messages(batch: AlertBatch, t: Lang | None = None) -> tuple[Message, ...]:
    t = t or Lang(DEFAULT)
    blocks: list[Block] = [
        Header(t.ngettext("🔔 {n} new paper for your alerts — {date}", "🔔 {n} new papers for your alerts — {date}",
                          len(batch.papers), date=t.date(batch.date))),
    ]
    for rank, (paper, terms) in enumerate(batch.papers, start=1):
        blocks.append(PaperCard(paper, Detail.COMPACT, rank=rank, dates=(batch.date,), matched=terms,
                                actions=card_actions(paper, t=t)))
    blocks.append(Text(t._("Stop an alert with `{command} unsubscribe <topic>`.", command="/papers")))
    return (Message(tuple(blocks), kind=MessageKind.ALERT),)


async def alert_language(store: Store, batch: AlertBatch, default: Lang) -> Lang:
    """A channel's alerts speak its ``/papers language``; direct messages the process language."""
    if batch.subscriber.startswith("channel:"):
        return await channel_lang(store, batch.platform, batch.target, default)
    return default


class RenderCache:
    """Each distinct alert rendered once per platform: subscribers whose alerts hold the same
    papers for the same terms on the same day share the payloads (nothing mutates them)."""

    def __init__(self, deliverer: Deliverer) -> None:
        self.deliverer = deliverer
        self._payloads: dict[tuple[str, str, dt.date, tuple[tuple[str, tuple[str, ...]], ...]], list[Payload]] = {}
        self.seconds = 0.0  # spent rendering
        self.renders = 0
        self.reused = 0

    def render(self, batch: AlertBatch, t: Lang) -> list[Payload]:
        key = (batch.platform, t.code, batch.date, tuple((paper.arxiv_id, terms) for paper, terms in batch.papers))
        payloads = self._payloads.get(key)
        if payloads is None:
            started = time.perf_counter()
            transport = self.deliverer.transports[batch.platform]
            payloads = self._payloads[key] = transport.render(alert_messages(batch, t))
            self.seconds += time.perf_counter() - started
            self.renders += 1
        else:
            self.reused += 1
        return payloads


@dataclass
class AlertRun:
    """What one alert run did and how long each stage took (``bench/alerts.py`` prints it)."""

    results: list[PostResult]
    match_s: float = 0.0
    claim_s: float = 0.0  # orphans found, matches combined per subscriber and claimed
    render_s: float = 0.0  # inside the send stage, rendering only
    send_s: float = 0.0  # the send stage, rendering included
    batches: int = 0
    pairs: int = 0
    renders: int = 0
    renders_reused: int = 0


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

    async def one_target(queue: list[int], first: list[Payload], t: Lang) -> None:
        try:
            for n, i in enumerate(queue):
                batch = batches[i]
                payloads = first if n == 0 else cache.render(batch, t)
                results[i] = await deliverer.deliver_rendered(batch.platform, batch.target, batch.post_key, payloads)
        finally:
            gate.release()

    tasks: list[asyncio.Task[None]] = []
    try:
        for queue in queues.values():
            await gate.acquire()
            t = await alert_language(deliverer.store, batches[queue[0]], default)
            tasks.append(asyncio.create_task(one_target(queue, cache.render(batches[queue[0]], t), t)))
        await asyncio.gather(*tasks)  # the first failure (or crash) is raised as it is
    finally:
        for task in tasks:
            task.cancel()  # after a failure: nothing more starts (claims left to the ledger)
    return [r for r in results if r is not None]


async def run_alerts(store: Store, deliverer: Deliverer, date: dt.date, papers: Sequence[Paper],
                     *, run: AlertRun | None = None, language: Lang | None = None) -> AlertRun:
    """Alerts left by a crashed run, then the new papers' alerts: matched, claimed, rendered, sent.

    ``run`` is filled in stage by stage (a caller that gives up midway still sees how far it got)."""
    run = run or AlertRun([])
    platforms = set(deliverer.transports)
    started = time.perf_counter()
    found = await match_terms(store, papers)
    matched = time.perf_counter()
    run.match_s, run.pairs = matched - started, found.pairs
    todo = [*await orphans(store, platforms), *await batches(store, date, papers, platforms, found=found)]
    claimed = time.perf_counter()
    run.claim_s, run.batches = claimed - matched, len(todo)
    cache = RenderCache(deliverer)
    try:
        run.results = await send(deliverer, todo, cache, language=language)
    finally:
        run.render_s, run.send_s = cache.seconds, time.perf_counter() - claimed
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
