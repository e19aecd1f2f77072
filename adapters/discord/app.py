"""The Discord adapter's entry point: ``run(bot)`` (gateway + slash commands).

``run`` logs in, syncs ``/papers`` (to ``DISCORD_GUILD_ID`` when set) and answers
interactions until cancelled. It returns an exit status and prints one clear line to
stderr on failure, never the token. Posts (scheduled or ``paperbot post``) go through the
delivery ledger and :mod:`adapters.discord.transport`.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import discord

from adapters.discord.client import PaperClient, paper_client
from adapters.discord.connection import BAD_TOKEN, NO_TOKEN, endpoints, error_text, report, token
from bot import health
from bot.app import PaperBot
from bot.logs import silence_voice_warnings

log = logging.getLogger(__name__)
silence_voice_warnings()  # paperbot never joins voice: discord.py's PyNaCl warning at every start is noise

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2

__all__ = ["PaperClient", "rest_client", "run"]


def rest_client() -> discord.Client:
    """A client for REST calls only (``login`` without ``connect``; the intents only keep discord.py quiet)."""
    return discord.Client(intents=discord.Intents(guilds=True), allowed_mentions=discord.AllowedMentions.none())


async def run(bot: PaperBot, **client_options: Any) -> int:
    """Answer ``/papers`` until cancelled; ``client_options`` go to :class:`PaperClient`."""
    secret = token(bot.settings)
    if not secret:
        return fail("run", NO_TOKEN, None)
    await bot.ensure_seeded()
    with endpoints(bot.settings):
        client_options.setdefault("background", True)
        client = paper_client(bot, guild_id=bot.settings.discord_guild_id, **client_options)
        health.connected(lambda: client.is_ready() and not client.is_closed())  # for GET /readyz
        try:
            async with client:
                await client.start(secret)
        except discord.PrivilegedIntentsRequired:  # pragma: no cover - we ask for none
            return fail("run", "Discord refused the gateway intents", secret)
        except (discord.HTTPException, discord.LoginFailure, discord.GatewayNotFound,
                discord.ConnectionClosed, aiohttp.ClientError, OSError) as exc:
            return fail("run", error_text(exc), secret)
    return EXIT_OK


def fail(command: str, message: str, secret: str | None) -> int:
    """One stderr line (``paperbot post --adapter discord: …``); the exit status."""
    report(f"paperbot {command} --adapter discord", message, secret)
    # a missing or rejected token is a configuration error (exit 2), as on Slack
    return EXIT_CONFIG if message in (NO_TOKEN, BAD_TOKEN) else EXIT_FAILED
