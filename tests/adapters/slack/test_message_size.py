"""Real-sized days through slack-sdk to the fake Slack: no message over Slack's cumulative block-text limit."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import limits
from adapters.slack.render import render, text_size
from bot.layout import digest_messages
from bot.models import Digest, Paper
from tests.bot.strategies import stored
from tests.fakes.slack import MAX_BLOCKS_TEXT, FakeSlack

TITLES = [
    "Step-DPO: Step-wise Preference Optimization for Long-chain Reasoning of LLMs",
    "OMG-LLaVA: Bridging Image-level, Object-level, Pixel-level Reasoning and Understanding",
    "SeaKR: Self-aware Knowledge Retrieval for Adaptive Retrieval Augmented Generation",
    "Aligning Teacher with Student Preferences for Tailored Training Data Generation",
]


def real_day(count: int) -> Digest:
    papers = tuple(
        Paper(f"2410.{i:05d}", f"https://arxiv.org/abs/2410.{i:05d}", f"{TITLES[i % len(TITLES)]} ({i})",
              votes=200 - i, authors=("Senqiao Yang", "Yukang Chen"),
              sections=(("What's New", "수학적 추론은 대형 언어 모델(LLMs)에서 중요한 장기 추론 능력입니다."),),
              media=f"https://cdn-uploads.huggingface.co/production/uploads/{i}.mp4" if i % 10 == 0 else None)
        for i in range(count))
    return Digest(dt.date(2024, 10, 15), papers)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=slack.api_url)


async def test_a_120_paper_day_posts_without_msg_blocks_too_long(slack: FakeSlack) -> None:
    day = real_day(120)
    post, *_ = digest_messages(stored(day))
    payloads = render([post])
    assert sum(text_size(b) for p in payloads for b in p.body["blocks"]) > MAX_BLOCKS_TEXT  # one message won't do
    assert len(payloads) >= 2
    web = client(slack)
    for payload in payloads:
        assert text_size(payload.body["blocks"]) <= limits.MESSAGE_BLOCKS_TEXT < MAX_BLOCKS_TEXT
        answer = await web.chat_postMessage(channel="C1", **payload.body)
        assert answer["ok"]
    shown = "\n".join(b["text"]["text"] for m in slack.messages for b in m.blocks if b["type"] == "section")
    assert all(f"https://arxiv.org/abs/{p.arxiv_id}|" in shown for p in day.papers)  # every paper, in order
    ranks = [line.split(". ▲")[0] for line in shown.splitlines() if ". ▲" in line]
    assert ranks == [str(i) for i in range(1, 121)]


async def test_the_fake_rejects_a_message_over_the_limit_like_slack(slack: FakeSlack) -> None:
    post, *_ = digest_messages(stored(real_day(120)))
    blocks = [b for p in render([post]) for b in p.body["blocks"]][: limits.MAX_BLOCKS]
    assert text_size(blocks) > MAX_BLOCKS_TEXT
    with pytest.raises(SlackApiError) as raised:
        await client(slack).chat_postMessage(channel="C1", text="all at once", blocks=blocks)
    assert raised.value.response["error"] == "msg_blocks_too_long"
    assert slack.messages == []


async def test_a_papers_video_is_linked_in_its_thread_reply(slack: FakeSlack) -> None:
    _, first, second = digest_messages(stored(real_day(2)))
    web = client(slack)
    for message in (first, second):
        for payload in render([message]):
            await web.chat_postMessage(channel="C1", **payload.body)
    contexts = [e["text"] for m in slack.messages for b in m.blocks if b["type"] == "context" for e in b["elements"]]
    videos = [t for t in contexts if "▶ video" in t]
    assert videos == ["<https://cdn-uploads.huggingface.co/production/uploads/0.mp4|▶ video>"]
