"""``chat.postMessage`` for deliveries: slack-sdk's request, its retry handlers, without its per-call work.

A fan-out sends the same few rendered payloads to every channel, about a thousand messages a second,
and the bot's CPU per message bounds how close it gets to Slack's one message a second per channel
(bench/fanout.py). ``AsyncWebClient.chat_postMessage`` spends as much CPU again as aiohttp does:
it copies its keyword arguments, checks them for Block Kit objects, builds the headers and the user agent,
JSON-encodes the whole body — blocks included — on every call, and wraps the request in its retry loop.
:class:`MessagePoster` sends the same request without that per-call work:

* the same wire format: a JSON body with the same members (``channel``, ``thread_ts``, ``metadata`` and
  the payload's own; ``None`` left out, the client's ``default_params`` added), encoded as slack-sdk
  encodes it (``json.dumps``), with the same headers (``Content-Type: application/json;charset=utf-8``,
  its ``User-Agent``, ``Authorization: Bearer``, the client's own headers); a payload's part of the body
  is encoded once and reused for every channel it goes to;
* the same retries: the client's own ``retry_handlers`` (paperbot's 429 handler, server errors, dropped
  connections), asked the same questions with slack-sdk's ``RetryState`` / ``HttpRequest`` /
  ``HttpResponse``, in the order and at the points slack-sdk's loop asks them;
* the same answer: an ``AsyncSlackResponse``, validated, so a refusal raises ``SlackApiError`` with
  Slack's error code as before — but for a message Slack took, only ``ok``, ``channel`` and ``ts``
  (:func:`accepted`: the echo of the message after them is not decoded).

It takes over only when the client has its shared session open (:func:`adapters.slack.client.shared_session`)
and slack-sdk's debug lines are off; otherwise (a session per call, ``DEBUG`` logging) the call goes
through ``chat_postMessage`` unchanged.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import urljoin

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.web.internal_utils import get_user_agent

from bot.identity_cache import IdentityCache
from bot.payload import Payload

METHOD = "chat.postMessage"
JSON = "application/json"
#: payloads whose encoded body is kept (a post has a few dozen at most; alerts share theirs)
_KEPT = 1024
#: slack-sdk gives up after this many attempts whatever its handlers say
_MAX_ATTEMPTS = 100
#: how Slack's answer to a message it took begins; the message itself follows (:func:`accepted`)
_ACCEPTED = re.compile(rb'\{\s*"ok"\s*:\s*true\s*,\s*"channel"\s*:\s*"([A-Z0-9]+)"\s*,'
                       rb'\s*"ts"\s*:\s*"([0-9]+\.[0-9]+)"\s*[,}]')


def _rest(payload: Payload) -> bytes:
    """The payload's members as the end of a JSON object (``"text": …, "blocks": […]}``)."""
    return json.dumps({k: v for k, v in payload.body.items() if v is not None})[1:].encode()


