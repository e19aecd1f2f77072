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
import zoneinfo
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from bot import arxiv
from bot.layout import DigestOptions, digest_messages, paper_card
from bot.messages import Detail, Header, Level, Message, Notice, Reply, Text
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


def parse_line(text: str) -> tuple[str, str]:
    """``/papers search 추론`` → ``("search", "추론")``; the ``/papers`` prefix is optional."""
    text = text.strip()
    if text.lower().startswith(COMMAND):
        text = text[len(COMMAND):].strip()
    name, _, rest = text.partition(" ")
    return name.lower(), rest.strip()


HELP: tuple[tuple[str, str], ...] = (
    ("today [YYYY-MM-DD]", "the day's digest (latest by default)"),
    ("search <words>", "papers by keyword, Korean or English: `추론`, `\"preference optimization\"`"),
    ("author <name>", "papers by an author: `Juanzi Li`, or a surname: `Ning`"),
    ("show <arXiv id>", "one paper with its summaries: `2406.18629`"),
    ("subscribe <topic>", "alerts for a keyword, phrase or `author:\"Yu Wang\"`"),
    ("unsubscribe <topic>", "stop an alert"),
    ("subscriptions", "your alerts"),
    ("schedule set|show|off", f"this channel's daily post, e.g. {EXAMPLE}"),
    ("help", "this list"),
)

ScheduleListener = Callable[[Schedule], Awaitable[None]]


