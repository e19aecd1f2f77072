"""The console bot: paperbot with no tokens and no network.

It reads ``/papers …`` lines from standard input, answers on standard output, and exits
0 at the end of input, so it can be scripted: ``printf '/papers search 추론\n' | paperbot run``.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import sys
import threading
from collections.abc import AsyncIterator
from typing import TextIO

from rich.console import Console
from rich.markup import escape

from adapters.console.render import message_renderable
from adapters.console.transport import ConsoleTransport
from bot.app import PaperBot
from bot.commands import COMMAND, Request, parse_line
from bot.layout import digest_messages
from bot.messages import Message

CHANNEL = "console"


class ConsoleBot:
    def __init__(self, bot: PaperBot, *, stdin: TextIO | None = None, console: Console | None = None) -> None:
        self.bot = bot
        self.stdin = stdin or sys.stdin
        self.console = console or Console(highlight=False)
        self.user = _user()

    def show(self, messages: tuple[Message, ...] | list[Message]) -> None:
        for message in messages:
            self.console.print(message_renderable(message))
        self.console.print()

    async def daily_post(self) -> None:
        stored = await self.bot.store.digest()
        t = await self.bot.commands.channel_language("console", CHANNEL)
        messages = digest_messages(stored, t=t)
        self.show(messages[:1])
        if len(messages) > 1:
            hint = t._("Summaries: `{command} show <arXiv id>` · everything: `{command} help`", command=COMMAND)
            self.console.print(f"[dim]{escape(hint)}[/dim]\n")

    async def handle_line(self, line: str) -> bool:
        """Answer one line; ``False`` when the user asked to quit."""
        text = line.strip()
        if not text or text.startswith("#"):
            return True
        if text.lower() in ("quit", "exit", "/quit", "/exit"):
            return False
        name, args = parse_line(text)
        request = Request("console", self.user, CHANNEL, name, args, can_manage_channel=True)
        reply = await self.bot.commands.handle(request)
        self.show(reply.messages)
        return True

    async def run(self) -> int:
        await self.bot.ensure_seeded()
        await self.daily_post()
        await self.bot.start("console", {"console": ConsoleTransport(self.console)})
        interactive = self.stdin.isatty()
        lines = read_lines(self.stdin)
        while True:
            if interactive:
                self.console.print("[bold]papers>[/bold] ", end="")
            line = await anext(lines, "")
            if not line:
                return 0
            if not await self.handle_line(line):
                return 0


async def read_lines(stdin: TextIO) -> AsyncIterator[str]:
    """Lines from ``stdin``, read on a daemon thread: a blocked read never holds up Ctrl-C or SIGTERM.

    (``run_in_executor`` would: asyncio waits for its worker threads at exit, so the
    process hung until Enter.) A real stdin is read through its own file object on the
    descriptor, so the interpreter's ``sys.stdin`` is never locked by the reading thread.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()

    def pump() -> None:
        source: TextIO = stdin
        if stdin is sys.stdin:
            with contextlib.suppress(AttributeError, OSError, ValueError):
                source = open(stdin.fileno(), encoding=stdin.encoding or "utf-8", errors="replace", closefd=False)
        try:
            for line in iter(source.readline, ""):
                loop.call_soon_threadsafe(queue.put_nowait, line)
        except (OSError, ValueError):
            pass
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is listening
            loop.call_soon_threadsafe(queue.put_nowait, "")

    threading.Thread(target=pump, name="console-stdin", daemon=True).start()
    while line := await queue.get():
        yield line


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "you"


async def run(bot: PaperBot) -> int:
    return await ConsoleBot(bot).run()
