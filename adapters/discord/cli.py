"""``paperbot discord invite-url``: the link that adds the bot to a server.

Kept free of discord.py imports at module level, so that registering the subcommand
costs the CLI nothing; :func:`handle` imports what it needs.
"""

from __future__ import annotations

import argparse
from typing import Any

from bot.config import Settings

EXIT_OK, EXIT_FAILED = 0, 1
PREFIX = "paperbot discord invite-url"


def register(subparsers: Any) -> None:
    """Add ``discord invite-url [--application-id ID] [--guild ID]`` to the ``paperbot`` parser."""
    p = subparsers.add_parser("discord", help="Discord helpers")
    sub = p.add_subparsers(dest="discord_command", metavar="ACTION", required=True)
    invite = sub.add_parser("invite-url", help="print the link that adds the bot to a server")
    invite.add_argument("--application-id", type=int,
                        help="the application id from the developer portal (default: asked from Discord with "
                             "DISCORD_TOKEN)")
    invite.add_argument("--guild", type=int, help="preselect this server (default: $DISCORD_GUILD_ID)")


async def handle(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.discord.invite import invite_url

    application_id = args.application_id or await application_id_from_token(settings)
    if application_id is None:
        return EXIT_FAILED
    print(invite_url(application_id, guild_id=args.guild or settings.discord_guild_id))
    return EXIT_OK


async def application_id_from_token(settings: Settings) -> int | None:
    """The application id Discord reports for the configured token (REST only), or ``None`` after one stderr line."""
    import aiohttp
    import discord

    from adapters.discord.app import rest_client
    from adapters.discord.connection import NO_TOKEN, endpoints, error_text, report, token

    secret = token(settings)
    if not secret:
        report(PREFIX, NO_TOKEN + ", or pass --application-id", None)
        return None
    with endpoints(settings):
        client = rest_client()
        try:
            await client.login(secret)
            return client.application_id
        except (discord.HTTPException, discord.LoginFailure, aiohttp.ClientError, OSError) as exc:
            report(PREFIX, error_text(exc), secret)
            return None
        finally:
            await client.close()


__all__ = ["handle", "register"]
