"""Where discord.py connects, the token, and one-line error texts that never carry a secret.

``DISCORD_API_BASE`` goes to ``discord.http.Route.BASE`` (REST and interaction webhooks)
and ``DISCORD_GATEWAY_URL`` to ``DiscordWebSocket.DEFAULT_GATEWAY``; tests and proxies
point discord.py elsewhere with them. Both are class attributes, so :func:`endpoints`
restores the previous values on exit.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl

from bot.config import Settings
from bot.text import redact

DEFAULT_API_BASE = "https://discord.com/api/v10"
NO_TOKEN = "no Discord token: set DISCORD_TOKEN (or DISCORD_TOKEN_FILE) to the bot token from the developer portal"
BAD_TOKEN = "Discord rejected the token (401 Unauthorized): check DISCORD_TOKEN / DISCORD_TOKEN_FILE"


@contextlib.contextmanager
def endpoints(settings: Settings) -> Iterator[None]:
    """Point discord.py at the configured REST base and gateway for the duration of the block."""
    route = discord.http.Route
    socket = discord.gateway.DiscordWebSocket
    saved = (route.BASE, socket.DEFAULT_GATEWAY)
    if settings.discord_api_base:
        route.BASE = settings.discord_api_base.rstrip("/")
    if settings.discord_gateway_url:
        socket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)
    try:
        yield
    finally:
        route.BASE, socket.DEFAULT_GATEWAY = saved


def token(settings: Settings) -> str | None:
    """The bot token, or ``None`` when none is configured (or its file cannot be read)."""
    try:
        return settings.discord_token_value()
    except OSError:
        return None


def error_text(exc: BaseException) -> str:
    """A short, secret-free description of a failed Discord call."""
    if isinstance(exc, discord.HTTPException):
        text = exc.text or getattr(exc.response, "reason", "") or ""
        code = f", code {exc.code}" if exc.code else ""
        return f"{exc.status} {text}{code}".strip()
    if isinstance(exc, discord.LoginFailure):
        return BAD_TOKEN
    if isinstance(exc, aiohttp.ClientError | OSError | TimeoutError):
        return f"cannot reach Discord at {discord.http.Route.BASE} ({type(exc).__name__})"
    return type(exc).__name__


def report(prefix: str, message: str, secret: str | None) -> None:
    """One line on stderr: ``prefix: message``, the token blanked out should it ever appear."""
    print(redact(f"{prefix}: {message}", [secret]), file=sys.stderr)