class MessagePoster:
    """``chat.postMessage`` through ``client``'s shared session (see the module docstring)."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self.url = urljoin(client.base_url, METHOD)
        self.headers: dict[str, str] = {"Content-Type": "application/x-www-form-urlencoded",
                                         "User-Agent": get_user_agent()}
        if client.token:
            self.headers["Authorization"] = f"Bearer {client.token}"
        self.headers.update(client.headers or {})
        self.headers["Content-Type"] = "application/json;charset=utf-8"
        headers: dict[str, str | list[str]] = {**self.headers}
        self._request = HttpRequest(method="POST", url=self.url, headers=headers)
        self._encoded: IdentityCache[Payload, bytes] = IdentityCache(_KEPT)

    def ready(self) -> bool:
        """Whether :meth:`post` can send by itself (an open shared session, no debug lines wanted)."""
        session = self.client.session
        return session is not None and not session.closed and not self.client.logger.isEnabledFor(logging.DEBUG)

    async def post(self, channel: str, thread_ts: str | None, payload: Payload,
                   metadata: dict[str, Any] | None = None) -> AsyncSlackResponse:
        """Post ``payload`` to ``channel`` (in the thread of ``thread_ts``), with ``metadata``."""
        fields: dict[str, Any] = {"channel": channel}
        if thread_ts is not None:
            fields["thread_ts"] = thread_ts
        if metadata is not None:
            fields["metadata"] = metadata
        if not self.ready():
            return await self.client.chat_postMessage(**{**payload.body, **fields})
        return await self._send(self.body(fields, payload))

    def body(self, fields: dict[str, Any], payload: Payload) -> bytes:
        """The request body: ``fields`` and the payload's members as one JSON object, the payload's part
        encoded once per payload."""
        defaults = {k: v for k, v in self.client.default_params.items() if k not in fields and k not in payload.body}
        fields = {k: v for k, v in {**fields, **defaults}.items() if v is not None}
        if not fields.keys().isdisjoint(payload.body):  # a payload naming a field itself: slack-sdk's merge
            return json.dumps({k: v for k, v in {**payload.body, **fields}.items() if v is not None}).encode()
        rest = self._encoded.get(payload, _rest)
        head = json.dumps(fields).encode()
        return head[:-1] + b", " + rest if rest != b"}" else head


    async def _send(self, data: bytes) -> AsyncSlackResponse:
        """slack-sdk's request loop (``_request_with_session``) for one JSON body on the shared session."""
        client, request = self.client, self._request
        session = client.session
        assert session is not None
        state = RetryState()
        for _ in range(_MAX_ATTEMPTS):
            state.next_attempt_requested = False
            response: HttpResponse | None = None
            try:
                async with session.post(self.url, data=data, headers=self.headers, proxy=client.proxy,
                                        ssl=True if client.ssl is None else client.ssl) as res:
                    body: dict[str, Any] = {}
                    try:
                        took = res.status == 200 and res.content_type == JSON
                        short = accepted(await res.read()) if took else None
                        body = short if short is not None else await res.json()
                        response = HttpResponse(status_code=res.status, headers=res.headers,  # type: ignore[arg-type]
                                                body=body)
                    except aiohttp.ContentTypeError:  # no JSON answer (a proxy's error page): judged by status
                        response = HttpResponse(status_code=res.status, headers=res.headers)  # type: ignore[arg-type]
                    except json.JSONDecodeError as exc:
                        raise SlackApiError(  # type: ignore[no-untyped-call]
                            f"Unexpectedly failed to read the response body: {exc}", res) from None
                    for handler in client.retry_handlers:
                        if await handler.can_retry_async(state=state, request=request, response=response):
                            await handler.prepare_for_next_attempt_async(state=state, request=request,
                                                                         response=response)
                            break
                    if not state.next_attempt_requested:
                        answer = AsyncSlackResponse(client=client, http_verb="POST", api_url=self.url, req_args={},
                                                    data=body, headers=res.headers,  # type: ignore[arg-type]
                                                    status_code=res.status)
                        break
            except Exception as exc:
                for handler in client.retry_handlers:
                    if await handler.can_retry_async(state=state, request=request, response=response, error=exc):
                        await handler.prepare_for_next_attempt_async(state=state, request=request,
                                                                     response=response, error=exc)
                        break
                if not state.next_attempt_requested:
                    raise
        else:
            raise SlackApiError(f"{METHOD}: no answer after {_MAX_ATTEMPTS} attempts", None)  # type: ignore[no-untyped-call]
        answer.validate()  # type: ignore[no-untyped-call]  # raises SlackApiError unless Slack said ok
        return answer


def accepted(raw: bytes) -> dict[str, Any] | None:
    """``ok``, ``channel`` and ``ts`` of Slack's answer to a message it took — ``{"ok":true,"channel":"C…",
    "ts":"…","message":{…}}`` — read from its first members; ``None`` for any other answer (decoded whole).

    The rest is Slack's echo of the message, blocks and all (5–7 KB of JSON for a digest's part), which
    paperbot never reads: decoding it took 20-30 µs of the ~250 µs of CPU the transport spends per message
    (5,000 sends to the fake Slack in a child process).
    """
    match = _ACCEPTED.match(raw)
    if match is None:
        return None
    return {"ok": True, "channel": match[1].decode(), "ts": match[2].decode()}
