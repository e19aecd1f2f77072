"""Cards in the reader's language: the paper's text, its dates and every fixed word, on all three renderers."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from adapters.console.render import render as console_render
from adapters.discord.render import render as discord_render
from adapters.slack.render import render as slack_render
from bot.i18n import ENGLISH, KOREAN, Lang
from bot.layout import digest_messages, paper_card, split_sections
from bot.messages import Detail, Message, PaperCard
from bot.models import Paper
from bot.store import StoredDigest, StoredPaper

DAY = dt.date(2024, 6, 28)
KO_NEW = ("What's New", "Step-DPO는 각 추론 단계를 선호 최적화의 단위로 삼습니다.")
KO_DETAILS = ("Technical Details", "올바른 단계와 잘못된 단계를 구분합니다.")
EN_SUMMARY = ("AI summary", "Step-DPO optimizes preferences step by step.")
EN_ABSTRACT = ("Abstract", "Mathematical reasoning presents a significant challenge for LLMs.")
BOTH = Paper("2406.18629", "https://arxiv.org/abs/2406.18629", "Step-DPO", votes=14, authors=("Xin Lai",),
             sections=(KO_NEW, KO_DETAILS, EN_SUMMARY, EN_ABSTRACT), media="https://example.org/v.mp4")
KOREAN_ONLY = Paper("2406.19389", "https://arxiv.org/abs/2406.19389", "OMG-LLaVA", sections=(KO_NEW,))


def stored(paper: Paper) -> StoredPaper:
    return StoredPaper(paper, (DAY,))


def thread_card(paper: Paper, t: Lang) -> PaperCard:
    _, reply = digest_messages(StoredDigest(DAY, (stored(paper),)), t=t)
    (card,) = reply.blocks
    assert isinstance(card, PaperCard)
    return card


def test_sections_split_by_their_language():
    assert split_sections(BOTH.sections, "ko") == ((KO_NEW, KO_DETAILS), (EN_SUMMARY, EN_ABSTRACT))
    assert split_sections(BOTH.sections, "en") == ((EN_SUMMARY, EN_ABSTRACT), (KO_NEW, KO_DETAILS))


@pytest.mark.parametrize(("t", "shown", "note"), [
    (KOREAN, (KO_NEW, KO_DETAILS), "영어 초록: `/papers show 2406.18629`"),
    (ENGLISH, (EN_SUMMARY, EN_ABSTRACT), "Korean summary: `/papers show 2406.18629`"),
])
def test_a_post_shows_the_channels_language_and_says_where_the_other_is(t, shown, note):
    card = thread_card(BOTH, t)
    assert card.paper.sections == shown
    assert card.other_language == note
    assert Message((card,)).fallback().endswith(note)  # notifications and plain-text clients say it too


def test_a_post_of_a_paper_in_one_language_shows_what_there_is():
    card = thread_card(KOREAN_ONLY, ENGLISH)
    assert card.paper.sections == (KO_NEW,) and card.other_language == ""


@pytest.mark.parametrize(("t", "order"), [
    (KOREAN, [KO_NEW, KO_DETAILS, EN_SUMMARY, EN_ABSTRACT]),
    (ENGLISH, [EN_SUMMARY, EN_ABSTRACT, KO_NEW, KO_DETAILS]),
])
def test_show_gives_both_languages_the_readers_first(t, order):
    card = paper_card(stored(BOTH), Detail.FULL, t=t)
    assert list(card.paper.sections) == order and card.other_language == ""


def rendered_texts(card: PaperCard) -> dict[str, str]:
    messages = (Message((card,)),)
    return {
        "console": console_render(messages)[0].body["text"],
        "discord": json.dumps([p.body for p in discord_render(messages)], ensure_ascii=False, default=str),
        "slack": json.dumps([p.body for p in slack_render(messages)], ensure_ascii=False),
    }


@pytest.mark.parametrize("platform", ["console", "discord", "slack"])
def test_cards_say_dates_and_fixed_words_in_the_readers_language(platform):
    korean = rendered_texts(thread_card(BOTH, KOREAN))[platform]
    assert "2024년 6월 28일 (금)" in korean and "영어 초록" in korean and "2024-06-28" not in korean
    assert "▶ 영상" in korean and "video" not in korean and "digest" not in korean
    english = rendered_texts(thread_card(BOTH, ENGLISH))[platform]
    assert "Fri, Jun 28, 2024" in english and "Korean summary" in english and "2024-06-28" not in english
    assert "▶ video" in english and "영상" not in english
