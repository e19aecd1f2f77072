"""The console as a delivery target: due posts and alerts print to the terminal."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from rich.console import Console

from adapters.console.render import render
from bot.delivery import SentRef
from bot.messages import Message
from bot.payload import Payload


class ConsoleTransport:
    platform = "console"
    max_concurrency = 1  # one terminal

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False)
        self._ids = itertools.count(1)

    def render(self, messages: Sequence[Message]) -> list[Payload]:
        return render(messages)

    async def send(self, target: str, payload: Payload, *, parent: SentRef | None, nonce: str,
                   unknown: bool) -> SentRef:
        where = "you" if target.startswith("user:") else f"#{target}"
        prefix = "    ↳ " if parent else f"→ {where}: "
        self.console.print(prefix + payload.body["text"].replace("\n", "\n" + " " * len(prefix)), markup=False)
        message_id = str(next(self._ids))
        return SentRef(message_id, parent.message_id if parent else message_id)
