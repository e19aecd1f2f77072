"""Discord as a delivery target for the ledger (:class:`bot.delivery.Transport`).

One payload per call, with the ledger's nonce and ``enforce_nonce``: Discord returns the
message already created with that nonce (within a few minutes) instead of a second one,
so resending a part whose outcome is unknown never duplicates it. Thread replies go into
the thread started on the recorded parent; a thread started from a message has that
message's id, so after a crash the thread is found again without searching anything.
``user:<id>`` targets are direct messages.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

import discord

from adapters.discord.connection import describe, endpoints, token
from adapters.discord.outgoing import send_kwargs
from adapters.discord.poster import AUTO_ARCHIVE_MINUTES
from adapters.discord.render import render
from bot.config import Settings
from bot.delivery import ChannelUnavailable, SentRef
from bot.messages import Message
from bot.payload import Payload

log = logging.getLogger(__name__)
THREAD_EXISTS = 160004  # "A thread has already been created for this message"


class DiscordTransport:
    platform = "discord"

    def __init__(self, client: discord.Client, *, thread_name: str = "Daily Papers") -> None:
        self.client = client
        self.thread_name = thread_name
        self._threads: set[int] = set()
        self._titles: dict[str, str] = {}  # message id → its first embed title, to name its thread

    def render(self, messages: Sequence[Message]) -> list[Payload]:
        return render(messages)

    async def _channel(self, target: str) -> discord.abc.Messageable:
        if target.startswith("user:"):
            try:
                return await self.client.create_dm(discord.Object(int(target.removeprefix("user:"))))
            except (discord.Forbidden, discord.NotFound) as exc:
                raise ChannelUnavailable(target, describe(exc)) from None
        return self.client.get_partial_messageable(int(target))

    async def _thread(self, channel_id: int, parent: SentRef) -> discord.abc.Messageable:
        thread_id = int(parent.thread_id or parent.message_id)
        if thread_id not in self._threads:
            try:
                name = self._titles.get(parent.message_id, self.thread_name)
                await self.client.http.start_thread_with_message(
                    channel_id, int(parent.message_id), name=name[:100],
                    auto_archive_duration=AUTO_ARCHIVE_MINUTES)
            except discord.HTTPException as exc:
                if exc.code != THREAD_EXISTS:  # created before a crash: it has the message's id
                    raise
            self._threads.add(thread_id)
        return self.client.get_partial_messageable(thread_id, type=discord.ChannelType.public_thread)

    async def send(self, target: str, payload: Payload, *, parent: SentRef | None, nonce: str,
                   unknown: bool) -> SentRef:
        channel = await self._channel(target)
        if parent is not None and not target.startswith("user:"):
            channel = await self._thread(int(target), parent)
        try:
            message = await channel.send(**send_kwargs(payload), nonce=nonce)
        except (discord.Forbidden, discord.NotFound) as exc:
            if parent is None:  # the channel itself refuses: gone or no access
                raise ChannelUnavailable(target, describe(exc)) from None
            raise
        if parent is None and payload.body.get("embeds"):
            self._titles[str(message.id)] = payload.body["embeds"][0].get("title") or self.thread_name
        return SentRef(str(message.id), None if parent is None else str(channel.id))


@contextlib.asynccontextmanager
async def open_transport(settings: Settings) -> AsyncIterator[DiscordTransport | None]:
    """A REST-only transport for CLI runs (``paperbot deliver``); ``None`` without a token."""
    secret = token(settings)
    if not secret:
        yield None
        return
    with endpoints(settings):
        client = discord.Client(intents=discord.Intents(guilds=True), allowed_mentions=discord.AllowedMentions.none())
        try:
            await client.login(secret)
            yield DiscordTransport(client)
        finally:
            await client.close()
