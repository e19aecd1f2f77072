"""Sending a command's rendered reply back through ``respond()`` (the interaction's response_url).

Lookups answer ephemerally (``response_type: ephemeral``), public replies ``in_channel``.
A response_url takes at most :data:`~adapters.slack.limits.RESPONSE_URL_USES` messages; the
rare reply longer than that continues with ``chat.postEphemeral`` / ``chat.postMessage``.
Failures are logged in one line (never the response_url, which is a capability) and stop
the reply, so its parts never arrive out of order.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import limits
from adapters.slack.client import SEND_ERRORS, error_code
from bot.payload import Payload

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReplyTarget:
    respond: AsyncRespond
    client: AsyncWebClient
    channel: str
    user: str


async def send_reply(target: ReplyTarget, payloads: Sequence[Payload], *, replace_original: bool | None = None) -> int:
    """Send ``payloads`` in order; the number sent."""
    for index, payload in enumerate(payloads):
        try:
            if index < limits.RESPONSE_URL_USES:
                response = await target.respond(
                    **payload.body,
                    response_type="ephemeral" if payload.ephemeral else "in_channel",
                    replace_original=replace_original,
                )
                if response.status_code != 200:
                    log.warning("response_url rejected reply part %d of %d: HTTP %s %s", index + 1, len(payloads),
                                response.status_code, (response.body or "")[:100])
                    return index
            elif payload.ephemeral:
                await target.client.chat_postEphemeral(channel=target.channel, user=target.user, **payload.body)
            else:
                await target.client.chat_postMessage(channel=target.channel, **payload.body)
        except SEND_ERRORS as exc:
            log.warning("could not send reply part %d of %d: %s", index + 1, len(payloads), error_code(exc))
            return index
    return len(payloads)
