"""Answering an interaction: a core :class:`Request` in, rendered payloads out.

The first payload is the interaction response, the rest are followups; each keeps the
ephemeral flag the core chose. Discord drops an interaction not answered within 3 s, so
a command still running after ``defer_after`` seconds is deferred (ephemeral "thinking…")
and its payloads all go as followups. :func:`reply_error` answers an interaction that
failed, whatever state it is in.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from typing import Any

import discord

from adapters.discord.render import NO_MENTIONS, render, send_kwargs
from bot.app import PaperBot
from bot.commands import Request
from bot.messages import Reply
from bot.payload import Payload

log = logging.getLogger(__name__)

PLATFORM = "discord"
DEFER_AFTER = 2.0  # seconds; Discord's limit for the first response is 3


def can_manage_channel(interaction: discord.Interaction) -> bool:
    """Manage Channels in this channel, as Discord resolved it for the member (overwrites included)."""
    permissions = interaction.permissions
    return interaction.guild_id is not None and (permissions.manage_channels or permissions.administrator)


def build_request(interaction: discord.Interaction, command: str, args: str = "") -> Request:
    return Request(
        platform=PLATFORM,
        user=str(interaction.user.id),
        channel=str(interaction.channel_id or ""),
        command=command,
        args=args,
        workspace=str(interaction.guild_id or ""),
        can_manage_channel=can_manage_channel(interaction),
        locale=interaction.locale.value,  # the user's Discord language: their replies speak it
    )


class Responder:
    def __init__(self, bot: PaperBot, *, defer_after: float = DEFER_AFTER) -> None:
        self.bot = bot
        self.defer_after = defer_after

    async def answer(self, interaction: discord.Interaction, command: str, args: str = "") -> None:
        """Run ``/papers command args`` through the core and send its reply."""
        reply = await self._in_time(interaction, self.bot.commands.handle(build_request(interaction, command, args)))
        await self.send_reply(interaction, reply)

    async def send_reply(self, interaction: discord.Interaction, reply: Reply) -> None:
        await send_payloads(interaction, render(reply.messages))

    async def _in_time(self, interaction: discord.Interaction, work: Coroutine[Any, Any, Reply]) -> Reply:
        task = asyncio.ensure_future(work)
        try:
            done, _ = await asyncio.wait({task}, timeout=self.defer_after)
            if not done and not interaction.response.is_done():
                await interaction.response.defer(ephemeral=True, thinking=True)
            return await task
        finally:
            task.cancel()  # no-op once done; stops the work if we were cancelled


async def send_payloads(interaction: discord.Interaction, payloads: Sequence[Payload]) -> None:
    """The first payload as the response (unless already responded or deferred), the rest as followups."""
    if not payloads:
        payloads = [Payload({"content": "Done.", "embeds": []}, ephemeral=True)]
    for payload in payloads:
        kwargs = send_kwargs(payload)
        if not interaction.response.is_done():
            await interaction.response.send_message(ephemeral=payload.ephemeral, **kwargs)
        else:
            await interaction.followup.send(ephemeral=payload.ephemeral, **kwargs)


async def reply_error(interaction: discord.Interaction, text: str) -> None:
    """Answer ``interaction`` with a short ephemeral ``text`` (empty choices for an autocomplete)."""
    try:
        if interaction.type is discord.InteractionType.autocomplete:
            if not interaction.response.is_done():
                await interaction.response.autocomplete([])
        elif not interaction.response.is_done():
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as exc:
        log.warning("Discord: could not report an error to the user (%s %s)", exc.status, exc.text)
