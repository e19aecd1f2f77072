"""The message catalogs: complete, consistent with the code, and what the bot says in each language."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bot.i18n import ENGLISH, KOREAN, LOCALE_DIR, Lang, language_of
from bot.schedule_spec import ScheduleError, parse_schedule
from bot.topics import TopicError, parse_topic

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


def po(language: str) -> Catalog:
    with open(LOCALE_DIR / language / "LC_MESSAGES" / "paperbot.po", "rb") as f:
        return read_po(f, locale=language)


def ids(catalog: Catalog) -> set[str | tuple[str, ...]]:
    return {m.id for m in catalog if m.id}


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_pot_is_up_to_date_with_the_code():
    """Re-extract the strings from the code: a new or changed string needs `make i18n` (and a ko translation)."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    fresh = {m[2] if isinstance(m[2], str) else tuple(m[2])
             for m in extract_from_dir(ROOT, method_map, options_map, keywords=keywords)}
    with open(LOCALE_DIR / "paperbot.pot", "rb") as f:
        shipped = ids(read_po(f))
    assert fresh - shipped == set(), "strings in the code missing from bot/locale/paperbot.pot: run `make i18n`"
    assert shipped - fresh == set(), "stale strings in bot/locale/paperbot.pot: run `make i18n`"
    for language in ("ko", "en"):
        assert ids(po(language)) == shipped, f"{language}.po differs from the .pot: run `make i18n`"


def test_every_korean_entry_is_translated_with_the_same_placeholders():
    catalog = po("ko")
    untranslated, mismatched = [], []
    for message in catalog:
        if not message.id:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            untranslated.append(sources[0])
            continue
        wanted = set().union(*(placeholders(s) for s in sources))
        mismatched += [(sources[0], s) for s in strings if placeholders(s) != wanted]
    assert untranslated == []
    assert mismatched == []


