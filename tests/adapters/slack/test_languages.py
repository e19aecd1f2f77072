"""``/papers`` in Korean or English on Slack: typed names, each user's Slack language (``users.info`` with
``include_locale``), the channel's language, ``PAPERBOT_LANGUAGE`` — through the real bolt app and the fake Slack."""

from __future__ import annotations

import html
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from adapters.slack.app import build_app
from adapters.slack.client import make_client
from adapters.slack.locale import UserLocales
from bot.app import PaperBot
from bot.commands import Commands
from tests.adapters.slack.conftest import LISTED_ADMIN, TODAY, HttpSlack, make_settings, serve_http
from tests.adapters.slack.test_http_mode import command
from tests.adapters.slack.test_socket_mode import envelope_command
from tests.bot.test_commands import CONVERSATION
from tests.fakes.slack import FakeSlack


def buttons(body: dict[str, Any]) -> list[str]:
    return [e["text"]["text"] for b in body.get("blocks", []) for e in (b.get("elements") or [])
            + ([b["accessory"]] if "accessory" in b else []) if e.get("type") == "button"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def socket_app(bot: PaperBot, slack: FakeSlack, clock: Clock) -> AsyncIterator[AsyncSocketModeHandler]:
    app = build_app(bot, client=make_client(bot.settings), locales=UserLocales(ttl=3600, clock=clock))
    handler = AsyncSocketModeHandler(app, app_token=slack.app_token)
    await handler.connect_async()
    await slack.wait_socket_connected()
    try:
        yield handler
    finally:
        await handler.close_async()


async def click(slack: FakeSlack, action_id: str, value: str, response_id: str, user_id: str) -> dict[str, Any]:
    payload = slack.block_actions_payload(action_id, value, user_id=user_id,
                                          response_url=slack.response_url(response_id))
    await slack.wait_ack(await slack.send_envelope("interactive", payload))
    await slack.wait_for(lambda: any(r.id == response_id for r in slack.responses))
    [body] = [r.body for r in slack.responses if r.id == response_id]
    return body


@pytest.mark.parametrize(("text", "expected", "lookups"), [
    ("help", "paperbot — daily AI papers", 1),
    ("도움말", "paperbot — 매일 AI 논문", 0),
    ("search 추론", "🔎 “추론”: 2 papers", 1),
    ("검색 추론", "🔎 “추론”: 논문 2편", 0),
    ("serch 추론", "Did you mean `/papers search`?", 1),
    ("검삭 추론", "`/papers 검색`을(를) 찾으셨나요?", 0),
])
async def test_commands_in_either_language(http_slack: HttpSlack, slack: FakeSlack, text: str, expected: str,
                                           lookups: int) -> None:
    [body, *_] = await command(http_slack, text, "r-" + text.replace(" ", "-"))
    assert expected in str(body)
    assert len(slack.calls("users.info")) == lookups  # typed in Korean: answered in Korean, nobody asked


async def test_search_buttons_speak_the_language(http_slack: HttpSlack) -> None:
    [korean, *_] = await command(http_slack, "검색 추론", "ko")
    assert "자세히 보기" in buttons(korean)
    [english, *_] = await command(http_slack, "search 추론", "en")
    assert "Show details" in buttons(english)


async def test_private_replies_speak_each_users_slack_language(socket_app: AsyncSocketModeHandler,
                                                                slack: FakeSlack) -> None:
    slack.users["UKO"] = {"locale": "ko-KR"}  # UEN: the fake's default, en-US, as Slack answers
    korean = await envelope_command(slack, "search 추론", "ko1", user_id="UKO")
    english = await envelope_command(slack, "search 추론", "en1", user_id="UEN")
    assert "🔎 “추론”: 논문 2편" in str(korean) and "자세히 보기" in buttons(korean)
    assert "🔎 “추론”: 2 papers" in str(english) and "Show details" in buttons(english)
    # a button answers whoever clicks it in their language: the card's date and section order too
    korean_card = await click(slack, "show_paper", "2406.18629", "ko2", "UKO")
    english_card = await click(slack, "show_paper", "2406.18629", "en2", "UEN")
    assert "2024년 6월 28일 (금)" in str(korean_card) and "Fri, Jun 28, 2024" not in str(korean_card)
    assert "Fri, Jun 28, 2024" in str(english_card)
    assert korean_card["response_type"] == english_card["response_type"] == "ephemeral"
    # one users.info per user (with include_locale), however many commands and clicks
    asked = [(c.body["user"], c.body["include_locale"]) for c in slack.calls("users.info")]
    assert sorted(asked) == [("UEN", "1"), ("UKO", "1")]


async def test_a_users_language_is_kept_an_hour_then_asked_again(socket_app: AsyncSocketModeHandler,
                                                                 slack: FakeSlack, clock: Clock) -> None:
    slack.users["U5"] = {"locale": "ko-KR"}
    assert "paperbot — 매일 AI 논문" in str(await envelope_command(slack, "help", "h1", user_id="U5"))
    slack.users["U5"] = {"locale": "en-US"}  # they switch Slack to English
    clock.now += 3599
    assert "paperbot — 매일 AI 논문" in str(await envelope_command(slack, "help", "h2", user_id="U5"))
    clock.now += 2
    assert "paperbot — daily AI papers" in str(await envelope_command(slack, "help", "h3", user_id="U5"))
    assert len(slack.calls("users.info")) == 2


async def test_the_users_language_then_the_channels_for_public_replies(http_slack: HttpSlack, slack: FakeSlack,
                                                                       bot: PaperBot) -> None:
    slack.users[LISTED_ADMIN] = {"locale": "en-US"}
    slack.users["U7"] = {"locale": "ko-KR"}
    [body] = await command(http_slack, "subscribe 추론", "sub", user_id="U7")
    assert "추론 구독을 시작했습니다" in str(body) and body["response_type"] == "ephemeral"
    assert [s.term for s in await bot.store.subscriptions("slack", "user:U7")] == ["추론"]
    [refused] = await command(http_slack, "language ko", "lang1", user_id="U7")
    assert "이 채널을 관리할 수 있는 사람" in str(refused)
    [done] = await command(http_slack, "언어 ko", "lang2", user_id=LISTED_ADMIN)
    assert "이제 이 채널의 게시물과 알림은 한국어로 나갑니다." in str(done) and done["response_type"] == "in_channel"
    [english_user] = await command(http_slack, "subscribe 추론", "sub2", user_id="U8")
    assert "Following 추론" in str(english_user)  # private: U8's Slack is in English, whatever the channel says
    [schedule] = await command(http_slack, "schedule set 09:00 Asia/Seoul 월-금", "sched", user_id=LISTED_ADMIN)
    assert schedule["response_type"] == "in_channel"  # public: the channel's language, not the English admin's
    assert "매일 게시 설정: 09:00 Asia/Seoul, 월-금." in str(schedule)


@pytest.mark.parametrize("process", ["en", "ko"])
async def test_without_users_read_replies_use_the_channels_language_then_paperbot_language(
        seeded: Any, caplog: pytest.LogCaptureFixture, process: str) -> None:
    async with FakeSlack(scopes="chat:write,commands,im:write") as slack:  # users:read not granted
        commands = Commands(seeded, today=lambda: TODAY, default_language=process)
        bot = PaperBot(make_settings(slack, PAPERBOT_LANGUAGE=process), seeded, commands)
        await seeded.set_channel_language("slack", "CKO", "ko")
        await seeded.set_channel_language("slack", "CEN", "en")
        slack.users["U1"] = {"locale": "ko-KR" if process == "en" else "en-US"}  # unread: the scope is missing
        with caplog.at_level(logging.WARNING, logger="adapters.slack"):
            async with serve_http(bot, slack) as http_slack:
                [korean] = await command(http_slack, "help", "a", channel_id="CKO")
                [english] = await command(http_slack, "help", "b", channel_id="CEN")
                [default] = await command(http_slack, "help", "c", channel_id="CNONE", user_id="U2")
    assert "paperbot — 매일 AI 논문" in str(korean) and "paperbot — daily AI papers" in str(english)
    assert ("paperbot — 매일 AI 논문" if process == "ko" else "paperbot — daily AI papers") in str(default)
    assert {c.response["error"] for c in slack.calls("users.info") if c.response} == {"missing_scope"}
    warnings = [r.getMessage() for r in caplog.records if "users.info failed (missing_scope)" in r.getMessage()]
    assert len(warnings) == 1 and "add the users:read scope" in warnings[0]  # once, not once per command


async def test_a_slow_users_info_does_not_hold_the_reply(caplog: pytest.LogCaptureFixture) -> None:
    import asyncio

    class Stuck:
        async def users_info(self, **_: Any) -> Any:
            await asyncio.sleep(30)

    locales = UserLocales(timeout=0.05)
    with caplog.at_level(logging.WARNING):
        assert await locales.locale(Stuck(), "U1") == ""  # type: ignore[arg-type]
        assert await locales.locale(Stuck(), "U2") == ""  # type: ignore[arg-type]
    assert [r.getMessage() for r in caplog.records] == [
        "Slack users.info failed (timeout): private replies use the channel's language"]


def shown(bodies: list[dict[str, Any]]) -> str:
    """Everything a reply shows (fallback and block texts), as the reader sees it: entities and the zero-width
    spaces around formatting marks undone."""
    def texts(value: Any) -> list[str]:
        if isinstance(value, dict):
            return [t for k, v in value.items() for t in ([v] if k == "text" and isinstance(v, str) else texts(v))]
        if isinstance(value, list):
            return [t for v in value for t in texts(v)]
        return []
    return html.unescape("\n".join(t for body in bodies for t in texts(body))).replace("\u200b", "")


#: where Slack shows a reply's text otherwise than the console does (no "matched:" label, buttons as buttons)
ON_SLACK = {"matched: Juanzi Li": "Follow Juanzi Li", "일치: Juanzi Li": "Juanzi Li 팔로우",
            "[Follow ": "Follow ", " 팔로우]": " 팔로우"}


@pytest.mark.parametrize("language", ["en", "ko"])
async def test_every_command_answers_on_slack_in_both_languages(http_slack: HttpSlack, slack: FakeSlack,
                                                                language: str) -> None:
    """The console's conversation (tests/bot/test_commands.py), typed on Slack by a channel manager whose Slack
    is in English (English names) or Korean (Korean names)."""
    slack.users[LISTED_ADMIN] = {"locale": "en-US" if language == "en" else "ko-KR"}
    for i, (english, english_shows, korean, korean_shows) in enumerate(CONVERSATION):
        line, shows = (english, english_shows) if language == "en" else (korean, korean_shows)
        bodies = await command(http_slack, line.removeprefix("/papers "), f"{language}{i}", user_id=LISTED_ADMIN)
        assert ON_SLACK.get(shows, shows) in shown(bodies), f"{line!r} showed:\n{shown(bodies)}"
