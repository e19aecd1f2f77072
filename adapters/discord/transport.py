"""Discord as a delivery target for the ledger (:class:`bot.delivery.Transport`).

One payload per call. Each message carries the ledger's nonce twice: as Discord's
``nonce`` with ``enforce_nonce`` (Discord returns the message already created with it, for a
few minutes), and as a short visible marker (``ref …`` in the last embed's footer, or a
subtext line) that stays. When a part's outcome is unknown (a crash between Discord
accepting it and the ledger recording it), the channel's or thread's latest messages are
searched for that marker before sending again — resolved by looking, whenever it is.
Without Read Message History the lookup is refused; then the nonce alone protects a quick
restart, and the log says once that a duplicate is possible after a long one.

Thread replies go into the thread started on the recorded parent; a thread started from
a message has that message's id, so after a crash the thread is found again without
searching anything. Where the bot may not create threads, replies go into the channel as
replies to the post. ``user:<id>`` targets are direct messages. A message Discord rejects
as invalid (400) is reported as rejected and the post goes on without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

import aiohttp
import discord

from adapters.discord import limits
from adapters.discord.connection import endpoints, error_text, token
from adapters.discord.pacing import Pacer, PacingTrace, pace_requests, pace_shared, pacer_of
from adapters.discord.render import render, send_kwargs
from bot import metrics
from bot.app import request_timeline
from bot.config import Settings
from bot.delivery import ChannelUnavailable, PartRejected, SentRef
from bot.errors import PlatformError
from bot.messages import Message
from bot.payload import Payload
from bot.shared_rate import RequestTimeline, SharedPacer, share_rate

if TYPE_CHECKING:
    from discord.types.threads import ThreadArchiveDuration

log = logging.getLogger(__name__)
T = TypeVar("T")
THREAD_EXISTS = 160004  # "A thread has already been created for this message"
AUTO_ARCHIVE_MINUTES: ThreadArchiveDuration = 1440  # one day: Discord allows 60, 1440, 4320 or 10080
MARKER_CHARS = 10  # of the nonce, shown as "ref 0123456789": unique among a channel's recent messages
LOOKUP_LIMIT = 50  # recent messages searched for an unconfirmed part's marker
#: 4xx answers that mean "this message is invalid", not "this channel" or "slow down"
REJECTED_STATUSES = frozenset({400, 413, 422})


def carries(message: discord.Message, marker: str) -> bool:
    tag = f"ref {marker}"
    return tag in (message.content or "") or any(tag in (e.footer.text or "") for e in message.embeds)


class DiscordTransport:
    platform = "discord"
    #: posts in flight: the pacer holds the request rate, so this only needs to keep it busy while
    #: answers are on their way (discord.py retries a global 429 at most five times, so the crowd
    #: that could be caught by one stays small)
    max_concurrency = 8
    #: when discord.py has given up on a 429 anyway, the same request (same nonce, so never
    #: a duplicate) is handed back to it this many more times after the advised wait
    rate_limit_rounds = 3

    def __init__(self, client: discord.Client, *, thread_name: str = "Daily Papers",
                 requests_per_second: float | None = None) -> None:
        self.client = client
        #: every REST call waits its turn, just under Discord's global limit (``None``), so that 429s are the
        #: exception (each also counts toward Discord's invalid-request limit); 0 turns pacing off
        rate = limits.GLOBAL_REQUESTS_PER_SECOND if requests_per_second is None else requests_per_second
        self.pacer: Pacer | SharedPacer | None = pace_requests(client, rate) if rate > 0 else None
        self.thread_name = thread_name
        self._threads: set[int] = set()
        self._no_threads: set[int] = set()  # channels where the bot may not create threads
        self._titles: dict[str, str] = {}  # message id → its first embed title, to name its thread
        self._blind: set[int] = set()  # channels whose history the bot may not read (said once)

    def share_rate(self, timeline: RequestTimeline) -> None:
        """Pace on the bot's ``timeline`` from now on (several processes on one PostgreSQL database): the rate is
        the bot's, not this process' (:mod:`bot.shared_rate`); this process' own pacer stands in while the
        timeline can't be reached."""
        self.pacer = pace_shared(self.client, timeline) or self.pacer

    def render(self, messages: Sequence[Message]) -> list[Payload]:
        return render(messages)

    async def _channel(self, target: str) -> discord.abc.Messageable:
        if target.startswith("user:"):
            try:
                return await self.client.create_dm(discord.Object(int(target.removeprefix("user:"))))
            except (discord.Forbidden, discord.NotFound) as exc:
                raise ChannelUnavailable(target, error_text(exc)) from None
        return self.client.get_partial_messageable(int(target))

    async def _thread(self, channel_id: int, parent: SentRef) -> discord.abc.Messageable | None:
        """The thread on ``parent`` (created the first time); ``None`` where the bot may not create threads."""
        thread_id = int(parent.thread_id or parent.message_id)
        if channel_id in self._no_threads:
            return None
        if thread_id not in self._threads:
            try:
                name = self._titles.get(parent.message_id, self.thread_name)
                await self._patiently(lambda: self.client.http.start_thread_with_message(
                    channel_id, int(parent.message_id), name=name[:100],
                    auto_archive_duration=AUTO_ARCHIVE_MINUTES))
            except discord.Forbidden:
                log.warning("Discord channel %s: no permission to create threads; replies go in the channel "
                            "(give the bot Create Public Threads and Send Messages in Threads)", channel_id)
                self._no_threads.add(channel_id)
                return None
            except discord.HTTPException as exc:
                if exc.code != THREAD_EXISTS:  # created before a crash: it has the message's id
                    raise
            self._threads.add(thread_id)
        return self.client.get_partial_messageable(thread_id, type=discord.ChannelType.public_thread)

    async def _find(self, where: discord.abc.Messageable, key: int, marker: str) -> discord.Message | None:
        """The recent message in ``where`` carrying ``marker``, if Discord has it."""
        try:
            async for message in where.history(limit=LOOKUP_LIMIT):
                if carries(message, marker):
                    return message
        except discord.NotFound:
            return None  # the thread was never created: nothing was posted in it
        except discord.Forbidden:
            if key not in self._blind:
                self._blind.add(key)
                log.warning("Discord channel %s: no Read Message History, so an unconfirmed message is sent again "
                            "(a duplicate is possible after a crash longer than a few minutes)", key)
        return None

    async def _patiently(self, call: Callable[[], Awaitable[T]]) -> T:
        for round_ in range(self.rate_limit_rounds + 1):
            try:
                return await call()
            except discord.HTTPException as exc:
                if exc.status == 429:  # discord.py gave up on its own retries
                    metrics.rate_limited.labels("discord").inc()
                if exc.status != 429 or round_ == self.rate_limit_rounds:
                    raise
                await asyncio.sleep(_retry_after(exc))
        raise AssertionError("unreachable")

    async def send(self, target: str, payload: Payload, *, parent: SentRef | None, nonce: str,
                   unknown: bool) -> SentRef:
        channel = await self._channel(target)
        marker = nonce[:MARKER_CHARS]
        reference: discord.MessageReference | None = None
        if parent is not None and not target.startswith("user:"):
            thread = await self._thread(int(target), parent)
            if thread is None:
                reference = discord.MessageReference(message_id=int(parent.message_id), channel_id=int(target),
                                                     fail_if_not_exists=False)
            else:
                channel = thread
        where_id = getattr(channel, "id", 0)
        if unknown and (found := await self._find(channel, where_id, marker)) is not None:
            return SentRef(str(found.id), None if parent is None or reference is not None else str(where_id))
        kwargs = send_kwargs(payload, marker)
        if reference is not None:
            kwargs["reference"] = reference
        try:
            message = await self._patiently(lambda: channel.send(**kwargs, nonce=nonce[:limits.NONCE]))
        except (discord.Forbidden, discord.NotFound) as exc:
            if parent is None:  # the channel itself refuses: gone or no access
                raise ChannelUnavailable(target, error_text(exc)) from None
            raise
        except discord.HTTPException as exc:
            if exc.status in REJECTED_STATUSES:
                raise PartRejected(error_text(exc)) from None
            raise
        if parent is None and payload.body.get("embeds"):
            self._titles[str(message.id)] = payload.body["embeds"][0].get("title") or self.thread_name
        return SentRef(str(message.id), None if parent is None or reference is not None else str(where_id))


