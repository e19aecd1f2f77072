"""Alert messages on Slack: a paper's card is rendered once and shared by every subscriber's alert, each still
seeing their own matched terms, and a long alert reads exactly as if each of its cards were rendered alone."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.slack import limits
from adapters.slack.blocks import card
from adapters.slack.mrkdwn import plain
from adapters.slack.render import fallback_text, render
from bot.alert_send import AlertBatch, alert_messages
from bot.i18n import Lang
from bot.messages import Message, MessageKind, PaperCard, PaperList, Text
from bot.models import Paper
from bot.text import fit
from tests.bot.strategies import papers

DAY = dt.date(2024, 6, 28)


def paper(n: int, **fields: object) -> Paper:
    base: dict[str, object] = {"arxiv_id": f"2406.{n:05d}", "url": f"https://arxiv.org/abs/2406.{n:05d}",
                               "title": f"Paper {n} on agents", "authors": ("Yu Wang", "Ada Lovelace"),
                               "sections": (("Summary", "요약 " * 200),), "votes": n}
    return Paper(**(base | fields))  # type: ignore[arg-type]


def batch(subscriber: str, hits: list[tuple[Paper, tuple[str, ...]]]) -> AlertBatch:
    return AlertBatch("slack", subscriber, DAY, tuple(hits), "alert:2024-06-28")


def blocks_of(payloads: list) -> list[dict]:
    return [b for p in payloads for b in p.body["blocks"]]


def context_of(payloads: list, title: str) -> str:
    """The context line under the card titled ``title``."""
    blocks = blocks_of(payloads)
    at = next(i for i, b in enumerate(blocks) if b["type"] == "section" and title in b["text"]["text"])
    return " | ".join(e["text"] for e in blocks[at + 1]["elements"])


def test_each_subscriber_sees_their_own_terms_on_a_shared_card():
    shared = paper(1)
    cards: dict = {}
    ada = render(alert_messages(batch("user:U1", [(shared, ("agents",))]), Lang("en"), cards))
    bo = render(alert_messages(batch("user:U2", [(shared, ("agents", 'author:"Yu Wang"'))]), Lang("en"), cards))
    again = render(alert_messages(batch("user:U3", [(shared, ("agents",))]), Lang("en"), cards))
    assert "🎯 agents" in context_of(ada, "Paper 1 on agents")
    assert 'author:"Yu Wang"' not in json.dumps([p.body for p in ada], ensure_ascii=False)
    assert "🎯 agents, author:\"Yu Wang\"" in context_of(bo, "Paper 1 on agents")
    assert [p.body for p in again] == [p.body for p in ada]
    # the same card whoever is alerted: votes, authors, buttons
    for payloads in (ada, bo):
        context = context_of(payloads, "Paper 1 on agents")
        assert "▲1" in context and "Yu Wang, Ada Lovelace" in context
        assert any(b["type"] == "actions" for b in blocks_of(payloads))


def test_a_shared_card_renders_as_the_card_alone():
    shared, other = paper(1), paper(2, authors=())
    cards: dict = {}
    for terms in [("agents",), ("agents", "추론"), (), ("agents",)]:
        messages = alert_messages(batch("user:U1", [(shared, terms), (other, terms)]), Lang("ko"), cards)
        expected = [b for block in messages[0].blocks if isinstance(block, PaperCard) for b in card(block)]
        assert [b for b in blocks_of(render(messages)) if b["type"] not in ("header",)][:len(expected)] == expected


def test_a_long_alert_is_split_and_its_fallback_reads_as_the_whole_text():
    hits = [(paper(n), ("agents",)) for n in range(1, 201)]  # five cards, then 195 lines: past one message's text
    messages = alert_messages(batch("user:U1", hits), Lang("en"), {})
    payloads = render(messages)
    assert len(payloads) > 1
    assert all(len(p.body["blocks"]) <= limits.MAX_BLOCKS for p in payloads)
    shown = " ".join(b["text"]["text"] for b in blocks_of(payloads) if b["type"] == "section")
    assert all(f"Paper {n} on agents" in shown for n in range(1, 201))
    assert payloads[0].body["text"] == fit(messages[0].fallback(), limits.FALLBACK_TEXT, escape=plain)


@settings(max_examples=40, deadline=None)
@given(st.lists(papers(), min_size=1, max_size=40, unique_by=lambda p: p.arxiv_id))
def test_fallback_is_the_message_text_cut(found: list[Paper]):
    messages = alert_messages(batch("user:U1", [(p, ("x",)) for p in found]), Lang("en"), {})
    assert fallback_text(messages[0]) == (fit(messages[0].fallback(), limits.FALLBACK_TEXT, escape=plain)
                                          or "paperbot")


@settings(max_examples=60, deadline=None)
@given(st.lists(papers(max_section=50), min_size=1, max_size=80, unique_by=lambda p: p.arxiv_id),
       st.sampled_from(["", "   ", "\n\n", "Alerts", " " * 2990, "x" * 2990]), st.integers(1, 40))
def test_a_list_is_read_only_as_far_as_the_fallback_shows_it_yet_reads_as_the_whole_text(
        found: list[Paper], lead: str, start: int):
    """Leading text of any length (blank too: the fallback is stripped before it is cut), then a list."""
    message = Message((Text(lead), PaperList(tuple(found), start=start), Text("Stop an alert")),
                      kind=MessageKind.ALERT)
    assert fallback_text(message) == (fit(message.fallback(), limits.FALLBACK_TEXT, escape=plain) or "paperbot")


def test_a_long_list_shows_its_first_lines_in_the_fallback():
    found = tuple(paper(n, title=f"Paper {n}") for n in range(1, 301))
    text = fallback_text(Message((PaperList(found, start=6),), kind=MessageKind.ALERT))
    assert text.startswith("6. ▲1 Paper 1 https://arxiv.org/abs/2406.00001\n7. ▲2 Paper 2")
    assert text.endswith("…") and len(text) <= limits.FALLBACK_TEXT
