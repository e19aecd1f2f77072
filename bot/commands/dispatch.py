"""The dispatcher: picks the reply language, finds the subcommand, and turns every failure into a reply."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable
from dataclasses import replace

from bot.commands import channel, lookup, subscriptions
from bot.commands import help as help_list
from bot.commands.names import canonical, is_korean, suggest
from bot.commands.request import COMMAND, Handler, Request, ScheduleListener
from bot.i18n import DEFAULT, Lang, channel_lang, language_of
from bot.messages import Level, Reply
from bot.schedule_spec import ScheduleError
from bot.store import QueryError, Store
from bot.topics import TopicError

log = logging.getLogger(__name__)

PAGE_SIZE = 5

#: every subcommand by its English name, in the order ``help`` lists them
HANDLERS: dict[str, Handler] = {**lookup.HANDLERS, **subscriptions.HANDLERS, **channel.HANDLERS,
                               **help_list.HANDLERS}


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

    @property
    def names(self) -> list[str]:
        return list(HANDLERS)

    def current_date(self) -> dt.date:
        return self._today()

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
        handler = HANDLERS.get(name)
        if handler is None:
            close = suggest(typed)
            if close:
                return Reply.notice(t._("Unknown command `{name}`. Did you mean `{command} {suggestion}`? "
                                        "Try `{command} help`.", name=typed, command=COMMAND, suggestion=close),
                                    Level.WARNING)
            return Reply.notice(t._("Unknown command `{name}`. Try `{command} help`.", name=typed, command=COMMAND),
                                Level.WARNING)
        try:
            return await handler(self, replace(request, command=name), t)
        except (QueryError, TopicError, ScheduleError) as exc:
            return Reply.notice(t.error(exc), Level.WARNING)
        except Exception:  # a bug or a storage failure: log it, never show a traceback
            log.exception("command %s failed", name)
            return Reply.notice(t._("Sorry, something went wrong on our side. Please try again later."), Level.ERROR)
