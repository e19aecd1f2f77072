"""The gateway client: a ``discord.Client`` with the ``/papers`` command tree.

No privileged intent is needed: slash commands arrive as interactions whatever the
intents, and ``guilds`` alone keeps channels and permissions cached. Every message
defaults to ``AllowedMentions.none()``. Commands are synced in :meth:`setup_hook`
(after login, before the gateway): to ``DISCORD_GUILD_ID`` when set (instant, for
development), else globally (Discord may take a while to show changes everywhere).
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from adapters.discord.commands import CatalogTranslator, build_papers
from adapters.discord.connection import error_text
from adapters.discord.interactions import DEFER_AFTER, PLATFORM, Responder, reply_error
from adapters.discord.pacing import PacingTrace
from adapters.discord.transport import DiscordTransport
from bot.app import PaperBot
from bot.i18n import DEFAULT, N_, Lang, language_of

log = logging.getLogger(__name__)

FAILED = N_("Sorry, something went wrong on our side. Please try again later.")
OUTDATED = N_("This command changed; Discord will show the new version shortly. Please try again in a minute.")


def speaking(interaction: discord.Interaction) -> Lang:
    """The user's Discord language, for answers that never reach the core."""
    return Lang(language_of(interaction.locale.value) or DEFAULT)


def intents() -> discord.Intents:
    return discord.Intents(guilds=True)


class PaperTree(app_commands.CommandTree):
    """A command tree whose failures always get an answer."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError, /) -> None:
        name = interaction.command.qualified_name if interaction.command else "?"
        if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
            log.warning("Discord: /%s is out of date (%s); commands are re-synced on start", name, type(error).__name__)
            await reply_error(interaction, "⚠️ " + speaking(interaction)._(OUTDATED))
            return
        cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        log.error("Discord: /%s failed: %s", name, error_text(cause), exc_info=cause)
        await reply_error(interaction, "❌ " + speaking(interaction)._(FAILED))


class PaperClient(discord.Client):
    def __init__(
        self,
        bot: PaperBot,
        *,
        guild_id: int | None = None,
        sync_commands: bool = True,
        background: bool = False,
        defer_after: float = DEFER_AFTER,
        **options: Any,
    ) -> None:
        options.setdefault("intents", intents())
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        options.setdefault("http_trace", PacingTrace())  # each attempt paced as sent, discord.py's retries too
        super().__init__(**options)
        self.bot = bot
        self.guild_id = guild_id
        self.sync_commands = sync_commands
        self.tree = PaperTree(self)
        self.responder = Responder(bot, defer_after=defer_after)
        self.tree.add_command(build_papers(bot, self.responder))
        self.synced: list[app_commands.AppCommand] = []
        self.background = background

    async def setup_hook(self) -> None:
        await self.tree.set_translator(CatalogTranslator())  # Korean names and descriptions, synced with the tree
        if self.sync_commands and self.syncs():
            await self.sync()
        if self.background:  # daily posts, the daily fetch and alerts, delivered over this client
            await self.bot.start(PLATFORM, {PLATFORM: DiscordTransport(
                self, requests_per_second=self.bot.settings.discord_rest_rate)})

    async def sync(self) -> list[app_commands.AppCommand]:
        """Register ``/papers`` with Discord: in ``guild_id`` only when set, else globally."""
        guild = discord.Object(self.guild_id) if self.guild_id else None
        try:
            if guild is not None:
                self.tree.copy_global_to(guild=guild)
            self.synced = await self.tree.sync(guild=guild)
        except discord.HTTPException as exc:
            where = f"guild {self.guild_id}" if guild else "globally"
            log.error("Discord: could not sync commands %s (%s); the last synced version stays", where, error_text(exc))
            return []
        where = f"to guild {self.guild_id}" if guild else "globally (may take a while to appear)"
        log.info("Discord: synced /%s %s", ", /".join(c.name for c in self.synced), where)
        return self.synced

    def syncs(self) -> bool:
        """Whether this process registers ``/papers``: the one owning shard 0 does, for all of them."""
        return True

    async def on_ready(self) -> None:
        log.info("Discord: logged in as %s in %d servers", self.user, len(self.guilds))


class ShardedPaperClient(PaperClient, discord.AutoShardedClient):
    """The client for ``DISCORD_SHARD_COUNT``: this process connects ``shard_ids`` of ``shard_count`` shards.

    Discord sends a server's events and interactions to the shard ``(guild_id >> 22) % shard_count``
    (direct messages to shard 0): each process answers the servers of its shards, while any process
    delivers posts through REST (the leader runs the schedules: :mod:`bot.leader`).
    """

    def __init__(self, bot: PaperBot, *, shard_count: int, shard_ids: list[int], **options: Any) -> None:
        super().__init__(bot, shard_count=shard_count, shard_ids=shard_ids, **options)

    def syncs(self) -> bool:
        return self.shard_ids is None or 0 in self.shard_ids

    async def on_ready(self) -> None:
        log.info("Discord: logged in as %s, shards %s of %d, in %d servers", self.user,
                 ",".join(map(str, self.shard_ids or ())), self.shard_count or 0, len(self.guilds))


def paper_client(bot: PaperBot, **options: Any) -> PaperClient:
    """A :class:`ShardedPaperClient` when the settings name shards, else a :class:`PaperClient`."""
    count, ids = bot.settings.discord_shards()
    if count is None or ids is None:
        return PaperClient(bot, **options)
    log.info("Discord: this process connects shards %s of %d (servers where (id >> 22) %% %d is one of them)",
             ",".join(map(str, ids)), count, count)
    return ShardedPaperClient(bot, shard_count=count, shard_ids=ids, **options)
