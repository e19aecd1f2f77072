"""What a command gets: the :class:`Request` an adapter builds, and the :class:`Context` it runs in.

``COMMAND`` (``/papers``) is :data:`bot.layout.COMMAND`, re-exported here for the adapters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.i18n import Lang
from bot.layout import COMMAND as COMMAND  # re-exported: the feature modules and adapters take it from here
from bot.messages import Reply
from bot.store import Schedule, Store


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


ScheduleListener = Callable[[Schedule], Awaitable[None]]


class Context(Protocol):
    """What every command may use (:class:`bot.commands.Commands` is one)."""

    store: Store
    default_timezone: str
    page_size: int
    on_schedule_change: ScheduleListener | None

    def current_date(self) -> dt.date:
        """Today in the default time zone (tests pin it)."""
        ...

    async def channel_language(self, platform: str, channel: str, fallback: Lang | None = None) -> Lang:
        """The language of posts and alerts to ``channel``."""
        ...


#: one subcommand: the context, the request (its ``command`` already the English name), the reply language
Handler = Callable[[Context, Request, Lang], Awaitable[Reply]]
