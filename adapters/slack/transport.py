"""Slack as a delivery target for the ledger (:class:`bot.delivery.Transport`).

Slack has no idempotency key, so each ``ts`` is recorded the moment ``chat.postMessage``
returns it, before the next part, and thread replies hang off the recorded parent ``ts``.
Each message also carries the ledger's nonce as message metadata; when a part's outcome is
unknown (a crash between Slack accepting it and the ledger recording it), the transport
looks for that nonce among the channel's latest messages (or the thread's replies) before
sending again. Without the ``*:history`` scopes that lookup is refused and the part is sent
again: the only case where Slack could show one message twice. ``user:<id>`` targets are
direct messages (``conversations.open``). 429s and server errors are retried by
slack-sdk's handlers on the client. A message Slack rejects as invalid is sent once more
without its images (Slack refuses a message whose image it cannot download), then
reported as rejected: the post goes on without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.slack import limits
from adapters.slack.client import SlackConfigError, error_code, make_client, shared_session
from adapters.slack.locale import UserLocales
from adapters.slack.post import MessagePoster
from adapters.slack.render import render
from bot.config import Settings
from bot.delivery import ChannelUnavailable, PartRejected, SentRef
from bot.messages import Message
from bot.payload import Payload

log = logging.getLogger(__name__)
METADATA_EVENT = "paperbot_part"
DM_ERRORS = frozenset({"user_not_found", "cannot_dm_bot", "user_disabled", "account_inactive"})
#: errors that mean the bot cannot post to the channel at all
UNAVAILABLE_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived", "channel_is_archived"})
#: errors that mean this one message is invalid: sending it again would fail the same way
REJECTED_ERRORS = frozenset({"invalid_blocks", "invalid_blocks_format", "msg_too_long", "msg_blocks_too_long",
                             "no_text", "too_many_attachments", "invalid_arguments", "invalid_metadata_format",
                             "invalid_metadata_schema", "metadata_too_large", "invalid_attachments"})


class SlackTransport:
    platform = "slack"
    #: Slack limits posting per channel (about one message a second): a post holds its slot for
    #: seconds while it waits out its own channel's limit, so every channel goes at once
    max_concurrency = 10_000

    def __init__(self, client: AsyncWebClient, *, post_interval: float = limits.POST_INTERVAL_SECONDS) -> None:
        self.client = client
        #: each channel is paced at Slack's posting rate, so 429s are the exception (slack-sdk's 429
        #: handler stays the safety net); 0 turns pacing off
        self.post_interval = post_interval
        self._channels: dict[str, ChannelPacer] = {}
        self._dms: dict[str, str] = {}
        self._blind: set[str] = set()  # channels whose history the app may not read
        self.locales = UserLocales()  # each user's Slack language, for their alert DMs
        quiet_sdk_debug(client)
        self.poster = MessagePoster(client)

    async def user_language(self, user: str) -> str:
        """``user``'s Slack locale (``ko-KR``), ``""`` if Slack cannot say (:mod:`adapters.slack.locale`)."""
        return await self.locales.locale(self.client, user)

    def render(self, messages: Sequence[Message]) -> list[Payload]:
        return render(messages)

    async def _channel(self, target: str) -> str:
        if not target.startswith("user:"):
            return target
        user = target.removeprefix("user:")
        if user not in self._dms:
            try:
                response = await self.client.conversations_open(users=user)
            except SlackApiError as exc:
                if error_code(exc) in DM_ERRORS:
                    raise ChannelUnavailable(target, error_code(exc)) from None
                raise
            self._dms[user] = str(response["channel"]["id"])
        return self._dms[user]

    async def _find(self, channel: str, parent: SentRef | None, nonce: str) -> str | None:
        """The ``ts`` of the message carrying ``nonce``, if Slack has it."""
        client = self.client
        try:
            if parent is not None:
                response = await client.conversations_replies(channel=channel, ts=parent.message_id,
                                                              include_all_metadata=True, limit=200)
            else:
                response = await client.conversations_history(channel=channel, include_all_metadata=True, limit=50)
        except SlackApiError as exc:
            if channel not in self._blind:  # said once per channel: a duplicate is possible after a crash
                self._blind.add(channel)
                log.warning("Slack: cannot look up an unconfirmed message in %s (%s: add the *:history scopes); "
                            "sending it again, so a duplicate is possible after a crash", channel, error_code(exc))
            return None
        for message in response.get("messages") or []:
            if ((message.get("metadata") or {}).get("event_payload") or {}).get("nonce") == nonce:
                return str(message["ts"])
        return None

    async def send(self, target: str, payload: Payload, *, parent: SentRef | None, nonce: str,
                   unknown: bool) -> SentRef:
        channel = await self._channel(target)
        if unknown and (ts := await self._find(channel, parent, nonce)) is not None:
            return SentRef(ts, parent.message_id if parent else ts)
        metadata = {"event_type": METADATA_EVENT, "event_payload": {"nonce": nonce}}
        try:
            response = await self._post(channel, parent.message_id if parent else None, payload, metadata)
        except SlackApiError as exc:
            code = error_code(exc)
            if code in UNAVAILABLE_ERRORS and parent is None:
                raise ChannelUnavailable(target, code) from None
            if code in REJECTED_ERRORS:
                raise PartRejected(code) from None
            raise
        ts = str(response["ts"])
        return SentRef(ts, parent.message_id if parent else ts)

    async def _post(self, channel: str, thread_ts: str | None, payload: Payload,
                    metadata: dict[str, Any]) -> AsyncSlackResponse:
        """``chat.postMessage`` (:class:`adapters.slack.post.MessagePoster`); on ``invalid_blocks`` once more
        without images (a thumbnail is not worth losing the summary for)."""
        try:
            async with self._paced(channel):
                return await self.poster.post(channel, thread_ts, payload, metadata)
        except SlackApiError as exc:
            bare = without_images(payload.body)
            if error_code(exc) != "invalid_blocks" or bare == payload.body:
                raise
            log.warning("Slack refused a message to %s with its image (invalid_blocks); sending it without", channel)
            async with self._paced(channel):
                return await self.poster.post(channel, thread_ts, dataclasses.replace(payload, body=bare), metadata)

    def _paced(self, channel: str) -> contextlib.AbstractAsyncContextManager[None]:
        if self.post_interval <= 0:
            return contextlib.nullcontext()
        pacer = self._channels.get(channel)
        if pacer is None:
            pacer = self._channels[channel] = ChannelPacer(self.post_interval)
        return pacer


