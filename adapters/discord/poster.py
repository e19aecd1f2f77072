"""Posting rendered payloads to Discord channels and DMs over REST (a logged-in ``discord.Client``).

The digest post goes to the channel; the first thread reply opens a public thread on that
post (``POST /channels/{id}/messages/{id}/threads``, named like ``Daily Papers 2024-06-28``)
and every payload with ``thread_of`` goes into it. Rate limits (429) are discord.py's
business: its HTTP client waits and retries, and every message carries a nonce with
``enforce_nonce``, so a retried send is created once.

A channel answering 403 (no access) or 404 (deleted) is marked unavailable with one log
line and skipped, without a request, until :meth:`DiscordPoster.mark_available`; the other
channels carry on. A note to that channel's admins is impossible (the bot cannot post
there), so the log line and :attr:`DiscordPoster.unavailable` are the report. When only
the thread cannot be created (no Create Public Threads), the replies are posted in the
channel as replies to the post, with a one-time note naming the missing permission.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import discord

from adapters.discord.connection import describe
from adapters.discord.outgoing import send_kwargs
from bot.payload import Payload

if TYPE_CHECKING:
    from discord.types.threads import ThreadArchiveDuration

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())  # callers report; without logging set up, nothing goes to stderr

AUTO_ARCHIVE_MINUTES: ThreadArchiveDuration = 1440  # one day: Discord allows 60, 1440, 4320 or 10080
THREAD_NOTE = (
    "ℹ️ paperbot cannot open threads in this channel, so the summaries are posted here as replies. "
    "Give it **Create Public Threads** and **Send Messages in Threads** to keep the channel tidy."
)


def thread_name(date: dt.date) -> str:
    return f"Daily Papers {date.isoformat()}"


@dataclass
class PostResult:
    channel: int
    #: the message id of each payload, ``None`` where it was not posted
    message_ids: list[int | None] = field(default_factory=list)
    #: payload index of a thread parent → the thread's id
    threads: dict[int, int] = field(default_factory=dict)
    #: one secret-free ``"payload N: reason"`` entry per failure
    errors: list[str] = field(default_factory=list)
    unavailable: bool = False

    @property
    def ok(self) -> bool:
        return not self.unavailable and not self.errors and all(m is not None for m in self.message_ids)

    @property
    def posted(self) -> int:
        return sum(m is not None for m in self.message_ids)

    @property
    def error(self) -> str | None:
        if self.unavailable:
            return f"channel {self.channel} is unavailable"
        if not self.errors:
            return None
        more = len(self.errors) - 1
        return self.errors[0] + (f" (and {more} more)" if more else "")


class _ChannelGone(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DiscordPoster:
    """Sends payloads with a logged-in client (REST only or connected to the gateway)."""

    def __init__(self, client: discord.Client, *, auto_archive: ThreadArchiveDuration = AUTO_ARCHIVE_MINUTES) -> None:
        self.client = client
        self.auto_archive = auto_archive
        #: channel id → why it is unavailable (``"403 Missing Access, code 50001"``)
        self.unavailable: dict[int, str] = {}
        #: user id → why a DM could not be delivered
        self.unreachable_users: dict[int, str] = {}
        self._noted_threads: set[int] = set()

    def is_available(self, channel_id: int) -> bool:
        return channel_id not in self.unavailable

    def mark_available(self, channel_id: int) -> None:
        self.unavailable.pop(channel_id, None)

    # -- channels ------------------------------------------------------------------
    async def post(self, channel_id: int, payloads: Sequence[Payload], *, thread_name: str) -> PostResult:
        """Post ``payloads`` in order; thread replies go into a thread opened on their parent."""
        result = PostResult(channel_id)
        if channel_id in self.unavailable:
            result.unavailable = True
            result.message_ids = [None] * len(payloads)
            return result
        channel = self.client.get_partial_messageable(channel_id)
        threads: dict[int, discord.abc.Messageable | None] = {}  # None: replies go in the channel
        for index, payload in enumerate(payloads):
            try:
                message_id = await self._send_one(channel, payload, index, result, threads, thread_name)
            except _ChannelGone as gone:
                self._mark_unavailable(channel_id, gone.reason)
                result.unavailable = True
                result.message_ids += [None] * (len(payloads) - index)
                return result
            result.message_ids.append(message_id)
        return result

    async def post_many(
        self, channel_ids: Iterable[int], payloads: Sequence[Payload], *, thread_name: str
    ) -> dict[int, PostResult]:
        """The same digest to several channels, one after the other; one channel's failure stops no other."""
        return {cid: await self.post(cid, payloads, thread_name=thread_name) for cid in channel_ids}

    async def _send_one(
        self,
        channel: discord.PartialMessageable,
        payload: Payload,
        index: int,
        result: PostResult,
        threads: dict[int, discord.abc.Messageable | None],
        name: str,
    ) -> int | None:
        parent = payload.thread_of
        if parent is None:
            return await self._send(channel, payload, index, result, gone_if_refused=True)
        parent_id = result.message_ids[parent] if 0 <= parent < index else None
        if parent_id is None:
            result.errors.append(f"payload {index}: its thread's parent was not posted")
            return None
        if parent not in threads:
            threads[parent] = await self._open_thread(channel, parent, parent_id, name, result)
        thread = threads[parent]
        if thread is not None:
            return await self._send(thread, payload, index, result)
        reference = discord.MessageReference(message_id=parent_id, channel_id=channel.id, fail_if_not_exists=False)
        return await self._send(channel, payload, index, result, reference=reference)

    async def _send(
        self,
        target: discord.abc.Messageable,
        payload: Payload,
        index: int,
        result: PostResult,
        *,
        gone_if_refused: bool = False,
        reference: discord.MessageReference | None = None,
    ) -> int | None:
        kwargs = send_kwargs(payload)
        if reference is not None:
            kwargs["reference"] = reference
        try:
            message = await target.send(**kwargs)
        except (discord.Forbidden, discord.NotFound) as exc:
            if gone_if_refused:
                raise _ChannelGone(describe(exc)) from None
            log.warning("Discord: payload %d for channel %s was refused in %s: %s", index, result.channel,
                        getattr(target, "id", "?"), describe(exc))
            result.errors.append(f"payload {index}: {describe(exc)}")
            return None
        except discord.HTTPException as exc:
            log.warning("Discord: sending payload %d to channel %s failed: %s", index, result.channel, describe(exc))
            result.errors.append(f"payload {index}: {describe(exc)}")
            return None
        return message.id

    async def _open_thread(
        self, channel: discord.PartialMessageable, parent: int, message_id: int, name: str, result: PostResult
    ) -> discord.abc.Messageable | None:
        try:
            data = await self.client.http.start_thread_with_message(
                channel.id, message_id, name=name[:100], auto_archive_duration=self.auto_archive
            )
        except discord.Forbidden as exc:
            if channel.id not in self._noted_threads:  # once per channel: log it, and tell the channel why
                self._noted_threads.add(channel.id)
                log.warning("Discord: cannot open a thread in channel %s (%s): replies go in the channel",
                            channel.id, describe(exc))
                await self._note(channel)
            return None
        except discord.HTTPException as exc:
            log.warning("Discord: opening a thread in channel %s failed (%s): replies go in the channel",
                        channel.id, describe(exc))
            return None
        thread_id = int(data["id"])
        result.threads[parent] = thread_id
        return self.client.get_partial_messageable(thread_id, type=discord.ChannelType.public_thread)

    async def _note(self, channel: discord.PartialMessageable) -> None:
        with contextlib.suppress(discord.HTTPException):
            await channel.send(THREAD_NOTE, allowed_mentions=discord.AllowedMentions.none())

    def _mark_unavailable(self, channel_id: int, reason: str) -> None:
        self.unavailable[channel_id] = reason
        log.warning("Discord channel %s is unavailable (%s): not posting there until it is re-enabled",
                    channel_id, reason)

    # -- direct messages -----------------------------------------------------------
    async def send_dm(self, user_id: int, payloads: Sequence[Payload]) -> PostResult:
        """Every payload, in order, in the DM channel with ``user_id`` (thread replies as plain messages)."""
        result = PostResult(user_id)
        if user_id in self.unreachable_users:
            result.unavailable = True
            result.message_ids = [None] * len(payloads)
            return result
        try:
            dm = await self.client.create_dm(discord.Object(user_id))
            for payload in payloads:
                message = await dm.send(**send_kwargs(payload))
                result.message_ids.append(message.id)
        except (discord.Forbidden, discord.NotFound) as exc:
            reason = describe(exc)
            self.unreachable_users[user_id] = reason
            log.warning("Discord: cannot send direct messages to user %s (%s); skipping them", user_id, reason)
            result.unavailable = True
            result.message_ids += [None] * (len(payloads) - len(result.message_ids))
        except discord.HTTPException as exc:
            log.warning("Discord: direct message to user %s failed: %s", user_id, describe(exc))
            result.errors.append(describe(exc))
            result.message_ids += [None] * (len(payloads) - len(result.message_ids))
        return result
