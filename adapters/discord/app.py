"""The Discord adapter's entry points: ``run(bot)`` (gateway + slash commands) and ``post(bot, channel, date)``.

``run`` logs in, syncs ``/papers`` (to ``DISCORD_GUILD_ID`` when set) and answers
interactions until cancelled. ``post`` logs in over REST only (no gateway), posts the
stored digest with its thread, and closes. Both return an exit status and print one clear
line to stderr on failure, never the token.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import aiohttp
import discord

from adapters.discord.client import PaperClient
from adapters.discord.connection import NO_TOKEN, describe, endpoints, report, token
from adapters.discord.interactions import PLATFORM
from adapters.discord.poster import DiscordPoster, thread_name
from adapters.discord.render import render
from bot.app import PaperBot
from bot.layout import DigestOptions, digest_messages

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2

__all__ = ["PaperClient", "post", "rest_client", "run"]


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
        client = PaperClient(bot, guild_id=bot.settings.discord_guild_id, **client_options)
        try:
            async with client:
                await client.start(secret)
        except discord.PrivilegedIntentsRequired:  # pragma: no cover - we ask for none
            return fail("run", "Discord refused the gateway intents", secret)
        except (discord.HTTPException, discord.LoginFailure, discord.GatewayNotFound,
                discord.ConnectionClosed, aiohttp.ClientError, OSError) as exc:
            return fail("run", describe(exc), secret)
    return EXIT_OK


async def post(bot: PaperBot, channel: str, date: dt.date | None) -> int:
    """Post the stored digest of ``date`` (the latest by default) to ``channel`` now; an exit status."""
    secret = token(bot.settings)
    if not secret:
        return fail("post", NO_TOKEN, None)
    if not channel.strip().isdigit():
        return fail("post", f"--channel must be a Discord channel id (digits), not {channel!r}", secret)
    stored = await bot.store.digest(date)
    if stored is None:
        return fail("post", f"no digest stored {'for ' + date.isoformat() if date else 'yet'}; nothing posted", secret)
    schedule = await bot.store.schedule(PLATFORM, channel.strip())
    options = DigestOptions(top_n=schedule.top_n, min_votes=schedule.min_votes) if schedule else DigestOptions()
    payloads = render(digest_messages(stored, options))
    channel_id = int(channel)
    with endpoints(bot.settings):
        client = rest_client()
        try:
            await client.login(secret)
            poster = DiscordPoster(client)
            result = await poster.post(channel_id, payloads, thread_name=thread_name(stored.date))
        except (discord.HTTPException, discord.LoginFailure, aiohttp.ClientError, OSError) as exc:
            return fail("post", describe(exc), secret)
        finally:
            await client.close()
    if result.unavailable:
        reason = poster.unavailable.get(channel_id, "unavailable")
        return fail("post", f"cannot post to channel {channel_id}: {reason}. Is the bot in that server, and may it "
                            "view the channel and send messages there?", secret)
    if not result.ok:
        return fail("post", f"posted {result.posted} of {len(payloads)} messages to channel {channel_id}: "
                            f"{result.error}", secret)
    thread = f" (summaries in thread {next(iter(result.threads.values()))})" if result.threads else ""
    print(f"paperbot post: posted the {stored.date.isoformat()} digest to channel {channel_id}{thread}")
    return EXIT_OK


def fail(command: str, message: str, secret: str | None) -> int:
    """One stderr line (``paperbot post --adapter discord: …``); the exit status."""
    report(f"paperbot {command} --adapter discord", message, secret)
    return EXIT_CONFIG if message == NO_TOKEN else EXIT_FAILED
