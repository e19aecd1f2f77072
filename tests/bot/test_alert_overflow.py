"""An alert shows its first papers as cards and lists the rest after them a line each: every matched paper is told
once, and an alert for forty papers is one message (two where a platform's size limit splits it), not a dozen."""

from __future__ import annotations

import datetime as dt
import io
import json

from rich.console import Console

from adapters.discord.render import render as discord_render
from adapters.slack import limits
from adapters.slack.render import render as slack_render
from bot.alert_send import ALERT_CARDS, AlertBatch, alert_messages
from bot.i18n import Lang
from bot.messages import Header, PaperCard, PaperList, Text
from bot.models import Paper

DAY = dt.date(2024, 6, 28)


def paper(n: int) -> Paper:
    return Paper(f"2406.{n:05d}", f"https://arxiv.org/abs/2406.{n:05d}", f"Paper {n} on agents",
                 authors=("Yu Wang",), sections=(("Summary", "요약 " * 80),), votes=n)


def batch(n: int, platform: str = "slack") -> AlertBatch:
    return AlertBatch(platform, "user:U1", DAY, tuple((paper(i), ("agents",)) for i in range(1, n + 1)),
                      "alert:2024-06-28")


def test_a_short_alert_is_cards_only():
    (message,) = alert_messages(batch(ALERT_CARDS), Lang("en"))
    cards = [b for b in message.blocks if isinstance(b, PaperCard)]
    assert [c.paper.arxiv_id for c in cards] == [f"2406.{i:05d}" for i in range(1, ALERT_CARDS + 1)]
    assert not any(isinstance(b, PaperList) for b in message.blocks)


def test_a_long_alert_lists_the_papers_past_its_cards():
    (message,) = alert_messages(batch(12), Lang("en"))
    header, *cards, more, listed, footer = message.blocks
    assert isinstance(header, Header) and header.text.startswith("🔔 12 new papers for your alerts")
    assert [c.paper.arxiv_id for c in cards] == [f"2406.{i:05d}" for i in range(1, ALERT_CARDS + 1)]  # type: ignore[attr-defined]
    assert isinstance(more, Header) and more.text == f"🔔 {12 - ALERT_CARDS} more new papers for your alerts"
    assert isinstance(listed, PaperList) and listed.start == ALERT_CARDS + 1
    assert [p.arxiv_id for p in listed.papers] == [f"2406.{i:05d}" for i in range(ALERT_CARDS + 1, 13)]
    assert isinstance(footer, Text) and "unsubscribe" in footer.text  # how to stop it: at the end


def test_korean_alert_says_how_many_more():
    (message,) = alert_messages(batch(8), Lang("ko"))
    assert "🔔 알림 주제의 새 논문 3편 더" in [b.text for b in message.blocks if isinstance(b, Header)]


def test_forty_papers_on_slack_name_every_paper_once_in_one_or_two_messages():
    payloads = slack_render(alert_messages(batch(40), Lang("en")))
    assert len(payloads) <= 2
    assert all(len(p.body["blocks"]) <= limits.MAX_BLOCKS for p in payloads)
    shown = json.dumps([p.body["blocks"] for p in payloads])
    for i in range(1, 41):
        assert shown.count(f"https://arxiv.org/abs/2406.{i:05d}|") == 1  # a card's title or a list line
    assert "35 more new papers for your alerts" in shown


def test_a_dozen_papers_on_slack_are_one_message():
    assert len(slack_render(alert_messages(batch(12), Lang("en")))) == 1


def test_forty_papers_on_discord_are_cards_then_a_titled_listing():
    bodies = [p.body for p in discord_render(alert_messages(batch(40, "discord"), Lang("en")))]
    embeds = [e for b in bodies for e in b["embeds"]]
    cards = [e for e in embeds if e.get("url")]
    listing = [e for e in embeds if not e.get("url")]
    assert len(bodies) <= 2
    assert [e["url"] for e in cards] == [f"https://arxiv.org/abs/2406.{i:05d}" for i in range(1, ALERT_CARDS + 1)]
    assert listing[0]["title"] == f"🔔 {40 - ALERT_CARDS} more new papers for your alerts"
    assert all(len(b["embeds"]) <= 10 for b in bodies)
    listed = "\n".join(e["description"] for e in listing)
    for i in range(ALERT_CARDS + 1, 41):
        assert listed.count(f"(https://arxiv.org/abs/2406.{i:05d})") == 1
    content = "\n".join(b["content"] for b in bodies)
    assert "40 new papers" in content and "more new papers" not in content  # the listing's title, not the text


async def test_console_shows_the_cards_then_the_numbered_list():
    from adapters.console.transport import ConsoleTransport

    out = io.StringIO()
    transport = ConsoleTransport(Console(file=out, width=120, color_system=None))
    for payload in transport.render(alert_messages(batch(7, "console"), Lang("en"))):
        await transport.send("user:U1", payload, parent=None, nonce="n", unknown=False)
    text = out.getvalue()
    assert text.count("→ you:") == 1
    assert "Paper 5 on agents" in text and "2 more new papers" in text
    assert " 6." in text and "Paper 7 on agents" in text
