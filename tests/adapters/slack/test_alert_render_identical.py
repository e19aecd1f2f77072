"""Alerts rendered for Slack through the alert run's caches (:class:`bot.alert_send.RenderCache`: cards shared between
subscribers, renderings kept by identity, messages packed by block group) are byte for byte what the renderer's rules
give when every block is rendered alone, split block group by block group and the fallback cut from the whole text —
and, on a fixed sample, what the renderer wrote before those caches (the golden file)."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import random
from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.slack import limits
from adapters.slack.blocks import render_block, section
from adapters.slack.mrkdwn import plain
from adapters.slack.render import EMPTY_FALLBACK, render, text_size
from bench import synth
from bot.alert_send import AlertBatch, RenderCache, alert_messages
from bot.i18n import Lang
from bot.messages import Message
from bot.models import Paper
from bot.payload import Payload
from bot.text import fit
from tests.bot.strategies import HOSTILE, papers
from tests.golden import assert_matches_golden

DAY = dt.date(2024, 6, 28)
GOLDEN = pathlib.Path(__file__).parent / "golden" / "alerts.json"


# -- the rules, applied plainly ---------------------------------------------------------------------------------
def reference(messages: Sequence[Message]) -> list[Payload]:
    """Slack payloads by the renderer's rules, nothing kept between blocks or messages."""
    payloads: list[Payload] = []
    first_payload: list[int] = []
    for index, message in enumerate(messages):
        groups = [group for group in map(render_block, message.blocks) if group]
        fallback = fit(message.fallback(), limits.FALLBACK_TEXT, escape=plain) or EMPTY_FALLBACK
        chunks = split_by_group(groups or [[section(fallback)]])
        thread_of = first_payload[message.thread_of] if message.thread_of is not None else None
        first_payload.append(len(payloads))
        first_line = fallback.splitlines()[0] if fallback.strip() else EMPTY_FALLBACK
        for part, chunk in enumerate(chunks, start=1):
            text = fallback if part == 1 else f"{fit(first_line, 200)} ({part}/{len(chunks)})"
            payloads.append(Payload({"text": text, "blocks": chunk}, thread_of=thread_of, ephemeral=message.ephemeral,
                                    source=index, meta={"part": part, "parts": len(chunks), "kind": message.kind}))
    return payloads


def split_by_group(groups: list[list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    """Each message takes whole block groups while they fit (50 blocks, the text budget); a group too big for any
    message is split between its blocks."""
    chunks: list[list[dict[str, Any]]] = [[]]
    size = 0
    for group in groups:
        chars = sum(text_size(block) for block in group)
        if chunks[-1] and not (len(chunks[-1]) + len(group) <= limits.MAX_BLOCKS
                               and size + chars <= limits.MESSAGE_BLOCKS_TEXT):
            chunks.append([])
            size = 0
        if len(chunks[-1]) + len(group) <= limits.MAX_BLOCKS and size + chars <= limits.MESSAGE_BLOCKS_TEXT:
            chunks[-1].extend(group)
            size += chars
            continue
        for block in group:
            if chunks[-1] and not (len(chunks[-1]) < limits.MAX_BLOCKS
                                   and size + text_size(block) <= limits.MESSAGE_BLOCKS_TEXT):
                chunks.append([])
                size = 0
            chunks[-1].append(block)
            size += text_size(block)
    return [chunk for chunk in chunks if chunk]


def fields(payloads: Sequence[Payload]) -> list[list[Any]]:
    return [[p.body, p.thread_of, p.ephemeral, p.source, p.meta] for p in payloads]


def encoded(payloads: Sequence[Payload]) -> list[str]:
    """What is sent and recorded, as bytes would show a difference: key order, escapes, every field."""
    return [json.dumps(payload, ensure_ascii=False) for payload in fields(payloads)]


class SlackRendering:
    platform = "slack"

    def render(self, messages: Sequence[Message]) -> list[Payload]:
        return render(messages)


class Renderer:
    """What :class:`RenderCache` needs of a deliverer: its transports."""

    def __init__(self) -> None:
        self.transports = {"slack": SlackRendering()}


def alerts_rendered(alerts: Sequence[tuple[AlertBatch, str]]) -> list[tuple[list[Payload], list[Payload]]]:
    """Each alert through one render cache, as an alert run renders them, and by the plain rules."""
    cache = RenderCache(Renderer())  # type: ignore[arg-type]
    return [(cache.render(batch, Lang(language)), reference(alert_messages(batch, Lang(language))))
            for batch, language in alerts]


# -- any papers, any terms ----------------------------------------------------------------------------------------
TERMS = st.lists(st.sampled_from(["agents", "추론", 'author:"Yu Wang"', "RAG", "*bold*", "<!channel>", "a_b~c`"]),
                 max_size=3, unique=True).map(tuple)


@st.composite
def alert_runs(draw: st.DrawFn) -> list[tuple[AlertBatch, str]]:
    """Several subscribers' alerts over one pool of papers: shared cards, each subscriber's own terms, long alerts
    that take several messages."""
    pool = draw(st.lists(papers(max_section=3000), min_size=1, max_size=30, unique_by=lambda p: p.arxiv_id))
    alerts = []
    for n in range(draw(st.integers(1, 6))):
        chosen = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=30, unique_by=lambda p: p.arxiv_id))
        hits = tuple((paper, draw(TERMS)) for paper in chosen)
        language = draw(st.sampled_from(["en", "ko"]))
        alerts.append((AlertBatch("slack", f"user:U{n}", DAY, hits, "alert:2024-06-28"), language))
    return alerts