@pytest.mark.parametrize("language", ["ko", "en"])
def test_compiled_catalogs_match_their_sources(language):
    """The shipped .mo is the compiled .po (`make i18n` compiles both)."""
    def entries(catalog: Catalog) -> dict[tuple[str, ...], tuple[str, ...]]:
        def key(x: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
            return (x,) if isinstance(x, str) else tuple(x)
        # an untranslated entry compiles to its own id (Babel writes English plurals that way)
        return {key(m.id): key(m.string) for m in catalog
                if m.id and any(key(m.string)) and key(m.string) != key(m.id)}

    with open(LOCALE_DIR / language / "LC_MESSAGES" / "paperbot.mo", "rb") as f:
        compiled = entries(read_mo(f))
    assert compiled == entries(po(language))


def test_languages_do_not_leak_between_calls():
    assert KOREAN._("Show details") == "자세히 보기"
    assert ENGLISH._("Show details") == "Show details"
    assert Lang("fr")._("Show details") == "Show details"  # unknown: the default, never an error


def test_plurals_dates_and_numbers_by_language():
    assert [ENGLISH.ngettext("{n} paper", "{n} papers", n) for n in (1, 2, 1234)] == \
        ["1 paper", "2 papers", "1,234 papers"]
    assert KOREAN.ngettext("{n} paper", "{n} papers", 1234) == "논문 1,234편"
    day = dt.date(2024, 6, 28)
    assert ENGLISH.date(day) == "Fri, Jun 28, 2024"
    assert KOREAN.date(day) == "2024년 6월 28일 (금)"


def test_platform_locales_map_to_languages():
    assert [language_of(x) for x in ("ko", "ko-KR", "ko_KR", "en-US", "en-GB", "한국어", "ja", "", None)] == \
        ["ko", "ko", "ko", "en", "en", "ko", None, None, None]


def test_input_errors_read_in_either_language():
    with pytest.raises(ScheduleError) as bad_time:
        parse_schedule("25:00")
    assert str(bad_time.value) == "'25:00' is not a time of day."
    assert KOREAN.error(bad_time.value) == "'25:00'은(는) 하루 중 시각이 아닙니다."
    with pytest.raises(ScheduleError) as no_time:
        parse_schedule("")
    assert "`일정 설정 09:00 Asia/Seoul 월-금`" in KOREAN.error(no_time.value)  # the nested example too
    with pytest.raises(TopicError) as empty:
        parse_topic("  ")
    assert KOREAN.error(empty.value).startswith("구독할 대상을 적어 주세요")


def test_paperbot_language_is_checked(monkeypatch):
    from bot.config import ConfigError, load_settings

    monkeypatch.setenv("PAPERBOT_LANGUAGE", "ko-KR")
    assert load_settings().language == "ko"
    monkeypatch.setenv("PAPERBOT_LANGUAGE", "fr")
    with pytest.raises(ConfigError, match="PAPERBOT_LANGUAGE: unknown language 'fr'"):
        load_settings()


@pytest.mark.parametrize(("process", "channel", "header", "empty"), [
    ("en", None, "📰 Daily Papers — Fri, Jun 28, 2024", "No new papers today."),
    ("ko", None, "📰 데일리 페이퍼 — 2024년 6월 28일 (금)", "오늘은 새 논문이 없습니다."),
    ("en", "ko", "📰 데일리 페이퍼 — 2024년 6월 28일 (금)", "오늘은 새 논문이 없습니다."),
    ("ko", "en", "📰 Daily Papers — Fri, Jun 28, 2024", "No new papers today."),
])
async def test_a_channels_daily_post_speaks_its_language(seeded, process, channel, header, empty):
    """The scheduled post (and its no-new-papers note) in the channel's language, else PAPERBOT_LANGUAGE."""
    import io

    from rich.console import Console

    from adapters.console.transport import ConsoleTransport
    from bot.delivery import Deliverer
    from bot.scheduling import ChannelPoster
    from bot.store import Schedule

    class Clock:
        at = dt.datetime(2024, 6, 28, 0, 1, tzinfo=dt.UTC)  # Fri 09:01 in Seoul

        def __call__(self) -> dt.datetime:
            return self.at

    out, clock = io.StringIO(), Clock()
    deliverer = Deliverer(seeded, {"console": ConsoleTransport(Console(file=out, width=100))}, clock=clock)
    poster = ChannelPoster(seeded, deliverer, clock=clock, language=process)
    if channel:
        await seeded.set_channel_language("console", "C1", channel)
    await seeded.set_schedule(Schedule("console", "C1", dt.time(9), "Asia/Seoul", (0, 1, 2, 3, 4), set_by="U1",
                                       since=dt.datetime(2024, 6, 1, tzinfo=dt.UTC)))
    assert (await poster.run_due()).count("sent") == 1
    assert header in out.getvalue()
    clock.at = dt.datetime(2024, 7, 1, 0, 5, tzinfo=dt.UTC)  # Monday, no new digest
    await poster.run_due()
    assert empty in out.getvalue()


async def test_a_store_that_cannot_say_leaves_the_fallback(caplog):
    from bot.i18n import channel_lang

    class Failing:
        async def channel_language(self, platform: str, channel: str) -> str | None:
            raise RuntimeError("database is locked")

    with caplog.at_level("WARNING", logger="bot.i18n"):
        assert await channel_lang(Failing(), "slack", "C1", KOREAN) == KOREAN
    assert "language of slack channel C1 unknown (RuntimeError: database is locked); using ko" in caplog.text


async def test_channels_languages_at_once_and_a_store_that_cannot_say(caplog):
    from bot.i18n import ENGLISH, channel_langs

    class Stored:
        async def channel_languages(self, platform: str, channels: list[str]) -> dict[str, str]:
            return {"C1": "ko", "C2": "xx"}  # a value paperbot does not speak: the fallback

    assert await channel_langs(Stored(), "slack", ["C1", "C2", "C3"], ENGLISH) == {"C1": KOREAN, "C2": ENGLISH,
                                                                                   "C3": ENGLISH}

    class Failing:
        async def channel_languages(self, platform: str, channels: list[str]) -> dict[str, str]:
            raise RuntimeError("database is locked")

    with caplog.at_level("WARNING", logger="bot.i18n"):
        assert await channel_langs(Failing(), "slack", ["C1", "C2"], KOREAN) == {"C1": KOREAN, "C2": KOREAN}
    assert "languages of 2 slack channels unknown (RuntimeError: database is locked); using ko" in caplog.text
