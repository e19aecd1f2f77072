"""An alert's cards: a paper's card is built once per language and day and given each subscriber's terms, every other
field the paper's card's own."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields, replace

from bot.alert_send import AlertBatch, alert_messages, content_of, with_terms
from bot.i18n import Lang
from bot.messages import PaperCard
from bot.models import Paper

DAY = dt.date(2024, 6, 28)


def test_a_subscribers_card_is_the_papers_card_with_their_terms() -> None:
    base = PaperCard(*[object() for _ in fields(PaperCard)])  # type: ignore[arg-type]  # every field its own object
    mine = with_terms(base, ("agents", "추론"))
    assert mine.matched == ("agents", "추론")
    assert all(getattr(mine, f.name) is getattr(base, f.name) for f in fields(PaperCard) if f.name != "matched")
    assert mine == replace(base, matched=("agents", "추론"))


def test_alerts_share_cards_by_paper_terms_language_and_day() -> None:
    a, b = (Paper(f"2406.0000{n}", f"https://arxiv.org/abs/2406.0000{n}", f"Paper {n}") for n in (1, 2))
    cards: dict = {}
    one = alert_messages(AlertBatch("slack", "user:U1", DAY, ((a, ("RAG",)), (b, ())), "k"), Lang("en"), cards)[0]
    two = alert_messages(AlertBatch("slack", "user:U2", DAY, ((a, ("RAG",)), (b, ("x",))), "k"), Lang("en"), cards)[0]
    korean = alert_messages(AlertBatch("slack", "user:U3", DAY, ((a, ("RAG",)),), "k"), Lang("ko"), cards)[0]
    assert one.blocks[1] is two.blocks[1] and one.blocks[1] is not korean.blocks[1]
    assert isinstance(one.blocks[2], PaperCard) and isinstance(two.blocks[2], PaperCard)
    assert (one.blocks[2].matched, two.blocks[2].matched) == ((), ("x",))
    assert one.blocks[2].paper is two.blocks[2].paper and one.blocks[2].actions is two.blocks[2].actions
    assert content_of(AlertBatch("slack", "user:U9", DAY, ((a, ("RAG",)), (b, ())), "k")) == \
        ("slack", DAY, (("2406.00001", ("RAG",)), ("2406.00002", ())))