@settings(max_examples=60, deadline=None)
@given(alert_runs())
def test_an_alert_run_renders_what_the_rules_give_byte_for_byte(alerts: list[tuple[AlertBatch, str]]) -> None:
    for cached, plainly in alerts_rendered(alerts):
        assert encoded(cached) == encoded(plainly)


def test_long_alerts_with_hostile_text_render_what_the_rules_give() -> None:
    gen = synth.Generator(8)
    many = tuple((gen.paper(f"2408.{n:05d}"), ("agents",)) for n in range(150))  # listed past the cards: split
    alerts = [*sample(), *((AlertBatch("slack", f"user:L{n}", DAY, many, "alert:2024-06-28"), language)
                           for n, language in enumerate(("en", "ko")))]
    rendered = alerts_rendered(alerts)
    assert sum(len(cached) > 1 for cached, _ in rendered) >= 2  # alerts split over several messages
    for cached, plainly in rendered:
        assert encoded(cached) == encoded(plainly)


# -- the renderer before the alert run's caches --------------------------------------------------------------------
def sample() -> list[tuple[AlertBatch, str]]:
    """A fixed, varied alert run: bench.synth papers (Korean summaries, author lists) and hostile ones (markup,
    mentions, a long title and author list, thumbnails, links, a video), 6 subscribers' alerts of 1–20 papers in
    both languages, most papers shown to several of them with different terms."""
    gen = synth.Generator(7)
    pool = [gen.paper(f"2406.{n:05d}") for n in range(16)]
    rng = random.Random(7)
    for n in range(4):
        words = rng.sample(HOSTILE, 5)
        pool.append(Paper(f"2407.{n:05d}", f"https://arxiv.org/abs/2407.{n:05d}?x=1&y=<2>",
                          " ".join(words) * (1 + 30 * (n == 0)),
                          thumbnail=rng.choice([None, f"https://cdn.example/{n}.png", f"https://cdn.example/{n}.svg"]),
                          votes=rng.choice([None, 0, 7, 1234]),
                          authors=tuple(f"{w} Author{i}" for i, w in enumerate(words * (1 + 30 * (n == 1)))),
                          links=(("Code", "https://github.com/org/repo"), ("Project|page", "https://x.example/a b")),
                          media="https://cdn.example/video.mp4" if n % 2 == 0 else None))
    terms = [("agents",), ("추론",), ("RAG", 'author:"Yu Wang"'), ("*_~`", "<!channel>"), ()]
    alerts = []
    for n, size in enumerate([1, 4, 18, 2, 9, 20]):
        chosen = sorted(rng.sample(range(len(pool)), size))
        hits = tuple((pool[i], terms[(i + n // 2) % len(terms)]) for i in chosen)
        alerts.append((AlertBatch("slack", f"user:U{n}", DAY, hits, "alert:2024-06-28"), "ko" if n % 3 == 0 else "en"))
    return alerts


def test_a_fixed_alert_run_renders_as_before() -> None:
    """The golden file was written by the renderer before the alert run's caches, then rewritten once when alerts
    began listing the papers past their first five a line each (only the three alerts of more than five papers
    changed). PAPERBOT_UPDATE_GOLDEN=1 rewrites it from today's; review its diff. Compared as JSON text too: the same
    keys in the same order."""
    cache = RenderCache(Renderer())  # type: ignore[arg-type]
    rendered = [fields(cache.render(batch, Lang(language))) for batch, language in sample()]
    assert_matches_golden(rendered, GOLDEN)
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert json.dumps(rendered, ensure_ascii=False) == json.dumps(golden, ensure_ascii=False)
