"""Topic alerts: which subscribers a batch of new papers concerns, and the message they get.

Matching never loops over every subscription: the papers' grams go to the store, which
returns only subscriptions indexed by one of them (see :mod:`bot.matching`); those few
are verified against the papers that contain their gram. Cost grows with the papers
and the matches, not with the number of subscriptions.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bot import matching, post_keys
from bot.delivery import Deliverer, Outcome, PostResult
from bot.layout import card_actions
from bot.messages import Detail, Header, Message, PaperCard, Text
from bot.models import Paper
from bot.store import Store, Subscription


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
    return f'author:"{sub.term}"' if sub.kind == "author" else sub.term


async def match(store: Store, papers: Sequence[Paper]) -> dict[tuple[str, str], dict[str, list[str]]]:
    """``{(platform, subscriber): {arxiv_id: [matched terms]}}`` for the given papers."""
    texts = {p.arxiv_id: matching.paper_text(p) for p in papers}
    grams = {pid: matching.text_grams(text) for pid, text in texts.items()}
    authors = {p.arxiv_id: matching.paper_author_tokens(p) for p in papers}
    keyword_grams: set[str] = set().union(*grams.values()) if grams else set()
    author_grams: set[str] = {t for tokens in authors.values() for name in tokens for t in name}
    candidates = await store.subscription_candidates(keyword_grams, author_grams)
    if not candidates:
        return {}
    candidates.sort(key=lambda c: c.id)  # matched terms listed in the order they were subscribed
    # papers containing each candidate's index gram: set intersections, not a scan per term
    wanted = {c.gram for c in candidates if c.kind == "keyword"}
    gram_papers: dict[str, list[str]] = defaultdict(list)
    for pid, paper_grams in grams.items():
        for gram in paper_grams & wanted:
            gram_papers[gram].append(pid)
    keyword_hits: dict[tuple[str, str], list[str]] = {}
    for key, gram in {(c.term_key, c.gram) for c in candidates if c.kind == "keyword"}:
        found = gram_papers.get(gram, [])
        if key == gram and not key.isascii():
            keyword_hits[(key, gram)] = found  # the term is its own gram: containing it is matching
        else:
            check = matching.keyword_matcher(key)
            keyword_hits[(key, gram)] = [pid for pid in found if check(texts[pid])]
    wanted_authors = {c.gram for c in candidates if c.kind == "author"}
    token_papers: dict[str, list[str]] = defaultdict(list)
    for pid, names in authors.items():
        for token in set().union(*names) & wanted_authors if names else ():
            token_papers[token].append(pid)
    author_hits: dict[str, list[str]] = {}
    for key, gram in {(c.term_key, c.gram) for c in candidates if c.kind == "author"}:
        check_author = matching.author_matcher(key)
        author_hits[key] = [pid for pid in token_papers.get(gram, ()) if check_author(authors[pid])]
    result: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(dict)
    for sub in candidates:
        hits = keyword_hits.get((sub.term_key, sub.gram), []) if sub.kind == "keyword" \
            else author_hits.get(sub.term_key, [])
        if not hits:
            continue
        label = describe(sub)
        mine = result[(sub.platform, sub.subscriber)]
        for pid in hits:
            if pid in mine:
                mine[pid].append(label)
            else:
                mine[pid] = [label]
    return dict(result)


async def batches(store: Store, date: dt.date, papers: Sequence[Paper],
                  platforms: set[str] | None = None) -> list[AlertBatch]:
    """New alerts for papers of the digest of ``date``; each (subscriber, paper) at most once ever.

    The papers are claimed under the batch's own post key before the alert is sent; a
    crash between the claim and the post being recorded is found by :func:`orphans` and
    the alert is sent then: each alert exactly once.
    """
    by_id = {p.arxiv_id: p for p in papers}
    out: list[AlertBatch] = []
    for (platform, subscriber), hits in sorted((await match(store, papers)).items()):
        if platforms is not None and platform not in platforms:
            continue  # not claimed: whoever runs that platform alerts it
        key = post_keys.alert(date)
        fresh = await store.claim_alerts(platform, subscriber, key, hits)
        if fresh:
            ordered = [pid for pid in by_id if pid in fresh]  # digest order
            out.append(AlertBatch(platform, subscriber, date,
                                  tuple((by_id[pid], tuple(hits[pid])) for pid in ordered), key))
    return out


async def orphans(store: Store, platforms: set[str]) -> list[AlertBatch]:
    """Alert batches claimed by a run that crashed before recording their post."""
    out = []
    for claim in await store.orphan_alerts(platforms):
        found = []
        for arxiv_id, terms in claim.papers:
            stored = await store.paper(arxiv_id)
            if stored is not None:
                found.append((stored.paper, terms))
        if found:
            out.append(AlertBatch(claim.platform, claim.subscriber, post_keys.alert_date(claim.post_key),
                                  tuple(found), claim.post_key))
    return out


def alert_messages(batch: AlertBatch) -> tuple[Message, ...]:
    count = len(batch.papers)
    blocks: list = [
        Header(f"🔔 {count} new paper{'s' if count != 1 else ''} for your alerts — {batch.date.isoformat()}"),
    ]
    for rank, (paper, terms) in enumerate(batch.papers, start=1):
        blocks.append(PaperCard(paper, Detail.COMPACT, rank=rank, dates=(batch.date,), matched=terms,
                                actions=card_actions(paper)))
    blocks.append(Text("Stop an alert with `/papers unsubscribe <topic>`."))
    return (Message(tuple(blocks), kind="alert"),)


async def deliver_alerts(store: Store, deliverer: Deliverer, date: dt.date, papers: Sequence[Paper],
                         *, dry_run: bool = False) -> list[PostResult]:
    """Match new papers, then send each subscriber one batched alert (platforms with a transport only)."""
    if dry_run:
        found = await match(store, papers)
        return [PostResult(platform, target_of(sub), post_keys.ALERT + date.isoformat(), Outcome.DRY_RUN,
                           detail=f"{len(hits)} papers") for (platform, sub), hits in sorted(found.items())]
    results = []
    platforms = set(deliverer.transports)
    for batch in [*await orphans(store, platforms), *await batches(store, date, papers, platforms)]:
        results.append(await deliverer.deliver(batch.platform, batch.target, batch.post_key, alert_messages(batch)))
    return results
