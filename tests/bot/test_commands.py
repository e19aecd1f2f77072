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
    assert "Fri, Jun 28, 2024" in next(b for b in message.blocks if isinstance(b, Header)).text


async def test_today_for_a_missing_or_bad_date(commands):
    missing = notices(await commands.handle(req("today", "2024-07-01")))
    assert "No digest for Mon, Jul 1, 2024. Stored days: Fri, Jun 28, 2024. Show one with " \
           "`/papers today 2024-06-28`." in missing[0].text
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


# -- both languages on the console, as a user types them ----------------------------------

def console(store, *, language: str = "en"):
    import io

    from rich.console import Console

    from adapters.console.app import ConsoleBot
    from bot.app import PaperBot
    from bot.config import Settings

    settings = Settings(_env_file=None, PAPERBOT_LANGUAGE=language)  # type: ignore[call-arg]
    bot = PaperBot(settings, store, Commands(store, default_language=language, today=lambda: dt.date(2024, 6, 29)))
    out = io.StringIO()
    app = ConsoleBot(bot, stdin=io.StringIO(""), console=Console(file=out, width=200, highlight=False))

    async def say(line: str) -> str:
        start = out.tell()
        assert await app.handle_line(line)
        return out.getvalue()[start:]

    return app, say


# (English line, what it shows) and (Korean line, what it shows): the Korean line uses the Korean name
CONVERSATION = [
    ("/papers today", "📰 Daily Papers — Fri, Jun 28, 2024",
     "/papers 오늘", "📰 데일리 페이퍼 — 2024년 6월 28일 (금)"),
    ("/papers today June", "'June' is not a date: use YYYY-MM-DD",
     "/papers 오늘 유월", "'유월'은(는) 날짜가 아닙니다"),
    ("/papers search 추론", "🔎 “추론”: 2 papers",
     "/papers 검색 추론", "🔎 “추론”: 논문 2편"),
    ("/papers search 모델", "(showing 1-5)",
     "/papers 검색 모델", "(1–5번째)"),
    ("/papers search", "Usage: `/papers search <words>`",
     "/papers 검색", "사용법: `/papers 검색 <검색어>`"),
    ("/papers author Juanzi Li", "🔎 author “Juanzi Li”: 3 papers",
     "/papers 저자 Juanzi Li", "🔎 저자 “Juanzi Li”: 논문 3편"),
    ("/papers author juanzi li", "matched: Juanzi Li",
     "/papers 저자 juanzi li", "일치: Juanzi Li"),
    ("/papers show 2406.18629", "[Follow ",
     "/papers 보기 2406.18629", " 팔로우]"),
    ("/papers show 2406.18629", "📅 Fri, Jun 28, 2024",
     "/papers 보기 2406.18629", "📅 2024년 6월 28일 (금)"),
    ("/papers show nope", "'nope' is not an arXiv id",
     "/papers 보기 nope", "'nope'은(는) arXiv ID가 아닙니다"),
    ("/papers subscribe 추론", "Following 추론: new matching papers will be sent to you (by direct message)",
     "/papers 구독 추론", "추론 구독을 시작했습니다. 새로 맞는 논문을 DM으로 한 번씩 보내 드립니다."),
    ("/papers subscribe", "Say what to follow",
     "/papers 구독", "구독할 대상을 적어 주세요"),
    ("/papers subscriptions", "🔔 Your alerts",
     "/papers 구독목록", "🔔 내 알림"),
    ("/papers unsubscribe 추론", "Stopped following 추론.",
     "/papers 구독취소 추론", "추론 구독을 취소했습니다."),
    ("/papers subscriptions", "No alerts yet.",
     "/papers 구독목록", "아직 알림이 없습니다."),
    ("/papers schedule show", "No daily post in this channel yet",
     "/papers 일정 보기", "이 채널에는 아직 매일 게시가 없습니다"),
    ("/papers schedule set 25:00", "'25:00' is not a time of day.",
     "/papers 일정 설정 25:00", "'25:00'은(는) 하루 중 시각이 아닙니다."),
    ("/papers schedule set 09:00 top=99999999999999999999", "top= is too large: at most 100,000.",
     "/papers 일정 설정 09:00 top=99999999999999999999", "top= 값이 너무 큽니다. 최대 100,000입니다."),
    ("/papers schedule set 09:00 Asia/Seoul mon-fri top=5 min-votes=1",
     "Daily post set: 09:00 Asia/Seoul, mon-fri, top 5, at least 1 vote.",
     "/papers 일정 설정 09:00 Asia/Seoul mon-fri top=5 min-votes=1",
     "매일 게시 설정: 09:00 Asia/Seoul, 월-금, 상위 5편, 추천 1개 이상."),
    ("/papers schedule off", "Daily post turned off:",
     "/papers 일정 끄기", "매일 게시를 껐습니다:"),
    ("/papers language", "This channel's posts and alerts are in English.",
     "/papers 언어", "이 채널의 게시물과 알림은 영어로 나갑니다."),
    ("/papers help", "`/papers search <words>` — papers by keyword",
     "/papers 도움말", "`/papers 검색 <검색어>` — 키워드로 논문 찾기"),
    ("/papers serch 추론", "Unknown command `serch`. Did you mean `/papers search`? Try `/papers help`.",
     "/papers 검삭 추론", "`검삭`은(는) 없는 명령어입니다. `/papers 검색`을(를) 찾으셨나요?"),
]