def _retry_after(exc: discord.HTTPException) -> float:
    header = exc.response.headers.get("Retry-After") if exc.response is not None else None
    try:
        return min(60.0, max(0.05, float(header))) if header else 1.0
    except ValueError:
        return 1.0


@contextlib.asynccontextmanager
async def open_transport(settings: Settings) -> AsyncIterator[DiscordTransport | None]:
    """A REST-only transport for CLI runs (``paperbot deliver``); ``None`` without a token;
    :class:`~bot.errors.PlatformError` (one secret-free line) when Discord can't be logged in to. On a
    PostgreSQL database (``settings.db``: ``PAPERBOT_DB`` or ``--db``) its requests take their slots on the bot's
    shared timeline."""
    secret = token(settings)
    if not secret:
        yield None
        return
    with endpoints(settings):
        client = discord.Client(intents=discord.Intents(guilds=True), allowed_mentions=discord.AllowedMentions.none(),
                                http_trace=PacingTrace())  # every attempt paced, discord.py's retries too
        timeline = None
        try:
            try:
                await client.login(secret)
            except (discord.HTTPException, discord.LoginFailure, aiohttp.ClientError, OSError, TimeoutError) as exc:
                raise PlatformError(error_text(exc)) from None
            transport = DiscordTransport(client, requests_per_second=settings.discord_rest_rate)
            share_rate([transport], timeline := request_timeline(settings.db, transport.platform))
            yield transport
        finally:
            await client.close()
            if timeline is not None:
                await timeline.close()
                if isinstance(pacer := pacer_of(client), SharedPacer):
                    log.info("Discord: %d request slots taken on the bot's shared timeline in %d round trips, %d "
                             "passed unused", pacer.taken, pacer.rounds, pacer.dropped)
