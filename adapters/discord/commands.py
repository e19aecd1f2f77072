"""The ``/papers`` slash-command group: each subcommand builds a core request and sends its reply.

Parameters become the core's argument text (``/papers schedule set time:09:00
timezone:Asia/Seoul days:mon-fri top:5`` → ``schedule set 09:00 Asia/Seoul mon-fri top=5``),
so every rule lives in :mod:`bot.commands` once. Autocomplete answers come from the store
and are cut to Discord's limits (25 choices, 100 characters each); an autocomplete that
fails answers no choices rather than nothing.

Discord allows ``default_member_permissions`` on top-level commands only (discord.py drops
``@app_commands.default_permissions`` on a subgroup), so ``/papers schedule set|off`` are
guarded at run time: the core refuses members without Manage Channels in the channel.
"""

from __future__ import annotations

import functools
import logging
import zoneinfo
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

import discord
from discord import app_commands

from adapters.discord import limits
from adapters.discord.interactions import PLATFORM, Responder
from bot.app import PaperBot
from bot.commands import KOREAN_NAMES, KOREAN_SCHEDULE_ACTIONS
from bot.i18n import N_, Lang, language_of
from bot.messages import Level, Reply
from bot.schedule_spec import ScheduleError, parse_timezone
from bot.text import ELLIPSIS, fit
from bot.topics import topic_text

log = logging.getLogger(__name__)

Choices = list[app_commands.Choice[str]]
Suggest = Callable[[discord.Interaction, str], Coroutine[Any, Any, Choices]]

DAY_SUGGESTIONS = {"en": ("mon-fri", "daily", "weekends", "mon,wed,fri", "tue,thu"),
                   "ko": ("월-금", "매일", "주말", "월,수,금", "화,목")}
POPULAR_ZONES = ("Asia/Seoul", "UTC", "Asia/Tokyo", "Europe/London", "Europe/Berlin", "America/New_York",
                 "America/Los_Angeles")


#: Korean option names (Discord shows them to Korean clients; the values reach us under the English name)
KOREAN_OPTIONS = {"date": "날짜", "query": "검색어", "name": "이름", "arxiv_id": "arxiv_id", "topic": "주제",
                  "time": "시각", "timezone": "시간대", "days": "요일", "top": "상위", "min_votes": "최소_추천",
                  "language": "언어"}
_KOREAN = {
    app_commands.TranslationContextLocation.command_name: {
        **{english: korean for korean, english in KOREAN_NAMES.items()},
        **{english: korean for korean, english in KOREAN_SCHEDULE_ACTIONS.items() if english != "on"},
    },
    app_commands.TranslationContextLocation.group_name: {english: korean for korean, english in KOREAN_NAMES.items()},
    app_commands.TranslationContextLocation.parameter_name: KOREAN_OPTIONS,
}


class CatalogTranslator(app_commands.Translator):
    """Localized names and descriptions for the command tree: names from the alias tables, text from the catalog.

    ``None`` (Discord shows the English) for ``/papers`` itself and anything without a translation.
    """

    async def translate(self, string: app_commands.locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContextTypes) -> str | None:
        return translate(string.message, locale.value, context.location)


def translate(message: str, locale: str, location: app_commands.TranslationContextLocation) -> str | None:
    if language_of(locale) != "ko":
        return None
    names = _KOREAN.get(location)
    if names is not None:
        return names.get(message)
    text = Lang("ko")._(message)
    return text if text != message else None


def word(text: str) -> str:
    """One argument word: inner spaces dropped (``mon, wed`` → ``mon,wed``)."""
    return "".join(text.split())


