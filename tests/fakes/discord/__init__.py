"""A fake Discord (REST API v10 + gateway) for tests, served by aiohttp on 127.0.0.1.

Usage::

    async with FakeDiscord() as fake, fake.patch_discord():
        client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)
        async with fake.running(client):
            await fake.invoke(fake.slash_command("papers", subcommand="search", options={"query": "추론"}))
            ...

Wire details follow the installed discord.py 2.7 (``.venv/.../site-packages/discord``) and Discord's docs:

* JSON responses carry ``Content-Type: application/json`` exactly (discord.py compares the header literally and
  falls back to ``str`` for ``application/json; charset=utf-8``).
* 429 answers carry ``Via: 1.1 google`` (without ``Via`` discord.py assumes a Cloudflare ban and raises at once), a
  JSON body ``{"message", "retry_after", "global"}``, ``Retry-After`` and ``X-RateLimit-*`` headers.
* Gateway frames are plain JSON text frames. discord.py always asks for ``compress=zlib-stream`` (or
  ``zstd-stream`` if ``zstandard`` is importable) in the URL but only decompresses *binary* frames, so text frames are
  accepted as they are. ``FakeDiscord(zlib_stream=True)`` honours ``compress=zlib-stream`` like Discord does.
* Interaction callbacks are posted with ``?with_response=1``; the fake answers ``200`` with an
  ``InteractionCallbackResponse`` (``{"interaction": {...}, "resource": {...}}``) then, ``204`` otherwise.

Only what paperbot and its tests use is modelled; unknown routes answer Discord's ``404: Not Found`` and are still
recorded. The layers, each a module: ``wire`` (constants, error bodies) → ``state`` (users, guild, channels,
permissions) → ``messages`` → ``gateway`` → ``server`` (+ ``ratelimit``) → ``rest`` → ``interactions``.
"""

from __future__ import annotations

from .gateway import GatewayConnection, GatewaySession
from .interactions import Interactions
from .records import CreatedMessage, InteractionRecord, RecordedRequest
from .server import DiscordPatch
from .wire import (
    ALL_PERMISSIONS,
    DEFAULT_BOT_PERMISSIONS,
    DEFAULT_EVERYONE_PERMISSIONS,
    EPHEMERAL,
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILD_PRESENCES,
    INTENT_GUILDS,
    INTENT_MESSAGE_CONTENT,
    PRIVILEGED_INTENTS,
    P,
)

__all__ = [
    "ALL_PERMISSIONS",
    "DEFAULT_BOT_PERMISSIONS",
    "DEFAULT_EVERYONE_PERMISSIONS",
    "EPHEMERAL",
    "INTENT_DIRECT_MESSAGES",
    "INTENT_GUILDS",
    "INTENT_GUILD_MEMBERS",
    "INTENT_GUILD_MESSAGES",
    "INTENT_GUILD_PRESENCES",
    "INTENT_MESSAGE_CONTENT",
    "CreatedMessage",
    "DiscordPatch",
    "FakeDiscord",
    "GatewayConnection",
    "GatewaySession",
    "InteractionRecord",
    "P",
    "RecordedRequest",
]


class FakeDiscord(Interactions):
    """Fake Discord API v10 + gateway. See the module docstring; every public method has a docstring."""

    def __init__(
        self,
        *,
        token: str = "test-token",
        global_rate_per_second: float | None = None,
        bucket_limit: int = 50,
        bucket_window: float = 1.0,
        heartbeat_interval: int = 41250,
        zlib_stream: bool = False,
        privileged_intents: int = PRIVILEGED_INTENTS,
        enforce_permissions: bool = True,
        callback_deadline: float = 3.0,
        echo_events: bool = True,
        application_flags: int = 0,
        bot_user_id: int = 1200000000000000001,
        application_id: int | None = None,
        guild_id: int = 1200000000000000100,
        guild_name: str = "Paper Lab",
        guild_locale: str = "ko",
        shard_count: int = 1,
    ) -> None:
        super().__init__(
            token=token,
            global_rate_per_second=global_rate_per_second,
            bucket_limit=bucket_limit,
            bucket_window=bucket_window,
            heartbeat_interval=heartbeat_interval,
            zlib_stream=zlib_stream,
            privileged_intents=privileged_intents,
            enforce_permissions=enforce_permissions,
            callback_deadline=callback_deadline,
            echo_events=echo_events,
            application_flags=application_flags,
            bot_user_id=bot_user_id,
            application_id=application_id,
            guild_id=guild_id,
            guild_name=guild_name,
            guild_locale=guild_locale,
            shard_count=shard_count,
        )