@pytest.mark.parametrize("language", ["en", "ko"])
async def test_every_command_answers_on_the_console_in_both_languages(store, seed_digest, language):
    await store.ingest(seed_digest)
    _, say = console(store)
    for english, english_shows, korean, korean_shows in CONVERSATION:
        line, shows = (english, english_shows) if language == "en" else (korean, korean_shows)
        out = await say(line)
        assert shows in out, f"{line!r} showed:\n{out}"
        assert "Traceback" not in out


async def test_the_process_language_and_the_channel_language(store, seed_digest):
    await store.ingest(seed_digest)
    _, say = console(store, language="ko")
    assert "🔎 “추론”: 논문 2편" in await say("/papers search 추론")  # PAPERBOT_LANGUAGE=ko: English names too
    assert "'fr'은(는) 지원하지 않는 언어입니다" in await say("/papers language fr")
    assert "This channel's posts and alerts are now in English." in await say("/papers language en")
    assert "🔎 “추론”: 2 papers" in await say("/papers search 추론")
    assert "🔎 “추론”: 논문 2편" in await say("/papers 검색 추론")  # typed in Korean: answered in Korean
    assert "이제 이 채널의 게시물과 알림은 한국어로 나갑니다." in await say("/papers 언어 한국어")
    assert (await store.channel_language("console", "console")) == "ko"


async def test_the_console_daily_post_speaks_the_channel_language(store, seed_digest):
    await store.ingest(seed_digest)
    app, say = console(store)
    await say("/papers language ko")
    await app.daily_post()
    out = app.console.file.getvalue()
    assert "📰 데일리 페이퍼 — 2024년 6월 28일 (금)" in out and "요약: `/papers 보기 <arXiv ID>`" in out


async def test_only_channel_managers_change_the_language(commands):
    reply = await commands.handle(req("language", "ko"))
    assert "Only people who can manage this channel" in notices(reply)[0].text
    assert (await commands.store.channel_language("slack", "C1")) is None
    done = await commands.handle(req("language", "ko", manage=True))
    assert notices(done)[0].text == "이제 이 채널의 게시물과 알림은 한국어로 나갑니다."
    assert not done.messages[0].ephemeral  # the channel sees it
    assert "paperbot — 매일 AI 논문" in (await commands.handle(req("help"))).messages[0].fallback()
    user_en = Request("slack", "U1", "C1", "help", locale="en-US")  # the user's own language wins for them
    assert "paperbot — daily AI papers" in (await commands.handle(user_en)).messages[0].fallback()