def choices(values: Iterable[str], *, value_of: Callable[[str], str] = lambda v: v) -> Choices:
    """At most 25 distinct choices; names and values within 100 characters."""
    out: Choices = []
    seen: set[str] = set()
    for raw in values:
        text = " ".join(raw.split())
        value = fit(value_of(text), limits.CHOICE_VALUE).removesuffix(ELLIPSIS).strip()
        if not text or not value or value in seen:
            continue
        seen.add(value)
        out.append(app_commands.Choice(name=fit(text, limits.CHOICE_NAME), value=value))
        if len(out) == limits.AUTOCOMPLETE_CHOICES:
            break
    return out


def safe(suggest: Suggest) -> Suggest:
    """An autocomplete callback that answers ``[]`` instead of failing (discord.py leaves those unanswered)."""

    @functools.wraps(suggest)
    async def wrapper(interaction: discord.Interaction, current: str) -> Choices:
        try:
            return await suggest(interaction, current)
        except Exception:
            log.exception("autocomplete %s failed", suggest.__name__)
            return []

    return wrapper


@functools.cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def build_papers(bot: PaperBot, responder: Responder) -> app_commands.Group:
    """The ``/papers`` group with its ``schedule`` subgroup, bound to ``bot``."""
    store = bot.store

    def reader(interaction: discord.Interaction) -> Lang:
        """The language of whoever is typing (their Discord client's), for the suggestions they see."""
        return Lang(language_of(interaction.locale.value) or bot.commands.default_language)

    papers = app_commands.Group(name="papers", description=N_("Daily AI papers: digests, search, alerts"))

    # -- autocomplete --------------------------------------------------------------
    @safe
    async def digest_dates(interaction: discord.Interaction, current: str) -> Choices:
        t = reader(interaction)  # the days as the reader writes them; the value as the command reads it
        values = {t._("today"): "today", t._("yesterday"): "yesterday"}
        days = {t.date(d): d.isoformat() for d in reversed(await store.digest_dates())}
        if current:
            days = {name: value for name, value in days.items() if current in name or current in value}
        return choices([*([] if current else values), *days], value_of=lambda name: {**values, **days}[name])

    @safe
    async def titles(interaction: discord.Interaction, current: str) -> Choices:
        return choices(await store.title_suggestions(current, limit=limits.AUTOCOMPLETE_CHOICES),
                       value_of=lambda t: t.replace('"', ""))

    @safe
    async def authors(interaction: discord.Interaction, current: str) -> Choices:
        return choices(await store.author_names(current, limit=limits.AUTOCOMPLETE_CHOICES))

    @safe
    async def my_topics(interaction: discord.Interaction, current: str) -> Choices:
        subs = await store.subscriptions(PLATFORM, f"user:{interaction.user.id}")
        wanted = current.casefold().strip()
        return choices(t for s in subs if wanted in (t := topic_text(s.kind, s.term)).casefold())

    @safe
    async def zones(interaction: discord.Interaction, current: str) -> Choices:
        wanted = word(current).casefold()
        if not wanted:
            return choices(POPULAR_ZONES)
        return choices(z for z in (*POPULAR_ZONES, *_zones()) if wanted in z.casefold())

    @safe
    async def days(interaction: discord.Interaction, current: str) -> Choices:
        suggested = DAY_SUGGESTIONS.get(reader(interaction).code, DAY_SUGGESTIONS["en"])
        return choices([word(current), *suggested] if current.strip() else suggested)

    # -- lookups ---------------------------------------------------------------------
    @papers.command(name="today", description=N_("The day's digest (the latest by default)"))
    @app_commands.describe(date=N_("YYYY-MM-DD, today or yesterday"))
    @app_commands.autocomplete(date=digest_dates)
    async def today(interaction: discord.Interaction, date: str | None = None) -> None:
        await responder.answer(interaction, "today", (date or "").strip())

    @papers.command(name="search", description=N_("Papers by keyword, Korean or English"))
    @app_commands.describe(query=N_('Words or "a phrase", e.g. 추론'))
    @app_commands.autocomplete(query=titles)
    async def search(interaction: discord.Interaction, query: str) -> None:
        await responder.answer(interaction, "search", query)

    @papers.command(name="author", description=N_("Papers by an author"))
    @app_commands.describe(name=N_("A name or a surname, e.g. Juanzi Li"))
    @app_commands.autocomplete(name=authors)
    async def author(interaction: discord.Interaction, name: str) -> None:
        await responder.answer(interaction, "author", name)

    @papers.command(name="show", description=N_("One paper with its summaries"))
    @app_commands.describe(arxiv_id=N_("An arXiv id, e.g. 2406.18629"))
    async def show(interaction: discord.Interaction, arxiv_id: str) -> None:
        await responder.answer(interaction, "show", arxiv_id)

    # -- alerts ----------------------------------------------------------------------
    @papers.command(name="subscribe", description=N_("Alerts (by DM) for a keyword, phrase or author"))
    @app_commands.describe(topic=N_('A keyword, "a phrase" or author:"Yu Wang"'))
    async def subscribe(interaction: discord.Interaction, topic: str) -> None:
        await responder.answer(interaction, "subscribe", topic)

    @papers.command(name="unsubscribe", description=N_("Stop an alert"))
    @app_commands.describe(topic=N_("One of your alerts"))
    @app_commands.autocomplete(topic=my_topics)
    async def unsubscribe(interaction: discord.Interaction, topic: str) -> None:
        await responder.answer(interaction, "unsubscribe", topic)

    @papers.command(name="subscriptions", description=N_("Your alerts"))
    async def subscriptions(interaction: discord.Interaction) -> None:
        await responder.answer(interaction, "subscriptions")

    @papers.command(name="language", description=N_("This channel's language for posts and alerts"))
    @app_commands.describe(language=N_("Korean or English (changing it needs Manage Channels)"))
    @app_commands.choices(language=[app_commands.Choice(name=N_("Korean"), value="ko"),
                                    app_commands.Choice(name=N_("English"), value="en")])
    async def language(interaction: discord.Interaction, language: str | None = None) -> None:
        await responder.answer(interaction, "language", language or "")

    @papers.command(name="help", description=N_("What paperbot can do"))
    async def help_(interaction: discord.Interaction) -> None:
        await responder.answer(interaction, "help")

    # -- this channel's daily post -------------------------------------------------------
    schedule = app_commands.Group(name="schedule", description=N_("This channel's daily digest post"), parent=papers)

    @schedule.command(name="set", description=N_("Post the digest here daily (needs Manage Channels)"))
    @app_commands.describe(
        time=N_("Time of day, e.g. 09:00"),
        timezone=N_("Time zone, e.g. Asia/Seoul"),
        days=N_("Days, e.g. mon-fri, daily or mon,wed,fri"),
        top=N_("Only the N papers with the most votes"),
        min_votes=N_("Only papers with at least N votes"),
    )
    @app_commands.autocomplete(timezone=zones, days=days)
    async def schedule_set(
        interaction: discord.Interaction,
        time: str,
        timezone: str,
        days: str,
        top: app_commands.Range[int, 1, 50] | None = None,
        min_votes: app_commands.Range[int, 0, 100000] | None = None,
    ) -> None:
        try:
            zone = parse_timezone(timezone)
        except ScheduleError as exc:
            await responder.send_reply(interaction, Reply.notice(str(exc), Level.WARNING))
            return
        args = f"set {word(time)} {zone} {word(days)}"
        if top is not None:
            args += f" top={top}"
        if min_votes is not None:
            args += f" min-votes={min_votes}"
        await responder.answer(interaction, "schedule", args)

    @schedule.command(name="show", description=N_("This channel's daily post"))
    async def schedule_show(interaction: discord.Interaction) -> None:
        await responder.answer(interaction, "schedule", "show")

    @schedule.command(name="off", description=N_("Stop the daily post here (needs Manage Channels)"))
    async def schedule_off(interaction: discord.Interaction) -> None:
        await responder.answer(interaction, "schedule", "off")

    return papers
