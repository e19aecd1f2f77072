"""An in-process fake of Slack (Web API, response_url and Socket Mode) for tests.

It is a real aiohttp server on 127.0.0.1 with an ephemeral port, so the real ``slack_sdk`` / ``slack_bolt``
clients talk to it over real sockets::

    async with FakeSlack() as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
        await client.chat_postMessage(channel="C1", text="hi")
        assert slack.messages[0].text == "hi"

Wire-format notes (checked against slack-sdk 3.48 / slack-bolt 1.30 sources):

* slack-sdk joins ``base_url`` + method name with ``urljoin``, so ``api_url`` ends with ``/api/``.
* Methods such as ``auth.test``, ``conversations.open`` and ``apps.connections.open`` send their arguments as
  URL *query* parameters on an (empty-bodied) form POST; ``users.info`` is a GET; ``chat.*`` send JSON bodies.
  The fake therefore merges query string and body into ``RecordedRequest.body``.
* The token always travels in ``Authorization: Bearer ...`` (slack-sdk pops ``token`` out of params/json).
* ``AsyncRateLimitErrorRetryHandler`` does ``int(Retry-After) + random.random()`` seconds of sleep, so
  Retry-After must be an integer; a fractional value makes the SDK raise ``ValueError``. ``0`` is accepted
  (sleep < 1 s) and is the fastest setting for tests.
* The Socket Mode client gets its websocket URL from ``apps.connections.open`` on its ``web_client`` (bolt's
  ``AsyncSocketModeHandler`` defaults that to ``app.client``), so pointing the app's client at ``api_url`` is all
  that's needed.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import inspect
import itertools
import json
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import WSCloseCode, WSMsgType, web
from multidict import CIMultiDict

DEFAULT_BOT_TOKEN = "xoxb-test"
DEFAULT_APP_TOKEN = "xapp-test"
DEFAULT_TEAM_ID = "T1"
DEFAULT_TEAM_DOMAIN = "paperbot-test"
DEFAULT_APP_ID = "A0PAPERBOT"
DEFAULT_BOT_ID = "B0PAPERBOT"
DEFAULT_BOT_USER_ID = "U0PAPERBOT"
DEFAULT_VERIFICATION_TOKEN = "fake-verification-token"
DEFAULT_RESPONSE_URL = "https://hooks.slack.com/commands/T1/1/fake"

# Form fields that Slack expects to be JSON-encoded strings when a method is called with a form body.
#: Slack rejects a message whose blocks hold more text than this in all (``msg_blocks_too_long``); not in Slack's
#: reference, confirmed by its maintainers (slackapi/bolt-js#2509, #2867)
MAX_BLOCKS_TEXT = 12_000


def blocks_text(value: Any) -> int:
    """Characters of text in blocks: every ``text`` string, at any depth."""
    if isinstance(value, dict):
        return sum(len(v) if k == "text" and isinstance(v, str) else blocks_text(v) for k, v in value.items())
    if isinstance(value, list):
        return sum(blocks_text(v) for v in value)
    return 0


JSON_FORM_FIELDS = frozenset({"blocks", "attachments", "metadata", "unfurls", "view", "user_auth_blocks"})

KNOWN_METHODS = frozenset(
    {
        "auth.test",
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.update",
        "conversations.open",
        "conversations.history",
        "conversations.replies",
        "apps.connections.open",
        "users.info",
    }
)
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
_CHANNEL_PREFIXES = ("C", "G", "D")
_USER_PREFIXES = ("U", "W")


# --------------------------------------------------------------------------------------------------------------------
# Recorded state
# --------------------------------------------------------------------------------------------------------------------


@dataclass
class RecordedRequest:
    """One HTTP request the fake received (Web API call or response_url POST)."""

    api_method: str  # "chat.postMessage", ..., or "response_url" for response_url posts
    http_method: str  # "POST" / "GET"
    path: str
    query: dict[str, str]
    body: dict[str, Any]  # query params merged with the parsed body (JSON or form, JSON form fields decoded)
    raw_body: bytes
    headers: CIMultiDict[str]
    content_type: str
    token: str | None
    status: int = 200
    #: what the fake answered: a JSON answer's bytes as sent (decoded when ``response`` is first read), else its text
    answer: Any = None
    #: when it arrived (``time.monotonic()``)
    at: float = field(default_factory=time.monotonic)

    @functools.cached_property
    def response(self) -> Any:
        """What the fake answered (a dict for JSON answers): decoded on demand, not for each of a fan-out's calls."""
        return json.loads(self.answer) if isinstance(self.answer, bytes) else self.answer

    @property
    def method(self) -> str:
        return self.api_method

    @property
    def ok(self) -> bool:
        return self.status == 200 and isinstance(self.response, dict) and bool(self.response.get("ok"))


