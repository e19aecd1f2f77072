"""``paperbot run``: the bot on one platform."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from bot.cli.common import (
    ADAPTERS,
    adapter_module,
    command,
    db_path,
    pick_adapter,
    version,
)
from bot.config import Settings


def register(sub: Any) -> None:
    """Add this group's subcommands (their handlers are below, registered by name)."""
    p = sub.add_parser("run", help="run the bot (console when no platform token is configured)")
    p.add_argument("--adapter", choices=sorted(ADAPTERS), help="platform (default: from configured tokens)")


@command("run")
async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import PaperBot
    from bot.service import serve

    platform = args.adapter or pick_adapter(settings)
    if platform == "console":  # an interactive terminal: log lines would only clutter the answers
        from bot.logs import configure

        configure(settings, default_level="WARNING")
    logging.getLogger("paperbot").info("paperbot %s: starting the %s adapter", version(), platform)
    runner = adapter_module(platform, "app").run
    bot = await PaperBot.open(settings, db=db_path(args, settings))
    return await serve(bot, platform, runner)  # SIGTERM / SIGINT: a clean stop, exit 0; the bot is closed
