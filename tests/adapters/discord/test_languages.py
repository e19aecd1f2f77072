"""``/papers`` in Korean and English on Discord: localized command tree, replies in the user's language."""

from __future__ import annotations

import re
from typing import Any

import pytest

from adapters.discord.client import PaperClient
from bot.app import PaperBot
from tests.adapters.discord.test_commands import call, check_message, complete, text_of
from tests.fakes.discord import FakeDiscord, P

NAME = re.compile(r"^[-_\w]{1,32}$")  # Discord's CHAT_INPUT name rule (letters of any script, digits, - and _)


def walk(command: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every command, subcommand and option in the synced tree, with its path."""
    here = f"{path}/{command['name']}"
    found = [(here, command)]
    for option in command.get("options") or []:
        found += walk(option, here)
    return found


async def test_the_synced_tree_carries_korean_within_discords_limits(client: PaperClient, fake: FakeDiscord) -> None:
    papers = fake.find_command("papers", fake.guild_id)
    assert papers is not None
    entries = walk(papers)
    assert len(entries) > 25
    for path, entry in entries:
        names = entry.get("name_localizations") or {}
        descriptions = entry.get("description_localizations") or {}
        if path != "/papers":
            assert "ko" in names, f"{path} has no Korean name"
        assert "ko" in descriptions, f"{path} has no Korean description"
        for korean in names.values():
            assert NAME.match(korean) and korean == korean.lower(), (path, korean)
        for korean in descriptions.values():
            assert 1 <= len(korean) <= 100, (path, korean)
        for choice in entry.get("choices") or []:
            assert 1 <= len(choice["name_localizations"]["ko"]) <= 100
    subcommands = {e["name"]: e for e in papers["options"]}
    assert subcommands["search"]["name_localizations"] == {"ko": "검색"}
    assert subcommands["search"]["description_localizations"] == {"ko": "키워드로 논문 찾기(한국어·영어)"}
    assert subcommands["search"]["options"][0]["name_localizations"] == {"ko": "검색어"}
    assert subcommands["schedule"]["name_localizations"] == {"ko": "일정"}
    assert papers["description_localizations"] == {"ko": "매일 AI 논문: 다이제스트, 검색, 알림"}


async def test_help_search_and_subscribe_in_the_users_language(client: PaperClient, fake: FakeDiscord) -> None:
    korean = check_message(await call(fake, "help", locale="ko"))
    assert "paperbot — 매일 AI 논문" in text_of(korean) and "`/papers 검색 <검색어>`" in text_of(korean)
    english = check_message(await call(fake, "help", locale="en-US"))
    assert "paperbot — daily AI papers" in text_of(english)

    found = check_message(await call(fake, "search", {"query": "추론"}, locale="ko"))
    assert "🔎 “추론”: 논문 2편" in text_of(found)
    found = check_message(await call(fake, "search", {"query": "추론"}, locale="en-GB"))
    assert "🔎 “추론”: 2 papers" in text_of(found)

    followed = check_message(await call(fake, "subscribe", {"topic": "추론"}, locale="ko"))
    assert followed["content"].endswith("추론 구독을 시작했습니다. 새로 맞는 논문을 DM으로 한 번씩 보내 드립니다.")
    again = check_message(await call(fake, "subscribe", {"topic": "추론"}, locale="en-US"))
    assert "Already following 추론 for you (by direct message)." in again["content"]


async def test_a_channel_manager_sets_the_channels_language(client: PaperClient, fake: FakeDiscord,
                                                          bot: PaperBot) -> None:
    refused = check_message(await call(fake, "language", {"language": "ko"}, locale="ko"))
    assert "채널 관리 권한" in refused["content"]
    done = check_message(await call(fake, "language", {"language": "ko"}, member_permissions=P.MANAGE_CHANNELS,
                                    locale="en-US"), ephemeral=False)
    assert done["content"].endswith("이제 이 채널의 게시물과 알림은 한국어로 나갑니다.")
    assert await bot.store.channel_language("discord", str(fake.channel_id)) == "ko"


async def test_a_failure_is_reported_in_the_users_language(client: PaperClient, fake: FakeDiscord, bot: PaperBot,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    async def boom(request: Any) -> Any:
        raise RuntimeError("bug in a handler")

    monkeypatch.setattr(bot.commands, "handle", boom)
    korean = await call(fake, "help", locale="ko")
    assert korean["data"]["content"] == "❌ 죄송합니다. 내부 오류가 발생했습니다. 잠시 후 다시 시도해 주세요."
    english = await call(fake, "help", locale="en-US")
    assert english["data"]["content"] == "❌ Sorry, something went wrong on our side. Please try again later."


#: every subcommand, as a user whose Discord is in English or in Korean runs it: (subcommand, options, as the
#: channel's owner, what the English reply shows, what the Korean reply shows)
CONVERSATION: list[tuple[str, dict[str, Any], bool, str, str]] = [
    ("today", {}, False, "📰 Daily Papers — Fri, Jun 28, 2024", "📰 데일리 페이퍼 — 2024년 6월 28일 (금)"),
    ("today", {"date": "June"}, False, "'June' is not a date", "'June'은(는) 날짜가 아닙니다"),
    ("today", {"date": "2020-01-01"}, False, "No digest for Wed, Jan 1, 2020",
     "2020년 1월 1일 (수) 다이제스트가 없습니다"),
    ("search", {"query": "추론"}, False, "🔎 “추론”: 2 papers", "🔎 “추론”: 논문 2편"),
    ("author", {"name": "Juanzi Li"}, False, "🔎 author “Juanzi Li”: 3 papers", "🔎 저자 “Juanzi Li”: 논문 3편"),
    ("author", {"name": "juanzi li"}, False, "matched: Juanzi Li", "일치: Juanzi Li"),
    ("show", {"arxiv_id": "2406.18629"}, False, "Fri, Jun 28, 2024", "2024년 6월 28일 (금)"),
    ("show", {"arxiv_id": "nope"}, False, "'nope' is not an arXiv id", "'nope'은(는) arXiv ID가 아닙니다"),
    ("subscribe", {"topic": "추론"}, False, "Following 추론: new matching papers will be sent to you",
     "추론 구독을 시작했습니다."),
    ("subscriptions", {}, False, "🔔 Your alerts", "🔔 내 알림"),
    ("unsubscribe", {"topic": "추론"}, False, "Stopped following 추론.", "추론 구독을 취소했습니다."),
    ("subscriptions", {}, False, "No alerts yet.", "아직 알림이 없습니다."),
    ("schedule show", {}, False, "No daily post in this channel yet", "이 채널에는 아직 매일 게시가 없습니다"),
    ("schedule set", {"time": "09:00", "timezone": "Asia/Seoul", "days": "mon-fri"}, False,
     "Only people who can manage this channel", "이 채널을 관리할 수 있는 사람"),
    ("schedule set", {"time": "25:00", "timezone": "Asia/Seoul", "days": "mon-fri"}, True,
     "'25:00' is not a time of day.", "'25:00'은(는) 하루 중 시각이 아닙니다."),
    ("schedule set", {"time": "09:00", "timezone": "Asia/Seoul", "days": "평일", "top": 5}, True,
     "Daily post set: 09:00 Asia/Seoul, mon-fri, top 5.", "매일 게시 설정: 09:00 Asia/Seoul, 월-금, 상위 5편."),
    ("schedule show", {}, False, "Daily post: 09:00 Asia/Seoul, mon-fri, top 5.",
     "매일 게시: 09:00 Asia/Seoul, 월-금, 상위 5편."),
    ("schedule off", {}, True, "Daily post turned off:", "매일 게시를 껐습니다:"),
    ("language", {}, False, "This channel's posts and alerts are in English.",
     "이 채널의 게시물과 알림은 영어로 나갑니다."),
    ("help", {}, False, "`/papers search <words>` — papers by keyword", "`/papers 검색 <검색어>` — 키워드로 논문 찾기"),
]


@pytest.mark.parametrize("language", ["en", "ko"])
async def test_every_command_answers_in_the_users_discord_language(client: PaperClient, fake: FakeDiscord,
                                                                   language: str) -> None:
    locale = "en-US" if language == "en" else "ko"
    for subcommand, options, owner, english, korean in CONVERSATION:
        who = {"user_id": fake.owner_id} if owner else {}
        callback = await call(fake, subcommand, options or None, locale=locale, **who)
        data = callback["data"]
        shows = "\n".join([text_of(data), *((e.get("footer") or {}).get("text", "") for e in data.get("embeds") or [])])
        assert (english if language == "en" else korean) in shows, f"{subcommand} {options} showed:\n{shows}"


@pytest.mark.parametrize(("locale", "today", "day", "days"), [
    ("en-US", "today", "Fri, Jun 28, 2024", "mon-fri"),
    ("ko", "오늘", "2024년 6월 28일 (금)", "월-금"),
])
async def test_suggestions_speak_the_users_language(client: PaperClient, fake: FakeDiscord, locale: str, today: str,
                                                    day: str, days: str) -> None:
    dates = await complete(fake, "today", {"date": ""}, locale=locale)
    assert [(c["name"], c["value"]) for c in dates] == [(today, "today"), (dates[1]["name"], "yesterday"),
                                                         (day, "2024-06-28")]  # shown in words, sent as typed
    assert [c["value"] for c in await complete(fake, "today", {"date": "06-28"}, locale=locale)] == ["2024-06-28"]
    suggested = await complete(fake, "schedule set", {"time": "09:00", "timezone": "Asia/Seoul", "days": ""},
                               focused="days", locale=locale)
    assert suggested[0] == {"name": days, "value": days}
    options = {"time": "09:00", "timezone": "Asia/Seoul", "days": suggested[0]["value"]}
    chosen = await call(fake, "schedule set", options, user_id=fake.owner_id, locale=locale)
    assert "09:00 Asia/Seoul, " + days in text_of(chosen["data"])
