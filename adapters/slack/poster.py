"""Posting rendered payloads to Slack channels and direct messages over the Web API.

Thread replies go under the ``ts`` that ``chat.postMessage`` returned for their parent
payload (``Payload.thread_of``) — never found by searching history. Rate limits and
transient server errors are retried by slack-sdk's handlers on the client (see
:mod:`.client`), so each message is sent exactly once as far as we can tell.

A channel that answers ``not_in_channel`` / ``channel_not_found`` (the bot was removed, or
the channel archived or deleted) is marked unavailable with one log line; later posts to it
are skipped without an API call until :meth:`SlackPoster.mark_available`. Other channels are
unaffected. Any other failed payload is logged and skipped (with its thread replies), except
errors no later call could survive (``invalid_auth``, ``missing_scope`` …), which stop the post.
Nothing is raised for Slack errors: the :class:`PostResult` says what happened.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.slack.client import SEND_ERRORS, error_code
from bot.payload import Payload

log = logging.getLogger(__name__)

#: errors that mean the bot cannot post to the channel at all
UNAVAILABLE_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived", "channel_is_archived"})
#: errors that mean no further call can succeed: stop at once
FATAL_ERRORS = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
                          "missing_scope", "no_permission", "ekm_access_denied"})


@dataclass
class PostResult:
    channel: str
    #: the ``ts`` of each payload, ``None`` where it was not posted
    ts: list[str | None] = field(default_factory=list)
    #: one secret-free ``"payload N: error"`` entry per failure
    errors: list[str] = field(default_factory=list)
    unavailable: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and not self.unavailable and all(t is not None for t in self.ts)

    @property
    def error(self) -> str | None:
        if self.unavailable:
            return f"channel {self.channel} is unavailable"
        if not self.errors:
            return None
        more = len(self.errors) - 1
        return self.errors[0] + (f" (and {more} more)" if more else "")


class SlackPoster:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        #: channel id → the error that made it unavailable
        self.unavailable: dict[str, str] = {}

    def is_available(self, channel: str) -> bool:
        return channel not in self.unavailable

    def mark_available(self, channel: str) -> None:
        self.unavailable.pop(channel, None)

    async def post(self, channel: str, payloads: Sequence[Payload]) -> PostResult:
        """Post ``payloads`` in order; a payload whose parent failed is skipped."""
        result = PostResult(channel)
        if channel in self.unavailable:
            result.unavailable = True
            result.ts = [None] * len(payloads)
            return result
        for index, payload in enumerate(payloads):
            thread_ts = None
            if payload.thread_of is not None:
                thread_ts = result.ts[payload.thread_of] if 0 <= payload.thread_of < index else None
                if thread_ts is None:
                    result.ts.append(None)
                    result.errors.append(f"payload {index}: its thread's parent was not posted")
                    continue
            try:
                response = await self.send(channel, thread_ts, payload.body)
            except SEND_ERRORS as exc:
                code = error_code(exc)
                if code in UNAVAILABLE_ERRORS:
                    self.unavailable[channel] = code
                    log.warning("Slack channel %s is unavailable (%s): not posting there until it is re-added",
                                channel, code)
                    result.unavailable = True
                    result.ts += [None] * (len(payloads) - index)
                    return result
                log.warning("chat.postMessage to %s failed (payload %d of %d): %s",
                            channel, index + 1, len(payloads), code)
                result.ts.append(None)
                result.errors.append(f"payload {index}: {code}")
                if code in FATAL_ERRORS:
                    result.ts += [None] * (len(payloads) - index - 1)
                    return result
                continue
            result.ts.append(str(response["ts"]))
        return result

    async def send(self, channel: str, thread_ts: str | None, body: dict[str, Any]) -> AsyncSlackResponse:
        """``chat.postMessage``; on ``invalid_blocks`` once more without images (Slack refuses a message whose
        image it cannot download, and a thumbnail is not worth losing the summary for)."""
        try:
            return await self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, **body)
        except SlackApiError as exc:
            bare = without_images(body)
            if error_code(exc) != "invalid_blocks" or bare == body:
                raise
            log.warning("Slack refused a message to %s with its image (invalid_blocks); sending it without", channel)
            return await self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, **bare)

    async def dm_channel(self, user: str) -> str | None:
        """The DM channel with ``user`` (``conversations.open``), or ``None`` with one log line."""
        try:
            response = await self.client.conversations_open(users=user)
        except SEND_ERRORS as exc:
            log.warning("conversations.open for %s failed: %s", user, error_code(exc))
            return None
        return str(response["channel"]["id"])

    async def send_dm(self, user: str, payloads: Sequence[Payload]) -> PostResult:
        channel = await self.dm_channel(user)
        if channel is None:
            return PostResult(user, [None] * len(payloads), [f"could not open a DM with {user}"])
        return await self.post(channel, payloads)


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
