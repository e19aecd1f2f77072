"""``/papers`` typed in Korean or English on Slack (HTTP mode, real bolt, the fake Slack)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import PaperBot
from tests.adapters.slack.conftest import LISTED_ADMIN, HttpSlack
from tests.adapters.slack.test_http_mode import command
from tests.fakes.slack import FakeSlack


def buttons(body: dict[str, Any]) -> list[str]:
    return [e["text"]["text"] for b in body.get("blocks", []) for e in (b.get("elements") or [])
            + ([b["accessory"]] if "accessory" in b else []) if e.get("type") == "button"]


@pytest.mark.parametrize(("text", "expected"), [
    ("help", "paperbot — daily AI papers"),
    ("도움말", "paperbot — 매일 AI 논문"),
    ("search 추론", "🔎 “추론”: 2 papers"),
    ("검색 추론", "🔎 “추론”: 논문 2편"),
    ("serch 추론", "Did you mean `/papers search`?"),
    ("검삭 추론", "`/papers 검색`을(를) 찾으셨나요?"),
])
async def test_commands_in_either_language(http_slack: HttpSlack, slack: FakeSlack, text: str, expected: str) -> None:
    [body, *_] = await command(http_slack, text, "r-" + text.replace(" ", "-"))
    assert expected in str(body)
    assert slack.calls("users.info") == []


async def test_search_buttons_speak_the_language(http_slack: HttpSlack) -> None:
    [korean, *_] = await command(http_slack, "검색 추론", "ko")
    assert "자세히 보기" in buttons(korean)
    [english, *_] = await command(http_slack, "search 추론", "en")
    assert "Show details" in buttons(english)


async def test_subscribe_in_korean_then_the_channel_language(http_slack: HttpSlack, bot: PaperBot) -> None:
    [body] = await command(http_slack, "구독 추론", "sub", user_id="U7")
    assert "추론 구독을 시작했습니다" in str(body)
    assert [s.term for s in await bot.store.subscriptions("slack", "user:U7")] == ["추론"]
    [refused] = await command(http_slack, "언어 ko", "lang1", user_id="U7")
    assert "이 채널을 관리할 수 있는 사람" in str(refused)
    [done] = await command(http_slack, "언어 ko", "lang2", user_id=LISTED_ADMIN)
    assert "이제 이 채널의 게시물과 알림은 한국어로 나갑니다." in str(done) and done["response_type"] == "in_channel"
    [english_typed] = await command(http_slack, "subscribe 추론", "sub2", user_id="U8")
    assert "추론 구독을 시작했습니다" in str(english_typed)  # the channel speaks Korean now
    [schedule] = await command(http_slack, "일정 설정 09:00 Asia/Seoul mon-fri", "sched", user_id=LISTED_ADMIN)
    assert "매일 게시 설정: 09:00 Asia/Seoul, 월-금." in str(schedule)