@dataclass
class DeliveredMessage:
    """A message that chat.postMessage accepted (chat.update edits it in place)."""

    channel: str
    ts: str
    text: str | None
    blocks: list[dict[str, Any]] | None
    thread_ts: str | None
    attachments: list[dict[str, Any]] | None = None
    user: str | None = None
    edited: bool = False
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class EphemeralMessage:
    channel: str
    user: str
    message_ts: str
    text: str | None
    blocks: list[dict[str, Any]] | None
    thread_ts: str | None
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class MessageUpdate:
    channel: str
    ts: str
    text: str | None
    blocks: list[dict[str, Any]] | None
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class ResponseUrlPost:
    id: str
    body: Any  # parsed JSON (or the raw text if it wasn't JSON)
    headers: CIMultiDict[str]


# --------------------------------------------------------------------------------------------------------------------
# Payload helpers (module level, usable without a running fake)
# --------------------------------------------------------------------------------------------------------------------


def _trigger_id() -> str:
    return f"{int(time.time())}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex[:32]}"


def slash_command_form(
    text: str,
    user_id: str = "U1",
    channel_id: str = "C1",
    team_id: str = DEFAULT_TEAM_ID,
    command: str = "/papers",
    response_url: str = DEFAULT_RESPONSE_URL,
    *,
    user_name: str | None = None,
    channel_name: str | None = None,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    api_app_id: str = DEFAULT_APP_ID,
    trigger_id: str | None = None,
    token: str = DEFAULT_VERIFICATION_TOKEN,
) -> dict[str, str]:
    """Form fields of a slash command, in the order and with the string values Slack sends.

    Over HTTP this is the urlencoded POST body; over Socket Mode the same dict is the envelope payload.
    """
    if channel_name is None:
        channel_name = "directmessage" if channel_id.startswith("D") else f"channel-{channel_id.lower()}"
    return {
        "token": token,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name or f"user-{user_id.lower()}",
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or _trigger_id(),
    }


