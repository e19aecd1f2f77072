"""Which subscriptions a batch of new papers matches, kept per term until the alerts are built.

Every distinct keyword term anyone subscribes to goes into one automaton
(:class:`bot.matching.TermAutomaton`); each paper is read once and yields the terms it
matches, whatever their number. Author terms are looked up by their first word among the
papers' author names. Only then are the matched terms' subscriptions read from the store.
Cost grows with the papers and the distinct terms, not with the subscriptions; the result
stays per term (term → papers, subscriber → terms) and is combined per subscriber only
when the alerts are claimed.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from bot import matching
from bot.models import Paper
from bot.store import Store, SubscriberRow, TopicKind
from bot.topics import topic_text

#: a term as matched: (kind, term_key)
TermId = tuple[str, str]
#: (platform, subscriber)
Who = tuple[str, str]


def subscription_label(kind: str, term: str) -> str:
    """How an alert names the subscription a paper matched: as typed (``추론``, ``author:"Yu Wang"``)."""
    return topic_text(kind, term)


@dataclass(frozen=True, slots=True)
class Matches:
    """What a batch of papers matched, kept per term until a subscriber's alert is built."""

    #: each matching term's papers, in the order they were given
    papers: dict[TermId, tuple[str, ...]]
    #: each alerted subscriber's matching terms with their labels, in the order they were subscribed
    subscribers: dict[Who, tuple[tuple[TermId, str], ...]]

    def hits(self, who: Who) -> dict[str, list[str]]:
        """``{arxiv_id: [matched terms]}`` for one subscriber."""
        return self.combine(self.subscribers[who])

    def combine(self, terms: tuple[tuple[TermId, str], ...]) -> dict[str, list[str]]:
        """``{arxiv_id: [matched terms]}`` for a subscriber with these matching ``terms``: its first term's papers,
        then the others' not among them. Subscribers with the same terms get the same alert, so callers
        combine each set of terms once; with one term (most subscribers) every paper shares one list."""
        papers = self.papers
        if len(terms) == 1:
            (term, label), = terms
            return dict.fromkeys(papers[term], [label])  # noqa: RUF024 -- shared on purpose, read only
        out: dict[str, list[str]] = {}
        for term, label in terms:
            for pid in papers[term]:
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


def match_papers(papers: Sequence[Paper], terms: Sequence[tuple[str, str]]) -> dict[TermId, tuple[str, ...]]:
    """The papers each of ``terms`` (``(kind, term_key)``) matches by :mod:`bot.matching`'s rule, in
    the papers' order; terms matching none left out."""
    by_id: dict[str, Paper] = {}
    for p in papers:
        by_id.setdefault(p.arxiv_id, p)
    found: dict[TermId, list[str]] = {}
    keywords = [key for kind, key in terms if kind == TopicKind.KEYWORD]
    if keywords:
        automaton = matching.TermAutomaton(keywords)
        for pid, paper in by_id.items():
            for key in automaton.matches(matching.haystack(matching.paper_text(paper))):
                found.setdefault((TopicKind.KEYWORD, key), []).append(pid)
    authors = [key for kind, key in terms if kind == TopicKind.AUTHOR]
    if authors:
        for key, pids in _author_hits(by_id, authors).items():
            found[(TopicKind.AUTHOR, key)] = pids
    return {term: tuple(pids) for term, pids in found.items()}


#: an author name with more words than this is checked against every author term (2**words subsets otherwise)
_MAX_NAME_WORDS = 10


def _author_hits(by_id: dict[str, Paper], keys: Sequence[str]) -> dict[str, list[str]]:
    """Each author term's papers, by :func:`bot.matching.author_matcher`'s rule (all the term's words
    among one author's): every subset of each author's words is looked up among the terms' word sets."""
    by_words: dict[frozenset[str], list[str]] = {}
    for key in keys:
        words = frozenset(matching.author_grams(key))
        if words:
            by_words.setdefault(words, []).append(key)
    out: dict[str, list[str]] = {}
    for pid, paper in by_id.items():
        hit: set[str] = set()
        for tokens in matching.paper_author_tokens(paper):
            if len(tokens) > _MAX_NAME_WORDS:
                hit.update(k for words, ks in by_words.items() if words <= tokens for k in ks)
                continue
            ordered = sorted(tokens)
            for size in range(1, len(ordered) + 1):
                for subset in itertools.combinations(ordered, size):
                    hit.update(by_words.get(frozenset(subset), ()))
        for key in hit:
            out.setdefault(key, []).append(pid)  # in the papers' order
    return out


async def match_terms(store: Store, papers: Sequence[Paper]) -> Matches:
    """The papers' matches per term, and each subscriber's matching terms."""
    found = match_papers(papers, await store.subscribed_terms())
    if not found:
        return Matches({}, {})
    rows: list[SubscriberRow] = await store.term_subscribers(
        [key for kind, key in found if kind == TopicKind.KEYWORD],
        [key for kind, key in found if kind == TopicKind.AUTHOR])
    rows.sort()  # by id: matched terms listed in the order they were subscribed
    subscribers: dict[Who, list[tuple[TermId, str]]] = {}
    for _, platform, subscriber, kind, term, key in rows:
        who = (platform, subscriber)
        entry = ((kind, key), subscription_label(kind, term))
        terms = subscribers.get(who)
        if terms is None:
            subscribers[who] = [entry]
        else:
            terms.append(entry)
    return Matches(found, {who: tuple(terms) for who, terms in subscribers.items()})


async def match(store: Store, papers: Sequence[Paper]) -> dict[Who, dict[str, list[str]]]:
    """``{(platform, subscriber): {arxiv_id: [matched terms]}}`` for the given papers."""
    return (await match_terms(store, papers)).combined()
