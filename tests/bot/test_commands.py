from __future__ import annotations

import datetime as dt

import pytest

from bot.commands import Commands, Request, parse_line
from bot.messages import Header, Level, Notice, PaperCard, PaperList
from bot.store import Schedule


def req(command: str, args: str = "", *, manage: bool = False, user: str = "U1") -> Request:
    return Request("slack", user, "C1", command, args, workspace="T1", can_manage_channel=manage)


@pytest.fixture
def commands(seeded):
    return Commands(seeded, today=lambda: dt.date(2024, 6, 29))


def notices(reply) -> list[Notice]:
    return [b for m in reply.messages for b in m.blocks if isinstance(b, Notice)]


def cards(reply) -> list[PaperCard]:
    return [b for m in reply.messages for b in m.blocks if isinstance(b, PaperCard)]


def test_parse_line():
    assert parse_line("/papers search 추론 모델") == ("search", "추론 모델")
    assert parse_line("  author   Juanzi Li ") == ("author", "Juanzi Li")
    assert parse_line("/papers") == ("", "")


async def test_today_lists_the_latest_digest_ephemerally(commands):
    reply = await commands.handle(req("today"))
    (message,) = reply.messages
    assert message.ephemeral
    (listing,) = [b for b in message.blocks if isinstance(b, PaperList)]
    assert len(listing.papers) == 9 and listing.papers[0].arxiv_id == "2406.18629"
    assert "2024-06-28" in next(b for b in message.blocks if isinstance(b, Header)).text


async def test_today_for_a_missing_or_bad_date(commands):
    missing = notices(await commands.handle(req("today", "2024-07-01")))
    assert "No digest for 2024-07-01. Stored days: 2024-06-28." in missing[0].text
    yesterday = await commands.handle(req("today", "yesterday"))  # 2024-06-28 with the injected clock
    assert any(isinstance(b, PaperList) for b in yesterday.messages[0].blocks)
    bad = notices(await commands.handle(req("today", "June")))
    assert bad[0].level is Level.WARNING and "is not a date" in bad[0].text


async def test_search_pages_with_a_more_hint(commands):
    reply = await commands.handle(req("search", "모델"))
    found = cards(reply)
    assert len(found) == 5 and [c.rank for c in found] == [1, 2, 3, 4, 5]
    more = notices(reply)[-1].text
    assert "more: `/papers search 모델 --page 2`" in more
    page2 = cards(await commands.handle(req("search", "모델 --page 2")))
    assert page2[0].rank == 6
    assert {c.paper.arxiv_id for c in page2}.isdisjoint(c.paper.arxiv_id for c in found)


async def test_search_korean_keyword_marks_the_match(commands):
    found = cards(await commands.handle(req("search", "세그멘테이션")))
    assert [c.paper.arxiv_id for c in found] == ["2406.19389"]
    assert ("세그멘테이션", True) in found[0].snippet


@pytest.mark.parametrize("args", ["", "   ", "^", "🙂", '"', "AND(", "NEAR *"])
async def test_bad_search_arguments_get_a_helpful_reply(commands, args):
    reply = await commands.handle(req("search", args))
    assert reply.messages and all(m.ephemeral for m in reply.messages)
    text = reply.messages[0].fallback()
    assert "Traceback" not in text and text


async def test_author_lookup_follows_the_matched_author(commands):
    found = cards(await commands.handle(req("author", "juanzi li")))
    assert len(found) == 3 and all(c.matched == ("Juanzi Li",) for c in found)
    assert found[0].actions[-1].value == "Juanzi Li"
    none = notices(await commands.handle(req("author", "Nobody Atall")))
    assert "No papers found for author “Nobody Atall”" in none[0].text


async def test_show_full_card_and_bad_ids(commands):
    (card,) = cards(await commands.handle(req("show", "arXiv:2406.14629v1")))
    assert card.paper.votes is None and len(card.paper.sections) == 1
    assert "is not an arXiv id" in notices(await commands.handle(req("show", "hello")))[0].text
    assert "No paper 2501.00001" in notices(await commands.handle(req("show", "2501.00001")))[0].text
    assert "Usage" in notices(await commands.handle(req("show")))[0].text