class ChannelPacer:
    """One channel's posts one at a time, each ``interval`` after Slack answered the one before: counted
    from the answer (which Slack sends after it took the message), a busy bot or a slow network cannot
    bunch two messages up on Slack's side.

    Counted from the send instead (``interval`` + a margin of 0.02 or 0.1 s), a 1,000-channel fan-out
    drew 429s on ~9% of its requests, and counted from the answer minus 0.1 s on ~11% (bench/fanout.py,
    on 2 busy cores): under load one message waits longer for the event loop or a connection than the
    next one does, on its way out or back. The price of counting from the answer is one round trip per message, so the
    HTTP session must not make requests queue for a connection (:func:`adapters.slack.client.shared_session`).
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._lock = asyncio.Lock()
        self._next = 0.0

    # an async context manager of its own rather than a generator's: one a message, at a thousand a second
    async def __aenter__(self) -> None:
        await self._lock.acquire()
        try:
            if (wait := self._next - asyncio.get_running_loop().time()) > 0:
                await asyncio.sleep(wait)
        except BaseException:
            self._lock.release()
            raise

    async def __aexit__(self, *exc: object) -> None:
        self._next = asyncio.get_running_loop().time() + self.interval
        self._lock.release()


def quiet_sdk_debug(client: AsyncWebClient) -> None:
    """Give the client's logger its effective level as its own.

    slack-sdk formats its debug lines (every request's JSON, every response's headers and body) whenever
    ``logger.level <= DEBUG`` — true for a logger left at ``NOTSET`` even when nothing would show them:
    about a third of the client's CPU per ``chat.postMessage`` (bench/fanout.py). The records shown stay
    those logging was configured for when the transport was made.
    """
    logger = client.logger
    if logger.level == logging.NOTSET:
        logger.setLevel(logger.getEffectiveLevel())


def without_images(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with image accessories and image blocks removed."""
    blocks = []
    for block in body.get("blocks") or []:
        if block.get("type") == "image":
            continue
        if (block.get("accessory") or {}).get("type") == "image":
            block = {k: v for k, v in block.items() if k != "accessory"}
        blocks.append(block)
    return {**body, "blocks": blocks}


@contextlib.asynccontextmanager
async def open_transport(settings: Settings) -> AsyncIterator[SlackTransport | None]:
    """A Web API transport for CLI runs (``paperbot deliver``), one HTTP session for all its calls;
    ``None`` without a bot token."""
    try:
        client = make_client(settings)
    except SlackConfigError:
        yield None
        return
    async with shared_session(client):
        yield SlackTransport(client)
