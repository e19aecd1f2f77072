"""``/papers`` through real discord.py over the fake gateway: INTERACTION_CREATE in, callbacks out."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from adapters.discord.client import PaperClient
from bot.app import PaperBot
from bot.messages import Reply
from tests.adapters.discord.conftest import assert_within_limits
from tests.fakes.discord import EPHEMERAL, FakeDiscord, P


async def call(fake: FakeDiscord, subcommand: str, options: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    interaction = fake.slash_command("papers", subcommand=subcommand, options=options, **kw)
    await fake.invoke(interaction)
    return await fake.wait_callback(interaction["id"])


async def complete(fake: FakeDiscord, subcommand: str, options: dict[str, Any], **kw: Any) -> list[dict[str, Any]]:
    interaction = fake.autocomplete("papers", subcommand=subcommand, options=options, **kw)
    await fake.invoke(interaction)
    callback = await fake.wait_callback(interaction["id"])
    assert callback["type"] == 8
    choices: list[dict[str, Any]] = callback["data"]["choices"]
    assert len(choices) <= 25
    for choice in choices:
        assert 1 <= len(choice["name"]) <= 100 and 1 <= len(choice["value"]) <= 100
    return choices


def check_message(callback: dict[str, Any], *, ephemeral: bool = True) -> dict[str, Any]:
    assert callback["type"] == 4
    data = callback["data"]
    assert bool(int(data.get("flags") or 0) & EPHEMERAL) is ephemeral
    assert_within_limits(data)
    return data


def text_of(data: dict[str, Any]) -> str:
    parts = [data.get("content") or ""]
    for embed in data.get("embeds") or []:
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [f["name"] + " " + f["value"] for f in embed.get("fields", [])]
    return "\n".join(parts)


async def test_sync_payload(client: PaperClient, fake: FakeDiscord) -> None:
    (put,) = fake.requests_to("PUT", "/applications/{app}/guilds/{guild}/commands")
    assert put.path == f"/applications/{fake.application_id}/guilds/{fake.guild_id}/commands"
    (papers,) = put.json
    assert papers["name"] == "papers" and papers["type"] == 1
    # Discord has default_member_permissions on top-level commands only: /papers is for everyone, and
    # schedule set/off are checked when run (a subgroup option has no such field).
    assert papers["default_member_permissions"] is None
    subs = {o["name"]: o for o in papers["options"]}
    assert list(subs) == ["today", "search", "author", "show", "subscribe", "unsubscribe", "subscriptions",
                          "language", "help", "schedule"]
    opts = {name: [(o["name"], o["type"], o["required"], o.get("autocomplete", False)) for o in sub["options"]]
            for name, sub in subs.items() if sub["type"] == 1}
    assert opts["today"] == [("date", 3, False, True)]
    assert opts["search"] == [("query", 3, True, True)]
    assert opts["author"] == [("name", 3, True, True)]
    assert opts["show"] == [("arxiv_id", 3, True, False)]
    assert opts["subscribe"] == [("topic", 3, True, False)]
    assert opts["unsubscribe"] == [("topic", 3, True, True)]
    assert opts["subscriptions"] == opts["help"] == []
    schedule = subs["schedule"]
    assert schedule["type"] == 2 and "default_member_permissions" not in schedule
    actions = {o["name"]: o for o in schedule["options"]}
    assert list(actions) == ["set", "show", "off"]
    assert [(o["name"], o["type"], o["required"]) for o in actions["set"]["options"]] == [
        ("time", 3, True), ("timezone", 3, True), ("days", 3, True), ("top", 4, False), ("min_votes", 4, False)]
    assert actions["show"]["options"] == actions["off"]["options"] == []
    assert [c.name for c in client.synced] == ["papers"]
    assert fake.commands.get(None) is None  # nothing global while DISCORD_GUILD_ID is set


async def test_lookups_are_ephemeral_embeds_within_limits(client: PaperClient, fake: FakeDiscord) -> None:
    today = check_message(await call(fake, "today"))
    assert "Fri, Jun 28, 2024" in text_of(today) and today["embeds"]
    dated = check_message(await call(fake, "today", {"date": "2024-06-28"}))
    assert dated["embeds"] == today["embeds"]
    missing = check_message(await call(fake, "today", {"date": "2020-01-01"}))
    assert "No digest for Wed, Jan 1, 2020" in missing["content"]

    found = check_message(await call(fake, "search", {"query": "추론"}))
    assert found["embeds"] and "추론" in text_of(found)
    nothing = check_message(await call(fake, "search", {"query": "zzqqxxnotaword"}))
    assert "No papers found" in nothing["content"]

    by_author = check_message(await call(fake, "author", {"name": "Juanzi Li"}))
    assert "Juanzi Li" in text_of(by_author)

    shown = check_message(await call(fake, "show", {"arxiv_id": "2406.18629"}))
    assert shown["embeds"][0]["url"].endswith("2406.18629") and shown["embeds"][0]["fields"]
    bad = check_message(await call(fake, "show", {"arxiv_id": "nope"}))
    assert "not an arXiv id" in bad["content"]

    helped = check_message(await call(fake, "help"))
    assert "/papers search" in text_of(helped)
    # no followups were needed, every answer was the interaction response itself
    assert all(not record.followups for record in fake.interactions.values())
    # the pings that Discord would have made: none, whatever the text
    assert all(not m["mention_everyone"] for m in fake.interaction_messages)


async def test_subscribe_list_and_unsubscribe(client: PaperClient, fake: FakeDiscord, bot: PaperBot) -> None:
    followed = check_message(await call(fake, "subscribe", {"topic": "추론"}))
    assert "Following" in followed["content"]
    check_message(await call(fake, "subscribe", {"topic": 'author:"Juanzi Li"'}))
    stored = await bot.store.subscriptions("discord", f"user:{fake.user_id}")
    assert sorted((s.kind, s.term) for s in stored) == [("author", "Juanzi Li"), ("keyword", "추론")]

    listed = check_message(await call(fake, "subscriptions"))
    assert "추론" in text_of(listed) and "Juanzi Li" in text_of(listed)

    choices = await complete(fake, "unsubscribe", {"topic": ""})
    assert sorted(c["value"] for c in choices) == sorted(['author:"Juanzi Li"', "추론"])
    assert [c["value"] for c in await complete(fake, "unsubscribe", {"topic": "juan"})] == ['author:"Juanzi Li"']
    # another member's alerts are not offered
    assert await complete(fake, "unsubscribe", {"topic": ""}, user_id=fake.moderator_id) == []

    stopped = check_message(await call(fake, "unsubscribe", {"topic": 'author:"Juanzi Li"'}))
    assert "Stopped following" in stopped["content"]
    assert [s.term for s in await bot.store.subscriptions("discord", f"user:{fake.user_id}")] == ["추론"]


async def test_autocomplete_search_and_author(client: PaperClient, fake: FakeDiscord) -> None:
    titles = await complete(fake, "search", {"query": "추론"})
    assert titles
    anything = await complete(fake, "search", {"query": ""})
    assert anything
    authors = await complete(fake, "author", {"name": "Li"})
    assert any("Li" in c["name"] for c in authors)
    assert await complete(fake, "author", {"name": ""})
    dates = await complete(fake, "today", {"date": ""})
    assert "2024-06-28" in [c["value"] for c in dates]
    zones = await complete(fake, "schedule set", {"time": "09:00", "timezone": "seoul"}, focused="timezone")
    assert zones[0]["value"] == "Asia/Seoul"


async def test_autocomplete_failure_answers_no_choices(client: PaperClient, fake: FakeDiscord, bot: PaperBot,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: Any, **kwargs: Any) -> list[str]:
        raise RuntimeError("database is gone")

    monkeypatch.setattr(bot.store, "author_names", broken)
    assert await complete(fake, "author", {"name": "Li"}) == []


async def test_many_long_suggestions_are_cut_to_discord_limits(client: PaperClient, fake: FakeDiscord,
                                                               bot: PaperBot, monkeypatch: pytest.MonkeyPatch) -> None:
    async def many(text: str, *, limit: int = 25) -> list[str]:
        return [f"{i} " + "A very long paper title about reasoning " * 5 for i in range(40)]

    monkeypatch.setattr(bot.store, "title_suggestions", many)
    choices = await complete(fake, "search", {"query": "reasoning"})
    assert len(choices) == 25 and all(c["name"].endswith("…") for c in choices)


async def test_schedule_needs_manage_channels(client: PaperClient, fake: FakeDiscord, bot: PaperBot) -> None:
    options = {"time": "09:00", "timezone": "Asia/Seoul", "days": "mon-fri", "top": 5}
    channel = str(fake.channel_id)

    # alice: @everyone only, no Manage Channels
    refused = check_message(await call(fake, "schedule set", options))
    assert "Only people who can manage this channel" in refused["content"]
    # the moderator role manages the server's messages and members, not its channels
    refused = check_message(await call(fake, "schedule set", options, user_id=fake.moderator_id))
    assert "Only people who can manage this channel" in refused["content"]
    off = check_message(await call(fake, "schedule off"))
    assert "No daily post" in off["content"] or "Only people" in off["content"]
    assert await bot.store.schedule("discord", channel) is None

    # the owner has every permission; the confirmation is public in the channel
    stored = check_message(await call(fake, "schedule set", options, user_id=fake.owner_id), ephemeral=False)
    assert "Daily post set: 09:00 Asia/Seoul, mon-fri, top 5" in stored["content"]
    schedule = await bot.store.schedule("discord", channel)
    assert schedule is not None and schedule.top_n == 5 and schedule.weekdays == (0, 1, 2, 3, 4)
    assert schedule.set_by == str(fake.owner_id) and schedule.workspace == str(fake.guild_id)

    shown = check_message(await call(fake, "schedule show"))
    assert "Daily post: 09:00 Asia/Seoul" in shown["content"]

    # a member given Manage Channels (as Discord resolves it into member.permissions) may turn it off
    turned_off = check_message(await call(fake, "schedule off", member_permissions=P.MANAGE_CHANNELS),
                               ephemeral=False)
    assert "turned off" in turned_off["content"]
    schedule = await bot.store.schedule("discord", channel)
    assert schedule is not None and not schedule.enabled


async def test_schedule_input_errors_are_explained(client: PaperClient, fake: FakeDiscord, bot: PaperBot) -> None:
    base = {"time": "09:00", "timezone": "Asia/Seoul", "days": "mon-fri"}
    bad_zone = check_message(await call(fake, "schedule set", {**base, "timezone": "Mars/Base"},
                                        user_id=fake.owner_id))
    assert "not a time zone" in bad_zone["content"]
    bad_time = check_message(await call(fake, "schedule set", {**base, "time": "25:00"}, user_id=fake.owner_id))
    assert "not a time" in bad_time["content"]
    spaced = check_message(await call(fake, "schedule set", {**base, "days": "mon, wed, fri", "min_votes": 3},
                                      user_id=fake.owner_id), ephemeral=False)
    assert "mon,wed,fri" in spaced["content"] and "at least 3 votes" in spaced["content"]
    stored = await bot.store.schedule("discord", str(fake.channel_id))
    assert stored is not None and stored.weekdays == (0, 2, 4) and stored.min_votes == 3


async def test_a_failing_handler_still_answers(client: PaperClient, fake: FakeDiscord, bot: PaperBot,
                                               monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
                                               ) -> None:
    async def boom(request: Any) -> Reply:
        raise RuntimeError("bug in a handler")

    monkeypatch.setattr(bot.commands, "handle", boom)
    callback = await call(fake, "help")
    assert callback["type"] == 4 and callback["data"]["flags"] == EPHEMERAL
    assert "something went wrong" in callback["data"]["content"]
    assert "bug in a handler" in caplog.text


async def test_slow_commands_are_deferred_then_followed_up(client: PaperClient, fake: FakeDiscord, bot: PaperBot,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    client.responder.defer_after = 0.05
    handle = bot.commands.handle

    async def slow(request: Any) -> Reply:
        await asyncio.sleep(0.3)
        return await handle(request)

    monkeypatch.setattr(bot.commands, "handle", slow)
    interaction = fake.slash_command("papers", subcommand="search", options={"query": "추론"})
    await fake.invoke(interaction)
    assert await fake.wait_callback(interaction["id"]) == {"type": 5, "data": {"flags": EPHEMERAL}}
    record = fake.interactions[int(interaction["id"])]
    await fake.wait_until(lambda: record.followups)
    original = fake.original_response(interaction)
    assert original is not None and original["embeds"] and original["flags"] & EPHEMERAL
    assert "추론" in text_of(original)


async def test_unknown_command_gets_an_answer(client: PaperClient, fake: FakeDiscord) -> None:
    interaction = fake.slash_command("papers", subcommand="frobnicate")
    await fake.invoke(interaction)
    callback = await fake.wait_callback(interaction["id"])
    assert callback["type"] == 4 and callback["data"]["flags"] == EPHEMERAL
    assert "try again" in callback["data"]["content"]


async def test_commands_work_in_direct_messages(bot: PaperBot, fake: FakeDiscord) -> None:
    dm = fake.dm_channel(fake.user_id)
    client = PaperClient(bot, guild_id=None, guild_ready_timeout=0.05)  # global commands reach DMs
    async with fake.running(client):
        assert fake.commands.get(None) and fake.commands.get(fake.guild_id) is None
        data = check_message(await call(fake, "search", {"query": "추론"}, channel_id=dm))
        assert data["embeds"]
        refused = check_message(await call(fake, "schedule set", {"time": "09:00", "timezone": "UTC",
                                                                   "days": "daily"}, channel_id=dm))
        assert "Only people" in refused["content"]