async def test_subscribe_unsubscribe_and_list(commands, seeded):
    ok = notices(await commands.handle(req("subscribe", 'author:"Yu Wang"')))[0]
    assert ok.level is Level.SUCCESS and 'author:"Yu Wang"' in ok.text
    again = notices(await commands.handle(req("subscribe", "author: yu wang")))[0]
    assert "Already following" in again.text
    await commands.handle(req("subscribe", "추론"))
    listing = (await commands.handle(req("subscriptions"))).messages[0].fallback()
    assert 'author:"Yu Wang"' in listing and "추론" in listing
    assert [s.kind for s in await seeded.subscriptions("slack", "user:U1")] == ["author", "keyword"]
    assert "Stopped following 추론" in notices(await commands.handle(req("unsubscribe", "추론")))[0].text
    assert "were not following" in notices(await commands.handle(req("unsubscribe", "추론")))[0].text
    refused = notices(await commands.handle(req("subscribe", "--channel 추론")))[0]
    assert "Only channel managers" in refused.text
    assert await seeded.subscriptions("slack", "channel:C1") == []
    assert "Say what to follow" in notices(await commands.handle(req("subscribe")))[0].text


async def test_schedule_needs_a_channel_manager(commands, seeded):
    refused = notices(await commands.handle(req("schedule", "set 09:00 Asia/Seoul mon-fri")))[0]
    assert refused.level is Level.WARNING and "Only people who can manage this channel" in refused.text
    assert await seeded.schedule("slack", "C1") is None

    changed: list[Schedule] = []

    async def listener(schedule: Schedule) -> None:
        changed.append(schedule)

    commands.on_schedule_change = listener
    done = notices(await commands.handle(req("schedule", "set 9:00 Asia/Seoul mon-fri top=5", manage=True)))[0]
    assert done.text == "Daily post set: 09:00 Asia/Seoul, mon-fri, top 5."
    stored = await seeded.schedule("slack", "C1")
    assert (stored.time, stored.timezone, stored.weekdays) == (dt.time(9), "Asia/Seoul", (0, 1, 2, 3, 4))
    assert stored.top_n == 5 and stored.set_by == "U1"
    assert changed == [stored]
    shown = notices(await commands.handle(req("schedule", "show")))[0]
    assert "09:00 Asia/Seoul, mon-fri" in shown.text
    off = notices(await commands.handle(req("schedule", "off", manage=True)))[0]
    assert off.text.startswith("Daily post turned off")
    assert not (await seeded.schedule("slack", "C1")).enabled


@pytest.mark.parametrize(
    ("args", "message"),
    [("set 25:00 Asia/Seoul", "not a time"), ("set 09:00 Mars/Olympus", "not a time zone"),
     ("set 09:00 UTC someday", "neither weekdays"), ("set", "Say when"), ("set 09:00 top=0", "whole number")],
)
async def test_bad_schedules_get_clear_messages(commands, seeded, args, message):
    reply = notices(await commands.handle(req("schedule", args, manage=True)))[0]
    assert message in reply.text
    assert await seeded.schedule("slack", "C1") is None


async def test_unknown_command_suggests_the_closest(commands):
    text = notices(await commands.handle(req("serch", "x")))[0].text
    assert text == "Unknown command `serch`. Did you mean `/papers search`? Try `/papers help`."


async def test_help_lists_every_command(commands):
    text = (await commands.handle(req("help"))).messages[0].fallback()
    for name in ("today", "search", "author", "show", "subscribe", "unsubscribe", "subscriptions", "schedule"):
        assert f"/papers {name}" in text


async def test_empty_store_says_no_digest_yet(store):
    reply = await Commands(store).handle(req("today"))
    assert "No digest stored yet" in notices(reply)[0].text


async def test_schedule_accepts_zones_without_a_slash_and_quiet(commands, seeded):
    done = notices(await commands.handle(req("schedule", "set 8am Japan weekdays quiet min-votes=2", manage=True)))[0]
    assert done.text == "Daily post set: 08:00 Japan, mon-fri, at least 2 votes, quiet on days without papers."
    stored = await seeded.schedule("slack", "C1")
    assert stored.quiet and stored.timezone == "Japan" and stored.min_votes == 2