def block_actions_payload(
    action_id: str,
    value: str | None = None,
    user_id: str = "U1",
    channel_id: str = "C1",
    response_url: str = DEFAULT_RESPONSE_URL,
    *,
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    api_app_id: str = DEFAULT_APP_ID,
    block_id: str = "actions",
    action_type: str = "button",
    button_text: str = "Button",
    message_ts: str = "1700000000.000100",
    message: dict[str, Any] | None = None,
    trigger_id: str | None = None,
    is_ephemeral: bool = False,
    token: str = DEFAULT_VERIFICATION_TOKEN,
) -> dict[str, Any]:
    """A ``block_actions`` interaction payload (a button click on a message), as Slack sends it.

    For HTTP, Slack sends it as the ``payload`` form field (see :func:`interactive_form`); for Socket Mode it is
    the envelope payload of an ``interactive`` envelope as-is.
    """
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "type": action_type,
        "action_ts": f"{time.time():.6f}",
    }
    if action_type == "button":
        action["text"] = {"type": "plain_text", "text": button_text, "emoji": True}
    if value is not None:
        action["value"] = value
    user_name = f"user-{user_id.lower()}"
    if message is None:
        message = {
            "type": "message",
            "user": DEFAULT_BOT_USER_ID,
            "bot_id": DEFAULT_BOT_ID,
            "app_id": api_app_id,
            "team": team_id,
            "ts": message_ts,
            "text": "",
            "blocks": [],
        }
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": token,
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        },
        "trigger_id": trigger_id or _trigger_id(),
        "team": {"id": team_id, "domain": team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": f"channel-{channel_id.lower()}"},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }
    if not is_ephemeral:
        payload["message"] = message
    return payload


def interactive_form(payload: Mapping[str, Any]) -> dict[str, str]:
    """Form fields of an HTTP interactivity request: Slack JSON-encodes the payload into ``payload=``."""
    return {"payload": json.dumps(payload, separators=(",", ":"))}


def events_api_payload(
    event: Mapping[str, Any],
    *,
    team_id: str = DEFAULT_TEAM_ID,
    api_app_id: str = DEFAULT_APP_ID,
    event_id: str | None = None,
    event_time: int | None = None,
    token: str = DEFAULT_VERIFICATION_TOKEN,
) -> dict[str, Any]:
    """An ``event_callback`` wrapper as Slack sends it (HTTP body / ``events_api`` envelope payload)."""
    return {
        "token": token,
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": event_time or int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": DEFAULT_BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def encode_form(fields: Mapping[str, str]) -> bytes:
    """URL-encode form fields the way Slack does (use these exact bytes for both signing and sending)."""
    return urlencode(list(fields.items())).encode()


def signed_headers(body: bytes | str, signing_secret: str, timestamp: int | str | None = None) -> dict[str, str]:
    """``X-Slack-Request-Timestamp`` / ``X-Slack-Signature`` for ``body``, as slack_sdk's SignatureVerifier checks.

    The signature is ``v0=`` + hex HMAC-SHA256(signing_secret, ``v0:{timestamp}:{body}``).
    """
    ts = str(int(time.time()) if timestamp is None else timestamp)
    if isinstance(body, bytes):
        body = body.decode()
    digest = hmac.new(signing_secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


# --------------------------------------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------------------------------------


def _decode_json_fields(args: dict[str, Any]) -> dict[str, Any]:
    for key in JSON_FORM_FIELDS & args.keys():
        value = args[key]
        if isinstance(value, str) and value[:1] in ("[", "{"):
            try:
                args[key] = json.loads(value)
            except ValueError:
                pass
    return args


def _json(data: dict[str, Any], status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.json_response(data, status=status, headers=headers)


class FakeSlack:
    """A fake Slack server. Use as ``async with FakeSlack() as slack:``."""

    def __init__(
        self,
        *,
        bot_token: str = DEFAULT_BOT_TOKEN,
        app_token: str = DEFAULT_APP_TOKEN,
        team_id: str = DEFAULT_TEAM_ID,
        team: str = "Paperbot Test",
        team_domain: str = DEFAULT_TEAM_DOMAIN,
        app_id: str = DEFAULT_APP_ID,
        bot_id: str = DEFAULT_BOT_ID,
        bot_user_id: str = DEFAULT_BOT_USER_ID,
        per_channel_per_second: float | None = None,
        ts_base: int = 1_700_000_000,
        scopes: str = "chat:write,commands,im:write,users:read",
        default_locale: str = "en-US",
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.team_id = team_id
        self.team = team
        self.team_domain = team_domain
        self.app_id = app_id
        self.bot_id = bot_id
        self.bot_user_id = bot_user_id
        self.per_channel_per_second = per_channel_per_second
        self.scopes = scopes
        self.default_locale = default_locale  # users.info's ``locale`` (with include_locale) unless users[id] sets one

        # Configurable state
        self.users: dict[str, dict[str, Any] | None] = {}
        self.channel_failures: dict[str, str] = {}
        self.response_url_failures: dict[str, tuple[int, str]] = {}

        # Recorded state
        self.requests: list[RecordedRequest] = []
        self.messages: list[DeliveredMessage] = []
        self.ephemerals: list[EphemeralMessage] = []
        self.updates: list[MessageUpdate] = []
        self.responses: list[ResponseUrlPost] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.socket_messages: list[dict[str, Any]] = []
        self.envelopes: list[dict[str, Any]] = []
        self.socket_connections_total = 0

        self._ts_base = ts_base
        self._ts_counter = itertools.count(1)
        self._dm_ids: dict[str, str] = {}
        self._rate_limits: dict[str, list[int]] = {}  # method -> [remaining, retry_after]
        self._server_errors: dict[str, list[int]] = {}  # method -> [remaining, HTTP status]
        self._last_post: dict[str, float] = {}
        self._tickets: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # ---------------------------------------------------------------------------------------------------- lifecycle

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/respond/{id}", self._handle_response_url)
        app.router.add_get("/socket", self._handle_socket)
        app.on_shutdown.append(self._on_shutdown)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self.close_sockets()
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlack:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _on_shutdown(self, _app: web.Application) -> None:
        await self.close_sockets()

    # ---------------------------------------------------------------------------------------------------- URLs

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeSlack is not running; use `async with FakeSlack() as slack:`")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """Pass as ``base_url`` to slack_sdk clients (or as SLACK_API_URL)."""
        return f"{self.base_url}/api/"

    def response_url(self, id: str | None = None) -> str:
        """A response_url served by the fake; POSTs to it land in ``self.responses`` with this id."""
        return f"{self.base_url}/respond/{id or uuid.uuid4().hex}"

    # ---------------------------------------------------------------------------------------------------- config

    def fail_channel(self, channel_id: str, error: str = "channel_not_found") -> None:
        """chat.postMessage / postEphemeral / update to this channel answer ``{"ok": false, "error": error}``."""
        self.channel_failures[channel_id] = error

    def clear_channel_failure(self, channel_id: str) -> None:
        self.channel_failures.pop(channel_id, None)

    def rate_limit_next(self, n: int = 1, retry_after: int = 1, *, method: str = "chat.postMessage") -> None:
        """Answer the next ``n`` calls of ``method`` with HTTP 429 + ``Retry-After: retry_after``.

        ``retry_after`` must be a whole number of seconds: slack-sdk parses it with ``int()``.
        """
        if not isinstance(retry_after, int) or retry_after < 0:
            raise ValueError("retry_after must be a non-negative int (slack-sdk parses Retry-After with int())")
        self._rate_limits[method] = [n, retry_after]

    def server_error_next(self, n: int = 1, status: int = 503, *, method: str = "chat.postMessage") -> None:
        """Answer the next ``n`` calls of ``method`` with HTTP ``status`` and an HTML page, as Slack's load
        balancers do; the call is not carried out."""
        self._server_errors[method] = [n, status]

    def fail_response_url(self, id: str, status: int = 404, body: str = "expired_url") -> None:
        """Make POSTs to ``response_url(id)`` fail (e.g. an expired or over-used response_url)."""
        self.response_url_failures[id] = (status, body)

    def dm_channel(self, user_id: str) -> str:
        """The (stable) DM channel id for ``user_id`` as conversations.open would return it."""
        if user_id not in self._dm_ids:
            self._dm_ids[user_id] = f"D{len(self._dm_ids) + 1:08d}"
        return self._dm_ids[user_id]

    def reset(self) -> None:
        """Forget recorded requests/messages/acks (configuration is kept)."""
        self.requests.clear()
        self.messages.clear()
        self.ephemerals.clear()
        self.updates.clear()
        self.responses.clear()
        self.acks.clear()
        self.socket_messages.clear()
        self.envelopes.clear()

    # ---------------------------------------------------------------------------------------------------- queries

    def calls(self, api_method: str | None = None) -> list[RecordedRequest]:
        """Recorded Web API requests (all of them, including rejected / 429'd ones), optionally for one method."""
        return [r for r in self.requests if api_method is None or r.api_method == api_method]

    def messages_in(self, channel: str) -> list[DeliveredMessage]:
        return [m for m in self.messages if m.channel == channel]

    def user_info(self, user_id: str) -> dict[str, Any] | None:
        """The user object users.info returns (``None`` → user_not_found); set ``users[id] = {"locale": "ko-KR"}``
        for a user whose Slack is in Korean (sent only with ``include_locale``, as Slack does)."""
        if user_id in self.users and self.users[user_id] is None:
            return None
        if not user_id.startswith(_USER_PREFIXES):
            return None
        name = f"user-{user_id.lower()}"
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": False,
            "color": "9f69e7",
            "real_name": f"User {user_id}",
            "tz": "Etc/UTC",
            "tz_label": "Coordinated Universal Time",
            "tz_offset": 0,
            "profile": {"real_name": f"User {user_id}", "display_name": name, "team": self.team_id},
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": user_id == self.bot_user_id,
            "is_app_user": False,
            "updated": self._ts_base,
        }
        override = self.users.get(user_id) or {}
        for key, value in override.items():
            if key == "profile" and isinstance(value, dict):
                user["profile"] = {**user["profile"], **value}
            else:
                user[key] = value
        return user

    # ---------------------------------------------------------------------------------------------------- waiting

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(
        self,
        predicate: Callable[[], Any] | Callable[[], Awaitable[Any]],
        timeout: float = 5,  # noqa: ASYNC109 - part of this helper's API
        *,
        interval: float = 0.02,
    ) -> Any:
        """Wait until ``predicate()`` (sync or async) is truthy and return its value; TimeoutError otherwise.

        Wakes up whenever the fake's recorded state changes, and polls every ``interval`` s for outside state.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed = self._changed
            result = predicate()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"FakeSlack.wait_for timed out after {timeout}s waiting for {predicate!r}")
            try:
                await asyncio.wait_for(changed.wait(), min(remaining, interval))
            except TimeoutError:
                pass

    async def wait_socket_connected(self, timeout: float = 5) -> None:  # noqa: ASYNC109
        await self.wait_for(lambda: bool(self._open_sockets()), timeout)

    async def wait_ack(self, envelope_id: str, timeout: float = 5) -> dict[str, Any]:  # noqa: ASYNC109
        """The ack (``{"envelope_id": ..., "payload"?: ...}``) the client sent for ``envelope_id``."""
        return await self.wait_for(lambda: self.acks.get(envelope_id), timeout)

    async def wait_messages(self, count: int = 1, timeout: float = 5) -> list[DeliveredMessage]:  # noqa: ASYNC109
        await self.wait_for(lambda: len(self.messages) >= count, timeout)
        return list(self.messages)

    async def wait_responses(self, count: int = 1, timeout: float = 5) -> list[ResponseUrlPost]:  # noqa: ASYNC109
        await self.wait_for(lambda: len(self.responses) >= count, timeout)
        return list(self.responses)

    # ---------------------------------------------------------------------------------------- payload helpers

    def slash_command_form(self, text: str, **kwargs: Any) -> dict[str, str]:
        """:func:`slash_command_form` with this fake's team/app ids and a fresh fake response_url."""
        kwargs.setdefault("team_id", self.team_id)
        kwargs.setdefault("team_domain", self.team_domain)
        kwargs.setdefault("api_app_id", self.app_id)
        kwargs.setdefault("response_url", self.response_url())
        return slash_command_form(text, **kwargs)

    def block_actions_payload(self, action_id: str, value: str | None = None, **kwargs: Any) -> dict[str, Any]:
        """:func:`block_actions_payload` with this fake's team/app ids and a fresh fake response_url."""
        kwargs.setdefault("team_id", self.team_id)
        kwargs.setdefault("team_domain", self.team_domain)
        kwargs.setdefault("api_app_id", self.app_id)
        kwargs.setdefault("response_url", self.response_url())
        return block_actions_payload(action_id, value, **kwargs)

    # ---------------------------------------------------------------------------------------------------- socket mode

    def _open_sockets(self) -> list[web.WebSocketResponse]:
        return [ws for ws in self._sockets if not ws.closed]

    @property
    def socket_connected(self) -> bool:
        return bool(self._open_sockets())

    async def send_envelope(
        self,
        type_: str,
        payload: Mapping[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        envelope_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> str:
        """Push a Socket Mode envelope (slash_commands | interactive | events_api) to the newest connection."""
        sockets = self._open_sockets()
        if not sockets:
            raise RuntimeError("no Socket Mode client is connected (await slack.wait_socket_connected() first)")
        envelope_id = envelope_id or str(uuid.uuid4())
        if accepts_response_payload is None:
            accepts_response_payload = type_ == "slash_commands" or (
                type_ == "interactive" and payload.get("type") in ("view_submission", "block_suggestion")
            )
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": dict(payload),
            "type": type_,
            "accepts_response_payload": accepts_response_payload,
        }
        if type_ == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        self.envelopes.append(envelope)
        await sockets[-1].send_json(envelope)
        return envelope_id

    async def send_disconnect(self, reason: str = "refresh_requested") -> None:
        """Send Slack's ``{"type": "disconnect"}`` message (the SDK then reconnects via apps.connections.open)."""
        for ws in self._open_sockets():
            await ws.send_json({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake-1"}})

    async def close_sockets(self) -> None:
        for ws in list(self._sockets):
            if not ws.closed:
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("ticket") not in self._tickets:
            return web.Response(status=401, text="invalid ticket")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        self.socket_connections_total += 1
        try:
            await ws.send_json(
                {
                    "type": "hello",
                    "num_connections": len(self._open_sockets()),
                    "debug_info": {
                        "host": "applink-fake-1",
                        "build_number": 1,
                        "approximate_connection_time": 18060,
                    },
                    "connection_info": {"app_id": self.app_id},
                }
            )
            self._notify()
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(msg.data)
                except ValueError:
                    data = {"_raw": msg.data}
                self.socket_messages.append(data)
                if isinstance(data, dict) and "envelope_id" in data:
                    self.acks[data["envelope_id"]] = data
                self._notify()
        finally:
            if ws in self._sockets:
                self._sockets.remove(ws)
            self._notify()
        return ws

    # ---------------------------------------------------------------------------------------------------- HTTP

    def _next_ts(self) -> str:
        micros = next(self._ts_counter) * 100
        return f"{self._ts_base + micros // 1_000_000}.{micros % 1_000_000:06d}"

    @staticmethod
    async def _parse_body(request: web.Request) -> tuple[bytes, dict[str, Any]]:
        ctype = request.content_type
        if ctype.startswith("multipart/"):
            form = await request.post()
            body: dict[str, Any] = {}
            for key, value in form.items():
                if isinstance(value, str):
                    body[key] = value
                else:  # FileField
                    body[key] = {"filename": value.filename, "content": value.file.read()}
            return b"", _decode_json_fields(body)
        raw = await request.read()
        if not raw:
            return raw, {}
        if ctype == "application/json":
            try:
                parsed = json.loads(raw)
            except ValueError:
                return raw, {}
            return raw, _decode_json_fields(parsed) if isinstance(parsed, dict) else {"_json": parsed}
        return raw, _decode_json_fields(dict(parse_qsl(raw.decode(), keep_blank_values=True)))

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        api_method = request.match_info["method"]
        raw, body = await self._parse_body(request)
        args = {**request.query, **body}
        token: str | None = None
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        elif isinstance(args.get("token"), str):
            token = args["token"]
        record = RecordedRequest(
            api_method=api_method,
            http_method=request.method,
            path=request.path,
            query=dict(request.query),
            body=args,
            raw_body=raw,
            headers=CIMultiDict(request.headers),
            content_type=request.content_type,
            token=token,
        )
        self.requests.append(record)
        try:
            response = self._dispatch(api_method, args, token)
        except Exception as exc:  # pragma: no cover - a bug in the fake; make it loud on the client side
            response = _json({"ok": False, "error": "fatal_error", "detail": repr(exc)}, status=500)
        record.status = response.status
        json_answer = isinstance(response.body, bytes) and response.content_type == "application/json"
        record.answer = response.body if json_answer else None
        self._notify()
        return response

    def _dispatch(self, api_method: str, args: dict[str, Any], token: str | None) -> web.Response:
        if api_method not in KNOWN_METHODS:
            return _json({"ok": False, "error": "unknown_method", "req_method": api_method})
        if token not in (self.bot_token, self.app_token):
            return _json({"ok": False, "error": "invalid_auth"})
        if (token == self.app_token) != (api_method in APP_TOKEN_METHODS):
            return _json({"ok": False, "error": "not_allowed_token_type"})

        failure = self._server_errors.get(api_method)
        if failure and failure[0] > 0:
            failure[0] -= 1
            return web.Response(status=failure[1], text="<html><body>Service Unavailable</body></html>",
                                content_type="text/html")

        limit = self._rate_limits.get(api_method)
        if limit and limit[0] > 0:
            limit[0] -= 1
            return self._ratelimited(limit[1])

        handler = getattr(self, "_api_" + api_method.replace(".", "_"))
        result = handler(args)
        if isinstance(result, web.Response):
            return result
        # bolt's single-team authorization reads the granted bot scopes from this header of auth.test
        headers = {"x-oauth-scopes": self.scopes} if token == self.bot_token else None
        return _json(result, headers=headers)

    @staticmethod
    def _ratelimited(retry_after: int) -> web.Response:
        return _json({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(retry_after)})

    def _resolve_channel(self, channel: Any) -> str | None:
        if not isinstance(channel, str) or not channel:
            return None
        if channel.startswith(_USER_PREFIXES):  # posting to a user id goes to the DM with the bot
            return self.dm_channel(channel)
        return channel

    def _message_object(self, ts: str, args: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "user": self.bot_user_id,
            "type": "message",
            "ts": ts,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "text": args.get("text") or "",
            "team": self.team_id,
            "bot_profile": {"id": self.bot_id, "app_id": self.app_id, "name": "paperbot", "team_id": self.team_id},
        }
        if args.get("blocks") is not None:
            message["blocks"] = args["blocks"]
        if args.get("attachments") is not None:
            message["attachments"] = args["attachments"]
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
            message["parent_user_id"] = self.bot_user_id
        if args.get("metadata") is not None:
            message["metadata"] = args["metadata"]
        return message

    def _history(self, args: dict[str, Any], found: list[DeliveredMessage]) -> dict[str, Any]:
        """Messages newest first, as Slack lists them; metadata only with ``include_all_metadata``."""
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        limit = int(args.get("limit") or 100)
        out = []
        for m in sorted(found, key=lambda m: float(m.ts), reverse=True)[:limit]:
            obj = self._message_object(m.ts, m.args)
            if not with_metadata:
                obj.pop("metadata", None)
            out.append(obj)
        return {"ok": True, "messages": out, "has_more": False}

    @staticmethod
    def _content_error(args: dict[str, Any]) -> str | None:
        for key in ("blocks", "attachments"):
            if key in args and args[key] is not None and not isinstance(args[key], list):
                return f"invalid_{key}"
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            return "no_text"
        if isinstance(args.get("blocks"), list) and blocks_text(args["blocks"]) > MAX_BLOCKS_TEXT:
            return "msg_blocks_too_long"
        return None

    # --- Web API methods ---------------------------------------------------------------------------------------------

    def _api_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team,
            "user": "paperbot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _api_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any] | web.Response:
        channel = self._resolve_channel(args.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.channel_failures:
            return {"ok": False, "error": self.channel_failures[channel]}
        if error := self._content_error(args):
            return {"ok": False, "error": error}
        if self.per_channel_per_second:
            now = time.monotonic()
            last = self._last_post.get(channel)
            min_gap = 1.0 / self.per_channel_per_second
            if last is not None and now - last < min_gap:
                return self._ratelimited(max(1, math.ceil(min_gap - (now - last))))
            self._last_post[channel] = now
        ts = self._next_ts()
        self.messages.append(
            DeliveredMessage(
                channel=channel,
                ts=ts,
                text=args.get("text"),
                blocks=args.get("blocks"),
                thread_ts=args.get("thread_ts") or None,
                attachments=args.get("attachments"),
                user=self.bot_user_id,
                args=args,
            )
        )
        return {"ok": True, "channel": channel, "ts": ts, "message": self._message_object(ts, args)}

    def _api_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(args.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.channel_failures:
            return {"ok": False, "error": self.channel_failures[channel]}
        user = args.get("user")
        if not isinstance(user, str) or not user.startswith(_USER_PREFIXES):
            return {"ok": False, "error": "user_not_in_channel"}
        if error := self._content_error(args):
            return {"ok": False, "error": error}
        ts = self._next_ts()
        self.ephemerals.append(
            EphemeralMessage(
                channel=channel,
                user=user,
                message_ts=ts,
                text=args.get("text"),
                blocks=args.get("blocks"),
                thread_ts=args.get("thread_ts") or None,
                args=args,
            )
        )
        return {"ok": True, "message_ts": ts}

    def _api_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(args.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.channel_failures:
            return {"ok": False, "error": self.channel_failures[channel]}
        ts = args.get("ts")
        target = next((m for m in self.messages if m.channel == channel and m.ts == ts), None)
        if target is None:
            return {"ok": False, "error": "message_not_found"}
        if isinstance(args.get("blocks"), list) and blocks_text(args["blocks"]) > MAX_BLOCKS_TEXT:
            return {"ok": False, "error": "msg_blocks_too_long"}
        if "text" in args:
            target.text = args["text"]
        if "blocks" in args:
            target.blocks = args["blocks"]
        if "attachments" in args:
            target.attachments = args["attachments"]
        target.edited = True
        self.updates.append(
            MessageUpdate(channel=channel, ts=ts, text=args.get("text"), blocks=args.get("blocks"), args=args)
        )
        message = self._message_object(ts, {"text": target.text, "blocks": target.blocks})
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {"ok": True, "channel": channel, "ts": ts, "text": target.text or "", "message": message}

    def _api_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            return {"ok": True, "channel": {"id": args["channel"]}, "no_op": True, "already_open": True}
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        if any(not u.startswith(_USER_PREFIXES) or self.user_info(u) is None for u in users):
            return {"ok": False, "error": "user_not_found"}
        key = ",".join(sorted(users))
        already = key in self._dm_ids
        if len(users) == 1:
            channel_id = self.dm_channel(key)
        else:  # multi-person DM
            channel_id = self._dm_ids.setdefault(key, f"G{len(self._dm_ids) + 1:08d}")
        result: dict[str, Any] = {"ok": True, "channel": {"id": channel_id}}
        if already:
            result.update(no_op=True, already_open=True)
        return result

    def _api_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(args.get("channel"))
        if channel is None or channel in self.channel_failures:
            return {"ok": False, "error": self.channel_failures.get(channel or "", "channel_not_found")}
        found = [m for m in self.messages if m.channel == channel and m.thread_ts in (None, m.ts)]
        return self._history(args, found)

    def _api_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(args.get("channel"))
        ts = args.get("ts")
        parent = [m for m in self.messages if m.channel == channel and m.ts == ts]
        if not parent:
            return {"ok": False, "error": "thread_not_found"}
        replies = [m for m in self.messages if m.channel == channel and m.thread_ts == ts]
        return self._history(args, parent + replies)

    def _api_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        if "users:read" not in self.scopes.split(","):
            return {"ok": False, "error": "missing_scope", "needed": "users:read", "provided": self.scopes}
        user = self.user_info(str(args.get("user") or ""))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        if str(args.get("include_locale") or "").lower() in ("1", "true"):
            user["locale"] = user.get("locale") or self.default_locale  # Slack says it only when asked
        else:
            user.pop("locale", None)
        return {"ok": True, "user": user}

    def _api_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        ticket = str(uuid.uuid4())
        self._tickets.add(ticket)
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket?ticket={ticket}&app_id={self.app_id}"}

    # --- response_url ------------------------------------------------------------------------------------------------

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        response_id = request.match_info["id"]
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        headers = CIMultiDict(request.headers)
        status, text = self.response_url_failures.get(response_id, (200, "ok"))
        self.requests.append(
            RecordedRequest(
                api_method="response_url",
                http_method=request.method,
                path=request.path,
                query=dict(request.query),
                body=body if isinstance(body, dict) else {"_body": body},
                raw_body=raw,
                headers=headers,
                content_type=request.content_type,
                token=None,
                status=status,
                answer=text,
            )
        )
        if status == 200:
            self.responses.append(ResponseUrlPost(id=response_id, body=body, headers=headers))
        self._notify()
        return web.Response(status=status, text=text, content_type="text/html")
