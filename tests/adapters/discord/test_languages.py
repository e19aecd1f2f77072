"""``/papers`` in Korean and English on Discord: localized command tree, replies in the user's language."""

from __future__ import annotations

import re
from typing import Any

import pytest

from adapters.discord.client import PaperClient
from bot.app import PaperBot
from tests.adapters.discord.test_commands import call, check_message, text_of
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
