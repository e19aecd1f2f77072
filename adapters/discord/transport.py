"""Discord as a delivery target for the ledger (:class:`bot.delivery.Transport`).

One payload per call, with the ledger's nonce and ``enforce_nonce``: Discord returns the
message already created with that nonce (within a few minutes) instead of a second one,
so resending a part whose outcome is unknown never duplicates it. Thread replies go into
the thread started on the recorded parent; a thread started from a message has that
message's id, so after a crash the thread is found again without searching anything.
``user:<id>`` targets are direct messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar

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
T = TypeVar("T")
THREAD_EXISTS = 160004  # "A thread has already been created for this message"


class DiscordTransport:
    platform = "discord"
    #: discord.py waits out a *global* 429 only for requests not yet started; requests
    #: already retrying give up after five tries. A few posts at a time keep that retry
    #: crowd small, so its own rate limiter carries the fan-out (bench/fanout.py).
    max_concurrency = 4
    #: when discord.py has given up on a 429 anyway, the same request (same nonce, so never
    #: a duplicate) is handed back to it this many more times after the advised wait
    rate_limit_rounds = 3

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
                await self._patiently(lambda: self.client.http.start_thread_with_message(
                    channel_id, int(parent.message_id), name=name[:100],
                    auto_archive_duration=AUTO_ARCHIVE_MINUTES))
            except discord.HTTPException as exc:
                if exc.code != THREAD_EXISTS:  # created before a crash: it has the message's id
                    raise
            self._threads.add(thread_id)
        return self.client.get_partial_messageable(thread_id, type=discord.ChannelType.public_thread)

    async def _patiently(self, call: Callable[[], Awaitable[T]]) -> T:
        for round_ in range(self.rate_limit_rounds + 1):
            try:
                return await call()
            except discord.HTTPException as exc:
                if exc.status != 429 or round_ == self.rate_limit_rounds:
                    raise
                await asyncio.sleep(_retry_after(exc))
        raise AssertionError("unreachable")

    async def send(self, target: str, payload: Payload, *, parent: SentRef | None, nonce: str,
                   unknown: bool) -> SentRef:
        channel = await self._channel(target)
        if parent is not None and not target.startswith("user:"):
            channel = await self._thread(int(target), parent)
        try:
            message = await self._patiently(lambda: channel.send(**send_kwargs(payload), nonce=nonce))
        except (discord.Forbidden, discord.NotFound) as exc:
            if parent is None:  # the channel itself refuses: gone or no access
                raise ChannelUnavailable(target, describe(exc)) from None
            raise
        if parent is None and payload.body.get("embeds"):
            self._titles[str(message.id)] = payload.body["embeds"][0].get("title") or self.thread_name
        return SentRef(str(message.id), None if parent is None else str(channel.id))


def _retry_after(exc: discord.HTTPException) -> float:
    header = exc.response.headers.get("Retry-After") if exc.response is not None else None
    try:
        return min(60.0, max(0.05, float(header))) if header else 1.0
    except ValueError:
        return 1.0


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