class Commands:
    def __init__(
        self,
        store: Store,
        *,
        default_timezone: str = "Asia/Seoul",
        page_size: int = PAGE_SIZE,
        on_schedule_change: ScheduleListener | None = None,
        today: Callable[[], dt.date] | None = None,
    ) -> None:
        self.store = store
        self.default_timezone = default_timezone
        self.page_size = page_size
        self.on_schedule_change = on_schedule_change
        self._today = today or (lambda: dt.datetime.now(zoneinfo.ZoneInfo(default_timezone)).date())
        self._handlers: dict[str, Callable[[Request], Awaitable[Reply]]] = {
            "today": self.today,
            "digest": self.today,
            "search": self.search,
            "author": self.author,
            "show": self.show,
            "subscribe": self.subscribe,
            "unsubscribe": self.unsubscribe,
            "subscriptions": self.subscriptions,
            "schedule": self.schedule,
            "help": self.help,
        }

    @property
    def names(self) -> list[str]:
        return list(self._handlers)

    async def handle(self, request: Request) -> Reply:
        name = request.command.strip().lower() or "help"
        handler = self._handlers.get(name)
        if handler is None:
            close = difflib.get_close_matches(name, self._handlers, n=1)
            hint = f" Did you mean `{COMMAND} {close[0]}`?" if close else ""
            return Reply.notice(f"Unknown command `{name}`.{hint} Try `{COMMAND} help`.", Level.WARNING)
        try:
            return await handler(replace(request, command=name))
        except (QueryError, TopicError, ScheduleError) as exc:
            return Reply.notice(str(exc), Level.WARNING)
        except Exception:  # a bug or a storage failure: log it, never show a traceback
            log.exception("command %s failed", name)
            return Reply.notice("Sorry, something went wrong on our side. Please try again later.", Level.ERROR)

    # -- lookups -------------------------------------------------------------------
    async def today(self, request: Request) -> Reply:
        arg = request.args.strip().removeprefix("--date").strip()
        date: dt.date | None = None
        if arg:
            date = self._parse_day(arg)
            if date is None:
                return Reply.notice(f"{arg!r} is not a date: use YYYY-MM-DD, `today` or `yesterday`.",
                                    Level.WARNING)
        stored = await self.store.digest(date)
        if stored is None and date is None:
            return Reply.notice("No digest stored yet. Papers arrive with the next daily fetch.")
        if stored is None and date is not None:
            dates = await self.store.digest_dates()
            near = ", ".join(d.isoformat() for d in dates[-5:])
            hint = f" Stored days: {near}." if near else ""
            return Reply.notice(f"No digest for {date.isoformat()}.{hint}")
        messages = digest_messages(stored, DigestOptions(details=False), date=date)
        post = replace(messages[0], ephemeral=True, kind="reply",
                       blocks=(*messages[0].blocks,
                               Text(f"Summaries: `{COMMAND} show <arXiv id>` · search: `{COMMAND} search <words>`")))
        return Reply((post,))

    def _parse_day(self, text: str) -> dt.date | None:
        word = text.lower()
        if word == "today":
            return self._today()
        if word == "yesterday":
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

    def _results(self, page: SearchPage, title: str, more_command: str, number: int,
                 by_author: bool = False) -> Reply:
        if not page.hits:
            hint = "Try a shorter word or another spelling." if page.total == 0 else "No more results."
            return Reply.notice(f"No papers found for {title}. {hint}")
        shown_to = page.offset + len(page.hits)
        blocks: list = [Header(f"🔎 {title}: {page.total_text} paper{'s' if page.total != 1 else ''}"
                               + (f" (showing {page.offset + 1}-{shown_to})" if page.total > len(page.hits) else ""))]
        for rank, hit in enumerate(page.hits, start=page.offset + 1):
            blocks.append(paper_card(hit.paper, Detail.COMPACT, rank=rank, snippet=hit.snippet,
                                     matched=hit.matched_authors if by_author else ()))
        if page.more:
            blocks.append(Notice(f"… and {page.more_text} more: `{more_command} --page {number + 1}`"))
        return Reply((Message(tuple(blocks), ephemeral=True),))

    async def search(self, request: Request) -> Reply:
        query, number = self._page(request.args)
        if not query.strip():
            return Reply.notice(f"Usage: `{COMMAND} search <words>`, e.g. `{COMMAND} search 추론` "
                                f"or `{COMMAND} search \"preference optimization\"`.", Level.WARNING)
        offset = (number - 1) * self.page_size
        page = await self.store.search(query, limit=self.page_size, offset=offset)
        return self._results(page, f"“{query.strip()}”", f"{COMMAND} search {query.strip()}", number)

    async def author(self, request: Request) -> Reply:
        name, number = self._page(request.args)
        if not name.strip():
            return Reply.notice(f"Usage: `{COMMAND} author <name>`, e.g. `{COMMAND} author Juanzi Li`.",
                                Level.WARNING)
        offset = (number - 1) * self.page_size
        page = await self.store.search_authors(name, limit=self.page_size, offset=offset)
        return self._results(page, f"author “{name.strip()}”", f"{COMMAND} author {name.strip()}", number,
                             by_author=True)

    async def show(self, request: Request) -> Reply:
        arg = request.args.strip()
        if not arg:
            return Reply.notice(f"Usage: `{COMMAND} show <arXiv id>`, e.g. `{COMMAND} show 2406.18629`.",
                                Level.WARNING)
        arxiv_id = arxiv.normalize(arg)
        if arxiv_id is None:
            return Reply.notice(f"{arg[:40]!r} is not an arXiv id: it looks like `2406.18629`.", Level.WARNING)
        stored = await self.store.paper(arxiv_id)
        if stored is None:
            return Reply.notice(f"No paper {arxiv_id} in the stored digests. "
                                f"Try `{COMMAND} search <words>`.")
        return Reply((Message((paper_card(stored, Detail.FULL),), ephemeral=True),))

    # -- subscriptions -------------------------------------------------------------
    def _subscriber(self, request: Request, args: str) -> tuple[str, str, str | None]:
        """(subscriber, rest of args, refusal) — ``--channel`` subscribes the channel."""
        if args.startswith("--channel"):
            if not request.can_manage_channel:
                return "", "", "Only channel managers can subscribe the whole channel; drop `--channel` " \
                                "to get alerts as direct messages."
            return f"channel:{request.channel}", args.removeprefix("--channel").strip(), None
        return f"user:{request.user}", args, None

    async def subscribe(self, request: Request) -> Reply:
        subscriber, args, refusal = self._subscriber(request, request.args.strip())
        if refusal:
            return Reply.notice(refusal, Level.WARNING)
        topic = parse_topic(args)
        _, created = await self.store.add_subscription(request.platform, subscriber, topic.kind, topic.term)
        where = "this channel" if subscriber.startswith("channel:") else "you (by direct message)"
        if not created:
            return Reply.notice(f"Already following {topic} for {where}.")
        return Reply.notice(f"Following {topic}: new matching papers will be sent to {where}, once each.",
                            Level.SUCCESS)

    async def unsubscribe(self, request: Request) -> Reply:
        subscriber, args, refusal = self._subscriber(request, request.args.strip())
        if refusal:
            return Reply.notice(refusal, Level.WARNING)
        topic = parse_topic(args)
        if await self.store.remove_subscription(request.platform, subscriber, topic.kind, topic.term):
            return Reply.notice(f"Stopped following {topic}.", Level.SUCCESS)
        current = await self.store.subscriptions(request.platform, subscriber)
        listing = ", ".join(topic_text(s.kind, s.term) for s in current) or "nothing yet"
        return Reply.notice(f"You were not following {topic}. You follow: {listing}.")

    async def subscriptions(self, request: Request) -> Reply:
        mine = await self.store.subscriptions(request.platform, f"user:{request.user}")
        channel = await self.store.subscriptions(request.platform, f"channel:{request.channel}")
        if not mine and not channel:
            return Reply.notice(f"No alerts yet. Try `{COMMAND} subscribe 추론` or "
                                f"`{COMMAND} subscribe author:\"Juanzi Li\"`.")
        lines = [f"• {topic_text(s.kind, s.term)}" for s in mine]
        lines += [f"• {topic_text(s.kind, s.term)} (this channel)" for s in channel]
        return Reply((Message((Header("🔔 Your alerts"), Text("\n".join(lines))), ephemeral=True),))

    # -- schedules -----------------------------------------------------------------
    async def schedule(self, request: Request) -> Reply:
        action, _, rest = request.args.strip().partition(" ")
        action = action.lower() or "show"
        current = await self.store.schedule(request.platform, request.channel)
        if action == "show":
            if current is None:
                return Reply.notice(f"No daily post in this channel yet. A channel manager can add one: {EXAMPLE}.")
            return Reply.notice(f"Daily post: {format_schedule(current)}.")
        if action not in ("set", "off", "on"):
            return Reply.notice(f"Usage: `{COMMAND} schedule set|show|off`, e.g. {EXAMPLE}.", Level.WARNING)
        if not request.can_manage_channel:
            return Reply.notice("Only people who can manage this channel (Manage Channels on Discord, workspace "
                                "admins on Slack) can change its daily post.", Level.WARNING)
        if action in ("off", "on"):
            if current is None:
                return Reply.notice(f"No daily post to turn {action}. Set one with {EXAMPLE}.")
            updated = replace(current, enabled=action == "on", set_by=request.user)
        else:
            spec = parse_schedule(rest, self.default_timezone)
            updated = Schedule(platform=request.platform, channel=request.channel, workspace=request.workspace,
                               time=spec.time, timezone=spec.timezone, weekdays=spec.weekdays, top_n=spec.top_n,
                               min_votes=spec.min_votes, enabled=True, set_by=request.user, quiet=spec.quiet)
        await self.store.set_schedule(updated)
        if self.on_schedule_change is not None:
            await self.on_schedule_change(updated)
        verb = "Daily post turned off" if not updated.enabled else "Daily post set"
        return Reply.notice(f"{verb}: {format_schedule(updated)}.", Level.SUCCESS, ephemeral=False)

    async def help(self, request: Request) -> Reply:
        lines = [f"`{COMMAND} {usage}` — {text}" for usage, text in HELP]
        return Reply((Message((Header("paperbot — daily AI papers"), Text("\n".join(lines))), ephemeral=True),))



