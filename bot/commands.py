"""Every ``/papers`` command, implemented once for every platform.

An adapter builds a :class:`Request` (who, where, which command, its arguments, and
whether the user may manage the channel) and renders the :class:`Reply` it gets back.
No command raises to its caller: bad input gets a short, helpful reply.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import re
import unicodedata
import zoneinfo
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from bot import arxiv
from bot.i18n import DEFAULT, N_, NAMES, Lang, channel_lang, language_of
from bot.layout import DigestOptions, digest_messages, paper_card
from bot.messages import Block, Detail, Header, Level, Message, MessageKind, Notice, Reply, Text
from bot.schedule_spec import EXAMPLE, ScheduleError, format_schedule, parse_schedule
from bot.store import QueryError, Schedule, SearchPage, Store
from bot.topics import TopicError, parse_topic, topic_text

log = logging.getLogger(__name__)

COMMAND = "/papers"
PAGE_SIZE = 5
MAX_PAGE = 50


@dataclass(frozen=True, slots=True)
class Request:
    platform: str  # "console" | "discord" | "slack"
    user: str
    channel: str
    command: str
    args: str = ""
    workspace: str = ""
    can_manage_channel: bool = False  # Manage Channels (Discord), admin/owner or listed admin (Slack)
    locale: str = ""  # the user's language as their platform reports it (Discord ``ko``, Slack ``ko-KR``), if any


def parse_line(text: str) -> tuple[str, str]:
    """``/papers search 추론`` → ``("search", "추론")``; the ``/papers`` prefix is optional."""
    text = text.strip()
    if text.lower().startswith(COMMAND):
        text = text[len(COMMAND):].strip()
    name, _, rest = text.partition(" ")
    return name.lower(), rest.strip()


#: Korean subcommand names, accepted everywhere a command is typed (console, Slack) beside the English ones.
KOREAN_NAMES: dict[str, str] = {
    "오늘": "today",
    "검색": "search",
    "저자": "author",
    "보기": "show",
    "구독": "subscribe",
    "구독취소": "unsubscribe",
    "구독목록": "subscriptions",
    "일정": "schedule",
    "언어": "language",
    "도움말": "help",
}
#: ``/papers 일정 설정 …`` and friends.
KOREAN_SCHEDULE_ACTIONS: dict[str, str] = {"설정": "set", "보기": "show", "끄기": "off", "켜기": "on"}
ENGLISH_NAMES = ("today", "digest", "search", "author", "show", "subscribe", "unsubscribe", "subscriptions",
                 "schedule", "language", "help")


def canonical(name: str) -> str:
    """The English name of a typed subcommand (``검색`` → ``search``); unknown names as typed."""
    name = name.strip().lower()
    return KOREAN_NAMES.get(name, name)


def is_korean(name: str) -> bool:
    """Typed in Korean: a Korean name, or any Hangul (a misspelt Korean name gets a Korean answer)."""
    return any("\uac00" <= ch <= "\ud7a3" or "\u3131" <= ch <= "\u318e" for ch in name)


def _jamo(text: str) -> str:
    """Hangul split into letters, so ``검삭`` is as close to ``검색`` as ``serch`` is to ``search``."""
    return unicodedata.normalize("NFD", text)


def suggest(name: str) -> str | None:
    """The closest known subcommand, in the script it was typed in."""
    pool = list(KOREAN_NAMES) if is_korean(name) else list(ENGLISH_NAMES)
    by_jamo = {_jamo(n): n for n in pool}
    close = difflib.get_close_matches(_jamo(name), by_jamo, n=1)
    return by_jamo[close[0]] if close else None


HELP: tuple[tuple[str, str], ...] = (
    (N_("today [YYYY-MM-DD]"), N_("the day's digest (latest by default)")),
    (N_("search <words>"), N_("papers by keyword, Korean or English: `추론`, `\"preference optimization\"`")),
    (N_("author <name>"), N_("papers by an author: `Juanzi Li`, or a surname: `Ning`")),
    (N_("show <arXiv id>"), N_("one paper with its summaries: `2406.18629`")),
    (N_("subscribe <topic>"), N_("alerts for a keyword, phrase or `author:\"Yu Wang\"`")),
    (N_("unsubscribe <topic>"), N_("stop an alert")),
    (N_("subscriptions"), N_("your alerts")),
    (N_("schedule set|show|off"), N_("this channel's daily post, e.g. {example}")),
    (N_("language ko|en"), N_("the language of this channel's posts and alerts (channel managers)")),
    (N_("help"), N_("this list")),
)

ScheduleListener = Callable[[Schedule], Awaitable[None]]


class Commands:
    def __init__(
        self,
        store: Store,
        *,
        default_timezone: str = "Asia/Seoul",
        default_language: str = DEFAULT,
        page_size: int = PAGE_SIZE,
        on_schedule_change: ScheduleListener | None = None,
        today: Callable[[], dt.date] | None = None,
    ) -> None:
        self.store = store
        self.default_timezone = default_timezone
        self.default_language = language_of(default_language) or DEFAULT
        self.page_size = page_size
        self.on_schedule_change = on_schedule_change
        self._today = today or (lambda: dt.datetime.now(zoneinfo.ZoneInfo(default_timezone)).date())
        self._handlers: dict[str, Callable[[Request, Lang], Awaitable[Reply]]] = {
            "today": self.today,
            "digest": self.today,
            "search": self.search,
            "author": self.author,
            "show": self.show,
            "subscribe": self.subscribe,
            "unsubscribe": self.unsubscribe,
            "subscriptions": self.subscriptions,
            "schedule": self.schedule,
            "language": self.language,
            "help": self.help,
        }

    @property
    def names(self) -> list[str]:
        return list(self._handlers)

    async def channel_language(self, platform: str, channel: str, fallback: Lang | None = None) -> Lang:
        """The language of posts and alerts to ``channel``: its own setting, else ``fallback`` or the process's."""
        return await channel_lang(self.store, platform, channel, fallback or Lang(self.default_language))

    async def reply_language(self, request: Request) -> Lang:
        """A reply's language: the user's (platform locale), else the one they typed in, else the channel's."""
        mine = language_of(request.locale)
        if mine:
            return Lang(mine)
        if is_korean(request.command):
            return Lang("ko")
        return await self.channel_language(request.platform, request.channel)

    async def handle(self, request: Request) -> Reply:
        t = await self.reply_language(request)
        typed = request.command.strip().lower() or "help"
        name = canonical(typed)
        handler = self._handlers.get(name)
        if handler is None:
            close = suggest(typed)
            if close:
                return Reply.notice(t._("Unknown command `{name}`. Did you mean `{command} {suggestion}`? "
                                        "Try `{command} help`.", name=typed, command=COMMAND, suggestion=close),
                                    Level.WARNING)
            return Reply.notice(t._("Unknown command `{name}`. Try `{command} help`.", name=typed, command=COMMAND),
                                Level.WARNING)
        try:
            return await handler(replace(request, command=name), t)
        except (QueryError, TopicError, ScheduleError) as exc:
            return Reply.notice(t.error(exc), Level.WARNING)
        except Exception:  # a bug or a storage failure: log it, never show a traceback
            log.exception("command %s failed", name)
            return Reply.notice(t._("Sorry, something went wrong on our side. Please try again later."), Level.ERROR)

    # -- lookups -------------------------------------------------------------------
    async def today(self, request: Request, t: Lang) -> Reply:
        arg = request.args.strip().removeprefix("--date").strip()
        date: dt.date | None = None
        if arg:
            date = self._parse_day(arg)
            if date is None:
                return Reply.notice(t._("{text} is not a date: use YYYY-MM-DD, `today` or `yesterday`.",
                                        text=repr(arg)), Level.WARNING)
        stored = await self.store.digest(date)
        if stored is None and date is None:
            return Reply.notice(t._("No digest stored yet. Papers arrive with the next daily fetch."))
        if stored is None and date is not None:
            dates = await self.store.digest_dates()
            near = ", ".join(d.isoformat() for d in dates[-5:])
            if near:
                return Reply.notice(t._("No digest for {date}. Stored days: {days}.", date=date.isoformat(),
                                        days=near))
            return Reply.notice(t._("No digest for {date}.", date=date.isoformat()))
        messages = digest_messages(stored, DigestOptions(details=False), date=date, t=t)
        post = replace(messages[0], ephemeral=True, kind=MessageKind.REPLY,
                       blocks=(*messages[0].blocks,
                               Text(t._("Summaries: `{command} show <arXiv id>` · search: `{command} search <words>`",
                                        command=COMMAND))))
        return Reply((post,))

    def _parse_day(self, text: str) -> dt.date | None:
        word = text.lower()
        if word in ("today", "오늘"):
            return self._today()
        if word in ("yesterday", "어제"):
            return self._today() - dt.timedelta(days=1)
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return None

    def _page(self, args: str) -> tuple[str, int]:
        m = re.search(r"\s*(?:--page[ =]|page:)\s*(\d+)\s*$", args)
        if not m:
            return args, 1
        return args[: m.start()], max(1, min(MAX_PAGE, int(m.group(1))))

    def _results(self, page: SearchPage, title: str, more_command: str, number: int, t: Lang,
                 by_author: bool = False) -> Reply:
        if not page.hits:
            if page.total == 0:
                return Reply.notice(t._("No papers found for {title}. Try a shorter word or another spelling.",
                                        title=title))
            return Reply.notice(t._("No papers found for {title}. No more results.", title=title))
        shown_to = page.offset + len(page.hits)
        total = t.ngettext("{title}: {total} paper", "{title}: {total} papers", page.total,
                           title=title, total=page.total_text)
        if page.total > len(page.hits):
            total = t._("{found} (showing {first}-{last})", found=total, first=page.offset + 1, last=shown_to)
        blocks: list[Block] = [Header(f"🔎 {total}")]
        for rank, hit in enumerate(page.hits, start=page.offset + 1):
            blocks.append(paper_card(hit.paper, Detail.COMPACT, rank=rank, snippet=hit.snippet,
                                     matched=hit.matched_authors if by_author else (), t=t))
        if page.more:
            blocks.append(Notice(t._("… and {count} more: `{command} --page {page}`", count=page.more_text,
                                     command=more_command, page=number + 1)))
        return Reply((Message(tuple(blocks), ephemeral=True),))

    async def search(self, request: Request, t: Lang) -> Reply:
        query, number = self._page(request.args)
        if not query.strip():
            return Reply.notice(t._("Usage: `{command} search <words>`, e.g. `{command} search 추론` "
                                    "or `{command} search \"preference optimization\"`.", command=COMMAND),
                                Level.WARNING)
        offset = (number - 1) * self.page_size
        page = await self.store.search(query, limit=self.page_size, offset=offset)
        return self._results(page, f"“{query.strip()}”", f"{COMMAND} search {query.strip()}", number, t)

    async def author(self, request: Request, t: Lang) -> Reply:
        name, number = self._page(request.args)
        if not name.strip():
            return Reply.notice(t._("Usage: `{command} author <name>`, e.g. `{command} author Juanzi Li`.",
                                    command=COMMAND), Level.WARNING)
        offset = (number - 1) * self.page_size
        page = await self.store.search_authors(name, limit=self.page_size, offset=offset)
        return self._results(page, t._("author “{name}”", name=name.strip()), f"{COMMAND} author {name.strip()}",
                             number, t, by_author=True)

    async def show(self, request: Request, t: Lang) -> Reply:
        arg = request.args.strip()
        if not arg:
            return Reply.notice(t._("Usage: `{command} show <arXiv id>`, e.g. `{command} show 2406.18629`.",
                                    command=COMMAND), Level.WARNING)
        arxiv_id = arxiv.normalize(arg)
        if arxiv_id is None:
            return Reply.notice(t._("{text} is not an arXiv id: it looks like `2406.18629`.", text=repr(arg[:40])),
                                Level.WARNING)
        stored = await self.store.paper(arxiv_id)
        if stored is None:
            return Reply.notice(t._("No paper {id} in the stored digests. Try `{command} search <words>`.",
                                    id=arxiv_id, command=COMMAND))
        return Reply((Message((paper_card(stored, Detail.FULL, t=t),), ephemeral=True),))

    # -- subscriptions -------------------------------------------------------------
    def _subscriber(self, request: Request, args: str, t: Lang) -> tuple[str, str, str | None]:
        """(subscriber, rest of args, refusal) — ``--channel`` subscribes the channel."""
        if args.startswith("--channel"):
            if not request.can_manage_channel:
                return "", "", t._("Only channel managers can subscribe the whole channel; drop `--channel` "
                                   "to get alerts as direct messages.")
            return f"channel:{request.channel}", args.removeprefix("--channel").strip(), None
        return f"user:{request.user}", args, None

    async def subscribe(self, request: Request, t: Lang) -> Reply:
        subscriber, args, refusal = self._subscriber(request, request.args.strip(), t)
        if refusal:
            return Reply.notice(refusal, Level.WARNING)
        topic = parse_topic(args)
        _, created = await self.store.add_subscription(request.platform, subscriber, topic.kind, topic.term)
        channel = subscriber.startswith("channel:")
        if not created:
            if channel:
                return Reply.notice(t._("Already following {topic} for this channel.", topic=str(topic)))
            return Reply.notice(t._("Already following {topic} for you (by direct message).", topic=str(topic)))
        if channel:
            return Reply.notice(t._("Following {topic}: new matching papers will be sent to this channel, "
                                    "once each.", topic=str(topic)), Level.SUCCESS)
        return Reply.notice(t._("Following {topic}: new matching papers will be sent to you (by direct message), "
                                "once each.", topic=str(topic)), Level.SUCCESS)

    async def unsubscribe(self, request: Request, t: Lang) -> Reply:
        subscriber, args, refusal = self._subscriber(request, request.args.strip(), t)
        if refusal:
            return Reply.notice(refusal, Level.WARNING)
        topic = parse_topic(args)
        if await self.store.remove_subscription(request.platform, subscriber, topic.kind, topic.term):
            return Reply.notice(t._("Stopped following {topic}.", topic=str(topic)), Level.SUCCESS)
        current = await self.store.subscriptions(request.platform, subscriber)
        if not current:
            return Reply.notice(t._("You were not following {topic}. You follow nothing yet.", topic=str(topic)))
        listing = ", ".join(topic_text(s.kind, s.term) for s in current)
        return Reply.notice(t._("You were not following {topic}. You follow: {topics}.", topic=str(topic),
                                topics=listing))

    async def subscriptions(self, request: Request, t: Lang) -> Reply:
        mine = await self.store.subscriptions(request.platform, f"user:{request.user}")
        channel = await self.store.subscriptions(request.platform, f"channel:{request.channel}")
        if not mine and not channel:
            return Reply.notice(t._("No alerts yet. Try `{command} subscribe 추론` or "
                                    "`{command} subscribe author:\"Juanzi Li\"`.", command=COMMAND))
        lines = [f"• {topic_text(s.kind, s.term)}" for s in mine]
        lines += ["• " + t._("{topic} (this channel)", topic=topic_text(s.kind, s.term)) for s in channel]
        return Reply((Message((Header(t._("🔔 Your alerts")), Text("\n".join(lines))), ephemeral=True),))

    # -- schedules -----------------------------------------------------------------
    async def schedule(self, request: Request, t: Lang) -> Reply:
        action, _, rest = request.args.strip().partition(" ")
        action = action.lower() or "show"
        action = KOREAN_SCHEDULE_ACTIONS.get(action, action)
        current = await self.store.schedule(request.platform, request.channel)
        if action == "show":
            if current is None:
                return Reply.notice(t._("No daily post in this channel yet. A channel manager can add one: "
                                        "{example}.", example=EXAMPLE))
            return Reply.notice(t._("Daily post: {schedule}.", schedule=format_schedule(current, t)))
        if action not in ("set", "off", "on"):
            return Reply.notice(t._("Usage: `{command} schedule set|show|off`, e.g. {example}.", command=COMMAND,
                                    example=EXAMPLE), Level.WARNING)
        if not request.can_manage_channel:
            return Reply.notice(t._("Only people who can manage this channel (Manage Channels on Discord, "
                                    "workspace admins on Slack) can change its daily post."), Level.WARNING)
        if action in ("off", "on"):
            if current is None:
                if action == "off":
                    return Reply.notice(t._("No daily post to turn off. Set one with {example}.", example=EXAMPLE))
                return Reply.notice(t._("No daily post to turn on. Set one with {example}.", example=EXAMPLE))
            updated = replace(current, enabled=action == "on", set_by=request.user)
        else:
            spec = parse_schedule(rest, self.default_timezone)
            updated = Schedule(platform=request.platform, channel=request.channel, workspace=request.workspace,
                               time=spec.time, timezone=spec.timezone, weekdays=spec.weekdays, top_n=spec.top_n,
                               min_votes=spec.min_votes, enabled=True, set_by=request.user, quiet=spec.quiet)
        await self.store.set_schedule(updated)
        if self.on_schedule_change is not None:
            await self.on_schedule_change(updated)
        public = await self.channel_language(request.platform, request.channel, t)  # the channel sees it
        if not updated.enabled:
            text = public._("Daily post turned off: {schedule}.", schedule=format_schedule(updated, public))
        else:
            text = public._("Daily post set: {schedule}.", schedule=format_schedule(updated, public))
        return Reply.notice(text, Level.SUCCESS, ephemeral=False)

    # -- language --------------------------------------------------------------------
    async def language(self, request: Request, t: Lang) -> Reply:
        arg = request.args.strip()
        current = await self.channel_language(request.platform, request.channel)
        if not arg:
            return Reply.notice(t._("This channel's posts and alerts are in {language}. A channel manager can "
                                    "change it: `{command} language ko` or `{command} language en`.",
                                    language=NAMES[current.code], command=COMMAND))
        chosen = language_of(arg)
        if chosen is None:
            return Reply.notice(t._("{text} is not a language here: use `ko` (한국어) or `en` (English).",
                                    text=repr(arg[:40])), Level.WARNING)
        if not request.can_manage_channel:
            return Reply.notice(t._("Only people who can manage this channel (Manage Channels on Discord, "
                                    "workspace admins on Slack) can change its language."), Level.WARNING)
        await self.store.set_channel_language(request.platform, request.channel, chosen)
        new = Lang(chosen)
        return Reply.notice(new._("This channel's posts and alerts are now in {language}.", language=NAMES[chosen]),
                            Level.SUCCESS, ephemeral=False)

    async def help(self, request: Request, t: Lang) -> Reply:
        lines = [f"`{COMMAND} {t._(usage)}` — {t._(text, example=EXAMPLE)}" for usage, text in HELP]
        if t.code == "ko":
            lines.append(t._("English command names work too: `{command} search 추론`.", command=COMMAND))
        return Reply((Message((Header(t._("paperbot — daily AI papers")), Text("\n".join(lines))), ephemeral=True),))
