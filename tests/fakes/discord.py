"""A fake Discord (REST API v10 + gateway) for tests, served by aiohttp on 127.0.0.1.

Usage::

    async with FakeDiscord() as fake, fake.patch_discord():
        client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)
        async with fake.running(client):
            await fake.invoke(fake.slash_command("papers", subcommand="search", options={"query": "추론"}))
            ...

Wire details follow the installed discord.py 2.7 (``.venv/.../site-packages/discord``) and Discord's docs:

* JSON responses carry ``Content-Type: application/json`` exactly (discord.py compares the header literally and
  falls back to ``str`` for ``application/json; charset=utf-8``).
* 429 answers carry ``Via: 1.1 google`` (without ``Via`` discord.py assumes a Cloudflare ban and raises at once), a
  JSON body ``{"message", "retry_after", "global"}``, ``Retry-After`` and ``X-RateLimit-*`` headers.
* Gateway frames are plain JSON text frames. discord.py always asks for ``compress=zlib-stream`` (or
  ``zstd-stream`` if ``zstandard`` is importable) in the URL but only decompresses *binary* frames, so text frames are
  accepted as they are. ``FakeDiscord(zlib_stream=True)`` honours ``compress=zlib-stream`` like Discord does.
* Interaction callbacks are posted with ``?with_response=1``; the fake answers ``200`` with an
  ``InteractionCallbackResponse`` (``{"interaction": {...}, "resource": {...}}``) then, ``204`` otherwise.

Only what paperbot needs is modelled; unknown routes answer Discord's ``404: Not Found`` and are still recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import math
import re
import secrets
import time
import zlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import yarl
from aiohttp import WSMsgType, web

__all__ = [
    "ALL_PERMISSIONS",
    "DEFAULT_BOT_PERMISSIONS",
    "DEFAULT_EVERYONE_PERMISSIONS",
    "INTENT_DIRECT_MESSAGES",
    "INTENT_GUILDS",
    "INTENT_GUILD_MEMBERS",
    "INTENT_GUILD_MESSAGES",
    "INTENT_GUILD_PRESENCES",
    "INTENT_MESSAGE_CONTENT",
    "CreatedMessage",
    "DiscordPatch",
    "FakeDiscord",
    "GatewayConnection",
    "GatewaySession",
    "InteractionRecord",
    "P",
    "RecordedRequest",
]

API_PREFIX = "/api/v10"
# aiohttp >= 3.13 prefers typed request keys (and warns about str keys); older versions only have str keys.
_RECORD_KEY: Any = web.RequestKey("fake_record", object) if hasattr(web, "RequestKey") else "fake_record"
DISCORD_EPOCH_MS = 1420070400000


class P:
    """Permission bits (https://discord.com/developers/docs/topics/permissions)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    MANAGE_ROLES = 1 << 28
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    SEND_MESSAGES_IN_THREADS = 1 << 38
    MODERATE_MEMBERS = 1 << 40


ALL_PERMISSIONS = (1 << 53) - 1
DEFAULT_EVERYONE_PERMISSIONS = (
    P.CREATE_INSTANT_INVITE
    | P.ADD_REACTIONS
    | P.VIEW_CHANNEL
    | P.SEND_MESSAGES
    | P.EMBED_LINKS
    | P.ATTACH_FILES
    | P.READ_MESSAGE_HISTORY
    | P.MENTION_EVERYONE
    | P.USE_EXTERNAL_EMOJIS
    | P.USE_APPLICATION_COMMANDS
    | P.CREATE_PUBLIC_THREADS
    | P.CREATE_PRIVATE_THREADS
    | P.SEND_MESSAGES_IN_THREADS
)
DEFAULT_BOT_PERMISSIONS = (
    P.VIEW_CHANNEL
    | P.SEND_MESSAGES
    | P.EMBED_LINKS
    | P.ATTACH_FILES
    | P.READ_MESSAGE_HISTORY
    | P.ADD_REACTIONS
    | P.USE_APPLICATION_COMMANDS
    | P.CREATE_PUBLIC_THREADS
    | P.SEND_MESSAGES_IN_THREADS
    | P.MANAGE_THREADS
)
MODERATOR_PERMISSIONS = P.MANAGE_GUILD | P.MANAGE_MESSAGES | P.MANAGE_THREADS | P.MODERATE_MEMBERS | P.KICK_MEMBERS

INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT

# Channel types
GUILD_TEXT, DM, GUILD_VOICE, GUILD_CATEGORY, GUILD_ANNOUNCEMENT = 0, 1, 2, 4, 5
ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD, GUILD_FORUM = 10, 11, 12, 15
THREAD_TYPES = (ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD)

# Interaction types and callback types
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
ALLOWED_CALLBACKS = {
    PING: {1},
    APPLICATION_COMMAND: {4, 5, 9, 12},
    MESSAGE_COMPONENT: {4, 5, 6, 7, 9, 12},
    AUTOCOMPLETE: {8},
    MODAL_SUBMIT: {4, 5, 6, 7},
}
EPHEMERAL = 1 << 6
LOADING = 1 << 7

# Application command option types
SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = (
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
)

_COMMAND_NAME_RE = re.compile(r"^[-_\w]{1,32}$")


def _now_iso(delta: float = 0.0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=delta)).isoformat()


def _perm_int(value: int | str | None) -> int:
    return 0 if value is None else int(value)


def _form_error(path: list[str], code: str, message: str) -> dict[str, Any]:
    """Build Discord's nested ``errors`` object for a 50035 Invalid Form Body answer."""
    node: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(path):
        node = {key: node}
    return node


def _merge_errors(target: dict[str, Any], other: dict[str, Any]) -> None:
    for key, value in other.items():
        if key == "_errors":
            target.setdefault("_errors", []).extend(value)
        elif isinstance(target.get(key), dict):
            _merge_errors(target[key], value)
        else:
            target[key] = value


def _pattern_to_regex(pattern: str) -> re.Pattern[str]:
    """``/channels/{channel_id}/messages`` or ``/channels/*/messages`` (``**`` spans slashes) -> regex."""
    if pattern.startswith(API_PREFIX):
        pattern = pattern[len(API_PREFIX) :]
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "{":
            end = pattern.index("}", i)
            out.append("[^/]+")
            i = end + 1
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("^" + "".join(out) + "$")


class _Snowflakes:
    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def __call__(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (1 << 17) | (next(self._counter) & 0xFFF)


class _ItemAccess:
    """Lets dataclass records be read like dicts too (``rec["content"]`` == ``rec.content``)."""

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)


@dataclass
class RecordedRequest(_ItemAccess):
    """One REST request as the fake saw it. ``path`` is relative to ``api_base`` (``/channels/1/messages``)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    files: list[dict[str, Any]]
    time: float
    status: int | None = None
    response: Any = None
    response_headers: dict[str, str] = field(default_factory=dict)
    route: str | None = None


@dataclass
class CreatedMessage(_ItemAccess):
    """A message successfully created through ``POST /channels/{id}/messages`` (or a forum thread starter)."""

    id: int
    channel_id: int
    content: str
    embeds: list[dict[str, Any]]
    allowed_mentions: dict[str, Any] | None
    nonce: str | int | None
    enforce_nonce: bool
    message_reference: dict[str, Any] | None
    components: list[dict[str, Any]]
    flags: int
    attachments: list[dict[str, Any]]
    pings: dict[str, Any]
    payload: dict[str, Any]
    request: dict[str, Any]


@dataclass
class InteractionRecord:
    """Server-side state of an interaction handed to the bot with :meth:`FakeDiscord.invoke`."""

    id: int
    token: str
    type: int
    payload: dict[str, Any]
    created: float
    callback: dict[str, Any] | None = None
    callback_files: list[dict[str, Any]] = field(default_factory=list)
    callback_query: dict[str, str] = field(default_factory=dict)
    original: dict[str, Any] | None = None
    loading: bool = False
    followups: list[dict[str, Any]] = field(default_factory=list)
    deleted_original: bool = False
    event: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class GatewaySession:
    id: str
    intents: int
    identify: dict[str, Any]
    shard: list[int] | None
    seq: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    conn: GatewayConnection | None = None
    resumes: int = 0
    presence_updates: list[dict[str, Any]] = field(default_factory=list)


class GatewayConnection:
    """One websocket connection to the fake gateway."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, *, zlib_stream: bool) -> None:
        self.ws = ws
        self.path = request.path
        self.query = dict(request.query)
        self.session: GatewaySession | None = None
        self.received: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.compressed = zlib_stream and self.query.get("compress") == "zlib-stream"
        self._compressor = zlib.compressobj() if self.compressed else None
        self._lock = asyncio.Lock()

    @property
    def closed(self) -> bool:
        return self.ws.closed

    async def send(self, payload: dict[str, Any]) -> None:
        text = json.dumps(payload, ensure_ascii=False)
        async with self._lock:
            if self.ws.closed:
                return
            self.sent.append(payload)
            if self._compressor is not None:
                data = self._compressor.compress(text.encode()) + self._compressor.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)
            else:
                await self.ws.send_str(text)

    async def close(self, code: int, message: str = "") -> None:
        await self.ws.close(code=code, message=message.encode())


class DiscordPatch:
    """Points discord.py at a :class:`FakeDiscord` (``Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY``).

    Usable as ``with`` or ``async with``; the originals are restored on exit. ``discord.webhook`` (interaction
    callbacks, followups) uses the same ``discord.http.Route`` class so one patch covers both.
    """

    def __init__(self, fake: FakeDiscord) -> None:
        self._fake = fake
        self._saved: tuple[Any, Any] | None = None

    def __enter__(self) -> FakeDiscord:
        import discord.gateway
        import discord.http

        self._saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        discord.http.Route.BASE = self._fake.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self._fake.gateway_url)
        return self._fake

    def __exit__(self, *exc: object) -> None:
        import discord.gateway
        import discord.http

        assert self._saved is not None
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._saved
        self._saved = None

    async def __aenter__(self) -> FakeDiscord:
        return self.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        self.__exit__(*exc)


class _Guild:
    def __init__(self, guild_id: int, name: str, owner_id: int, locale: str) -> None:
        self.id = guild_id
        self.name = name
        self.owner_id = owner_id
        self.locale = locale
        self.roles: dict[int, dict[str, Any]] = {}
        self.members: dict[int, dict[str, Any]] = {}
        self.channel_ids: list[int] = []
        self.joined_at = _now_iso(-86400)


class FakeDiscord:
    """Fake Discord API v10 + gateway. See the module docstring; every public method has a docstring."""

    def __init__(
        self,
        *,
        token: str = "test-token",
        global_rate_per_second: float | None = None,
        bucket_limit: int = 50,
        bucket_window: float = 1.0,
        heartbeat_interval: int = 41250,
        zlib_stream: bool = False,
        privileged_intents: int = PRIVILEGED_INTENTS,
        enforce_permissions: bool = True,
        callback_deadline: float = 3.0,
        echo_events: bool = True,
        application_flags: int = 0,
        bot_user_id: int = 1200000000000000001,
        application_id: int | None = None,
        guild_id: int = 1200000000000000100,
        guild_name: str = "Paper Lab",
        guild_locale: str = "ko",
    ) -> None:
        self.token = token
        self.global_rate_per_second = global_rate_per_second
        self.bucket_limit = bucket_limit
        self.bucket_window = bucket_window
        self.heartbeat_interval = heartbeat_interval
        self.zlib_stream = zlib_stream
        self.privileged_intents = privileged_intents
        self.enforce_permissions = enforce_permissions
        self.callback_deadline = callback_deadline
        self.echo_events = echo_events
        self.application_flags = application_flags
        self.nonce_window = 300.0

        self.snowflake = _Snowflakes()
        self.port: int | None = None
        self._runner: web.AppRunner | None = None

        # Records
        self.requests: list[RecordedRequest] = []
        self.messages: list[CreatedMessage] = []
        self.interaction_messages: list[dict[str, Any]] = []
        self.callbacks: dict[int, dict[str, Any]] = {}
        self.interactions: dict[int, InteractionRecord] = {}
        self.sessions: list[GatewaySession] = []
        self.connections: list[GatewayConnection] = []
        self.reactions: list[dict[str, Any]] = []

        # State
        self.users: dict[int, dict[str, Any]] = {}
        self.guilds: dict[int, _Guild] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self.channel_messages: dict[int, dict[int, dict[str, Any]]] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.blocked_dm_users: set[int] = set()
        self._deleted_message_ids: set[int] = set()
        self._nonces: dict[tuple[int, str], tuple[int, float]] = {}
        self._thread_for_message: dict[int, int] = {}
        self._message_pings: dict[int, dict[str, Any]] = {}
        self._channel_failures: dict[int, tuple[int, int | None]] = {}
        self._route_failures: list[dict[str, Any]] = []
        self._one_shot_limits: list[dict[str, Any]] = []
        self._buckets: dict[str, tuple[float, int]] = {}
        self._global_window: deque[float] = deque()
        self._changed: asyncio.Condition | None = None
        self._ready_event: asyncio.Event | None = None
        self._resumed_event: asyncio.Event | None = None

        # Default world: bot, owner, two members, a guild with roles and channels
        self.bot_user_id = bot_user_id
        self.application_id = application_id or bot_user_id
        self.add_user("paperbot", user_id=bot_user_id, bot=True, global_name=None)
        self.owner_id = self.add_user("owner", user_id=1200000000000000201, global_name="Guild Owner")
        self.user_id = self.add_user("alice", user_id=1200000000000000202, global_name="Alice")
        self.moderator_id = self.add_user("mod", user_id=1200000000000000203, global_name="Moderator")

        self.guild_id = guild_id
        self.add_guild(guild_name, guild_id=guild_id, owner_id=self.owner_id, locale=guild_locale)
        self.moderator_role_id = self.add_role("Moderator", MODERATOR_PERMISSIONS, role_id=guild_id + 10, hoist=True)
        self.bot_role_id = self.add_role(
            "paperbot", DEFAULT_BOT_PERMISSIONS, role_id=guild_id + 11, managed=True, tags={"bot_id": str(bot_user_id)}
        )
        self.add_member(self.owner_id)
        self.add_member(self.user_id)
        self.add_member(self.moderator_id, roles=[self.moderator_role_id])
        self.add_member(self.bot_user_id, roles=[self.bot_role_id])
        self.category_id = self.add_channel("Papers", type=GUILD_CATEGORY, channel_id=guild_id + 4)
        self.channel_id = self.add_channel(
            "general", channel_id=guild_id + 1, parent_id=self.category_id, topic="General chat"
        )
        self.papers_channel_id = self.add_channel(
            "papers", channel_id=guild_id + 2, parent_id=self.category_id, topic="Daily AI paper digests"
        )
        self.mod_channel_id = self.add_channel(
            "mod-only",
            channel_id=guild_id + 3,
            permission_overwrites=[
                self.overwrite(guild_id, deny=P.VIEW_CHANNEL),
                self.overwrite(self.moderator_role_id, allow=P.VIEW_CHANNEL | P.SEND_MESSAGES),
                self.overwrite(self.bot_role_id, allow=P.VIEW_CHANNEL | P.SEND_MESSAGES | P.EMBED_LINKS),
            ],
        )
        self.application: dict[str, Any] = {
            "id": str(self.application_id),
            "name": "paperbot",
            "icon": None,
            "description": "Daily AI-paper digests",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": hashlib.sha256(str(self.application_id).encode()).hexdigest(),
            "flags": application_flags,
            "team": None,
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "approximate_guild_count": 1,
            "integration_types_config": {"0": {}, "1": {}},
        }

    # ------------------------------------------------------------------ lifecycle

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway-resume"

    async def start(self) -> FakeDiscord:
        """Start the server on an ephemeral 127.0.0.1 port (``async with FakeDiscord()`` calls this)."""
        self._changed = asyncio.Condition()
        self._ready_event = asyncio.Event()
        self._resumed_event = asyncio.Event()
        for record in self.interactions.values():
            record.event = asyncio.Event()
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        self._add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        """Close gateway connections (code 1001) and stop the server. Close your discord.py clients first."""
        for conn in list(self.connections):
            if not conn.closed:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.close(1001, "Fake Discord shutting down"), 1.0)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def patch_discord(self) -> DiscordPatch:
        """``with``/``async with`` context pointing discord.py's REST base and gateway at this fake."""
        return DiscordPatch(self)

    @contextlib.asynccontextmanager
    async def running(self, client: Any, *, timeout: float = 5.0) -> AsyncIterator[Any]:  # noqa: ASYNC109
        """Log ``client`` in with :attr:`token`, connect it, wait for ``on_ready``; close it on exit.

        ``on_ready`` comes ``guild_ready_timeout`` (discord.py default 2 s) after the last GUILD_CREATE, so build
        test clients with e.g. ``guild_ready_timeout=0.05``.
        """
        logged_in = asyncio.Event()

        async def run() -> None:
            await client.login(self.token)
            logged_in.set()
            await client.connect(reconnect=True)

        async def ready() -> None:
            await logged_in.wait()
            await client.wait_until_ready()

        task = asyncio.create_task(run(), name="fake-discord-client")
        waiter = asyncio.create_task(ready())
        try:
            done, _ = await asyncio.wait({task, waiter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if waiter not in done:
                waiter.cancel()
                if task in done:
                    task.result()
                    raise RuntimeError("discord.py client stopped before becoming ready")
                raise TimeoutError(f"discord.py client not ready within {timeout}s")
            yield client
        finally:
            waiter.cancel()
            await client.close()
            try:
                await asyncio.wait_for(task, timeout)
            except (asyncio.CancelledError, TimeoutError):
                task.cancel()

    # ------------------------------------------------------------------ world building

    def add_user(
        self, username: str, *, user_id: int | None = None, bot: bool = False, global_name: str | None = None
    ) -> int:
        """Add a user object; returns its id."""
        uid = user_id or self.snowflake()
        user = {
            "id": str(uid),
            "username": username,
            "discriminator": "0",
            "global_name": global_name,
            "avatar": None,
            "avatar_decoration_data": None,
            "banner": None,
            "accent_color": None,
            "public_flags": 0,
            "flags": 0,
            "collectibles": None,
            "primary_guild": None,
        }
        if bot:
            user["bot"] = True
        self.users[uid] = user
        return uid

    def add_guild(
        self, name: str, *, guild_id: int | None = None, owner_id: int | None = None, locale: str = "ko"
    ) -> int:
        """Add a guild the bot is in (with an @everyone role whose id is the guild id); returns its id."""
        gid = guild_id or self.snowflake()
        guild = _Guild(gid, name, owner_id or self.owner_id, locale)
        self.guilds[gid] = guild
        guild.roles[gid] = self._role_payload(gid, "@everyone", DEFAULT_EVERYONE_PERMISSIONS, position=0)
        return gid

    def _role_payload(self, role_id: int, name: str, permissions: int, **extra: Any) -> dict[str, Any]:
        role = {
            "id": str(role_id),
            "name": name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": 0,
            "permissions": str(permissions),
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        role.update(extra)
        return role

    def add_role(
        self,
        name: str,
        permissions: int | str = 0,
        *,
        guild_id: int | None = None,
        role_id: int | None = None,
        **extra: Any,
    ) -> int:
        """Add a role (``extra`` goes into the role object, e.g. ``managed=True``); returns its id."""
        guild = self.guilds[guild_id or self.guild_id]
        rid = role_id or self.snowflake()
        guild.roles[rid] = self._role_payload(rid, name, _perm_int(permissions), position=len(guild.roles), **extra)
        return rid

    def add_member(
        self, user: int | str, *, roles: Iterable[int] = (), nick: str | None = None, guild_id: int | None = None
    ) -> int:
        """Add a guild member for a user id (or a new user named ``user``); returns the user id."""
        uid = user if isinstance(user, int) else self.add_user(user)
        guild = self.guilds[guild_id or self.guild_id]
        guild.members[uid] = {
            "roles": [str(r) for r in roles],
            "nick": nick,
            "avatar": None,
            "banner": None,
            "joined_at": _now_iso(-3600),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
            "unusual_dm_activity_until": None,
        }
        return uid

    def add_channel(
        self,
        name: str,
        *,
        type: int = GUILD_TEXT,
        guild_id: int | None = None,
        channel_id: int | None = None,
        parent_id: int | None = None,
        permission_overwrites: Iterable[Mapping[str, Any]] = (),
        topic: str | None = None,
    ) -> int:
        """Add a guild channel (text by default); returns its id."""
        guild = self.guilds[guild_id or self.guild_id]
        cid = channel_id or self.snowflake()
        channel: dict[str, Any] = {
            "id": str(cid),
            "type": type,
            "guild_id": str(guild.id),
            "name": name,
            "position": len(guild.channel_ids),
            "permission_overwrites": [dict(o) for o in permission_overwrites],
            "parent_id": str(parent_id) if parent_id else None,
            "flags": 0,
        }
        if type != GUILD_CATEGORY:
            channel.update(
                topic=topic,
                nsfw=False,
                last_message_id=None,
                rate_limit_per_user=0,
                default_auto_archive_duration=1440,
                default_thread_rate_limit_per_user=0,
            )
        if type == GUILD_VOICE:
            channel.update(bitrate=64000, user_limit=0, rtc_region=None)
        self.channels[cid] = channel
        guild.channel_ids.append(cid)
        return cid

    @staticmethod
    def overwrite(target_id: int, *, allow: int | str = 0, deny: int | str = 0, member: bool = False) -> dict[str, Any]:
        """A permission overwrite object (role overwrite unless ``member=True``)."""
        return {
            "id": str(target_id),
            "type": 1 if member else 0,
            "allow": str(_perm_int(allow)),
            "deny": str(_perm_int(deny)),
        }

    def dm_channel(self, user_id: int) -> int:
        """Return (creating if needed) the id of the DM channel between the bot and ``user_id``."""
        for cid, channel in self.channels.items():
            if channel["type"] == DM and channel["recipients"][0]["id"] == str(user_id):
                return cid
        cid = self.snowflake()
        self.channels[cid] = {
            "id": str(cid),
            "type": DM,
            "last_message_id": None,
            "flags": 0,
            "recipients": [self.users[user_id]],
        }
        return cid

    def block_dms(self, user_id: int) -> None:
        """Make DMs to ``user_id`` fail like Discord does (403, code 50007 Cannot send messages to this user)."""
        self.blocked_dm_users.add(user_id)

    def _guild_of_channel(self, channel: Mapping[str, Any]) -> _Guild | None:
        gid = channel.get("guild_id")
        return self.guilds.get(int(gid)) if gid else None

    def permissions_for(self, user_id: int, channel_id: int | None = None, *, guild_id: int | None = None) -> int:
        """Permissions of a member, computed like Discord (roles, owner, ADMINISTRATOR, channel overwrites)."""
        channel = self.channels.get(channel_id) if channel_id else None
        if channel is not None and channel["type"] in THREAD_TYPES:
            channel = self.channels.get(int(channel["parent_id"]))
        guild = self._guild_of_channel(channel) if channel else self.guilds.get(guild_id or self.guild_id)
        if guild is None:
            return 0
        member = guild.members.get(user_id)
        if member is None:
            return 0
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        role_ids = [guild.id, *(int(r) for r in member["roles"])]
        base = 0
        for rid in role_ids:
            role = guild.roles.get(rid)
            if role:
                base |= int(role["permissions"])
        if base & P.ADMINISTRATOR:
            return ALL_PERMISSIONS
        if channel is None or channel["type"] == DM:
            return base
        overwrites = {int(o["id"]): o for o in channel.get("permission_overwrites", [])}
        perms = base
        everyone = overwrites.get(guild.id)
        if everyone:
            perms = (perms & ~int(everyone["deny"])) | int(everyone["allow"])
        allow = deny = 0
        for rid in role_ids[1:]:
            ow = overwrites.get(rid)
            if ow and ow["type"] == 0:
                allow |= int(ow["allow"])
                deny |= int(ow["deny"])
        perms = (perms & ~deny) | allow
        ow = overwrites.get(user_id)
        if ow and ow["type"] == 1:
            perms = (perms & ~int(ow["deny"])) | int(ow["allow"])
        if not perms & P.VIEW_CHANNEL:
            return 0
        return perms

    # ------------------------------------------------------------------ payload builders

    def user_payload(self, user_id: int) -> dict[str, Any]:
        if user_id not in self.users:
            self.add_user(f"user{user_id}", user_id=user_id)
        return dict(self.users[user_id])

    def member_payload(
        self, user_id: int, *, guild_id: int | None = None, with_user: bool = True, channel_id: int | None = None
    ) -> dict[str, Any]:
        guild = self.guilds[guild_id or self.guild_id]
        if user_id not in guild.members:
            self.add_member(user_id, guild_id=guild.id)
        member = dict(guild.members[user_id])
        if with_user:
            member["user"] = self.user_payload(user_id)
        if channel_id is not None:
            member["permissions"] = str(self.permissions_for(user_id, channel_id))
        return member

    def channel_payload(self, channel_id: int) -> dict[str, Any]:
        return json.loads(json.dumps(self.channels[channel_id]))

    def guild_payload(self, guild_id: int | None = None, *, intents: int = -1) -> dict[str, Any]:
        """A GUILD_CREATE payload (members limited by intents like Discord: all members only with presences)."""
        guild = self.guilds[guild_id or self.guild_id]
        channels, threads = [], []
        for cid in guild.channel_ids:
            payload = self.channel_payload(cid)
            payload.pop("guild_id", None)
            (threads if payload["type"] in THREAD_TYPES else channels).append(payload)
        if intents & INTENT_GUILD_PRESENCES:
            member_ids = list(guild.members)
        else:
            member_ids = [uid for uid in guild.members if uid == self.bot_user_id]
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "icon_hash": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(guild.owner_id),
            "application_id": None,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": guild.locale,
            "features": [],
            "emojis": [],
            "stickers": [],
            "roles": list(guild.roles.values()),
            "system_channel_id": next(
                (str(c) for c in guild.channel_ids if self.channels[c]["type"] == GUILD_TEXT), None
            ),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "vanity_url_code": None,
            "incidents_data": None,
            "joined_at": guild.joined_at,
            "large": False,
            "lazy": True,
            "unavailable": False,
            "member_count": len(guild.members),
            "members": [self.member_payload(uid, guild_id=guild.id) for uid in member_ids],
            "channels": channels,
            "threads": threads,
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "embedded_activities": [],
            "activity_instances": [],
            "version": int(time.time() * 1000),
        }

    def _bot_user_me(self) -> dict[str, Any]:
        me = self.user_payload(self.bot_user_id)
        me.update(verified=True, mfa_enabled=False, locale="en-US", email=None, bot=True)
        return me

    # ------------------------------------------------------------------ records / waiting

    def requests_to(self, method: str | None, path_pattern: str = "**") -> list[RecordedRequest]:
        """Recorded requests with ``method`` (``None``/``"*"`` = any) whose path matches ``path_pattern``.

        Patterns are relative to ``api_base``; ``{name}`` and ``*`` match one path segment, ``**`` anything.
        """
        rx = _pattern_to_regex(path_pattern)
        return [
            r
            for r in self.requests
            if (method in (None, "*") or r.method == method.upper()) and rx.match(r.path) is not None
        ]

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:  # noqa: ASYNC109
        """Wait until ``predicate()`` is truthy (re-checked whenever the fake records something); returns it."""
        assert self._changed is not None
        async with asyncio.timeout(timeout), self._changed:
            while not (result := predicate()):
                await self._changed.wait()
            return result

    async def wait_for_request(
        self,
        method: str | None,
        path_pattern: str = "**",
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[RecordedRequest]:
        """Wait until at least ``count`` matching requests have been answered; returns all matches."""

        def check() -> list[RecordedRequest] | None:
            found = [r for r in self.requests_to(method, path_pattern) if r.status is not None]
            return found if len(found) >= count else None

        return await self.wait_until(check, timeout)

    async def wait_for_message(
        self,
        channel_id: int | None = None,
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[CreatedMessage]:
        """Wait until ``count`` messages were created (in ``channel_id`` if given); returns them."""

        def check() -> list[CreatedMessage] | None:
            found = [m for m in self.messages if channel_id is None or m.channel_id == channel_id]
            return found if len(found) >= count else None

        return await self.wait_until(check, timeout)

    # ------------------------------------------------------------------ failure injection

    def fail_channel(self, channel_id: int, status: int = 403, *, times: int | None = None) -> None:
        """Answer every request on ``/channels/{channel_id}/...`` with an error (403 Missing Access, 404 Unknown
        Channel, other statuses a generic body) ``times`` times (``None`` = until :meth:`clear_failures`)."""
        self._channel_failures[channel_id] = (status, times)

    def fail_next(
        self,
        method: str | None,
        path_pattern: str,
        status: int = 500,
        *,
        code: int = 0,
        message: str | None = None,
        times: int = 1,
        body: dict[str, Any] | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` and Discord's JSON error body."""
        self._route_failures.append(
            {
                "method": method,
                "rx": _pattern_to_regex(path_pattern),
                "status": status,
                "body": body or {"message": message or f"{status}: Error", "code": code},
                "times": times,
            }
        )

    def clear_failures(self) -> None:
        self._channel_failures.clear()
        self._route_failures.clear()
        self._one_shot_limits.clear()

    def rate_limit_next(
        self,
        n: int = 1,
        retry_after: float = 0.2,
        global_: bool = False,
        *,
        method: str | None = None,
        path_pattern: str = "**",
    ) -> None:
        """Answer the next ``n`` (matching) REST requests with a proper 429; they have no side effects."""
        self._one_shot_limits.append(
            {
                "n": n,
                "retry_after": retry_after,
                "global": global_,
                "method": method,
                "rx": _pattern_to_regex(path_pattern),
            }
        )

    # ------------------------------------------------------------------ HTTP plumbing

    def _add_routes(self, app: web.Application) -> None:
        add = app.router.add_route
        app.router.add_get("/gateway", self._gateway_handler)
        app.router.add_get("/gateway-resume", self._gateway_handler)
        routes: list[tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]] = [
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway_bot),
            ("GET", "/users/@me", self._get_me),
            ("GET", "/users/{user_id}", self._get_user),
            ("POST", "/users/@me/channels", self._open_dm),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/applications/@me", self._get_application),
            ("GET", "/applications/{application_id}/commands", self._get_commands),
            ("PUT", "/applications/{application_id}/commands", self._put_commands),
            ("POST", "/applications/{application_id}/commands", self._post_command),
            ("GET", "/applications/{application_id}/commands/{command_id}", self._get_command),
            ("DELETE", "/applications/{application_id}/commands/{command_id}", self._delete_command),
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands", self._get_commands),
            ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self._put_commands),
            ("POST", "/applications/{application_id}/guilds/{guild_id}/commands", self._post_command),
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}", self._get_command),
            ("DELETE", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}", self._delete_command),
            ("GET", "/guilds/{guild_id}", self._get_guild),
            ("GET", "/guilds/{guild_id}/channels", self._get_guild_channels),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member),
            ("GET", "/guilds/{guild_id}/roles", self._get_roles),
            ("GET", "/channels/{channel_id}", self._get_channel),
            ("POST", "/channels/{channel_id}/typing", self._no_content),
            ("GET", "/channels/{channel_id}/messages", self._list_messages),
            ("POST", "/channels/{channel_id}/messages", self._create_message),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message),
            ("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self._add_reaction),
            ("POST", "/channels/{channel_id}/messages/{message_id}/threads", self._thread_from_message),
            ("POST", "/channels/{channel_id}/threads", self._thread_without_message),
            ("PUT", "/channels/{channel_id}/thread-members/@me", self._no_content),
            ("POST", "/interactions/{interaction_id}/{interaction_token}/callback", self._interaction_callback),
            ("POST", "/webhooks/{webhook_id}/{webhook_token}", self._followup_create),
            ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", self._webhook_message_get),
            ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", self._webhook_message_edit),
            ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", self._webhook_message_delete),
        ]
        for method, path, handler in routes:
            add(method, API_PREFIX + path, handler)

    @staticmethod
    def _json(data: Any, status: int = 200) -> web.Response:
        # Exactly "application/json": discord.py's json_or_text() does a literal comparison.
        body = json.dumps(data, ensure_ascii=False).encode()
        return web.Response(body=body, status=status, headers={"Content-Type": "application/json"})

    def _error(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> web.Response:
        body: dict[str, Any] = {"message": message, "code": code}
        if errors:
            body["errors"] = errors
        return self._json(body, status)

    def _form_error_response(self, errors: dict[str, Any]) -> web.Response:
        return self._error(400, 50035, "Invalid Form Body", errors)

    def _status_error(self, status: int) -> web.Response:
        if status == 403:
            return self._error(403, 50001, "Missing Access")
        if status == 404:
            return self._error(404, 10003, "Unknown Channel")
        if status == 401:
            return self._error(401, 0, "401: Unauthorized")
        return self._error(status, 0, f"{status}: Error")

    async def _read_body(self, request: web.Request) -> tuple[Any, list[dict[str, Any]]]:
        files: list[dict[str, Any]] = []
        ctype = request.content_type
        if ctype.startswith("multipart/"):
            payload: Any = None
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if part.name == "payload_json":
                    payload = json.loads(await part.text())  # type: ignore[union-attr]
                else:
                    data = await part.read(decode=False)  # type: ignore[union-attr]
                    files.append(
                        {
                            "field": part.name,
                            "filename": part.filename,  # type: ignore[union-attr]
                            "content_type": part.headers.get("Content-Type"),
                            "size": len(data),
                            "data": bytes(data),
                        }
                    )
            return payload, files
        raw = await request.read()
        if not raw:
            return None, files
        try:
            return json.loads(raw), files
        except ValueError:
            return raw.decode("utf-8", "replace"), files

    def _ratelimit_headers(self, bucket: str, limit: int, remaining: int, reset_after: float) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(remaining, 0)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }

    def _too_many(self, retry_after: float, *, global_: bool, bucket: str, limit: int) -> web.Response:
        resp = self._json(
            {"message": "You are being rate limited.", "retry_after": retry_after, "global": global_}, 429
        )
        resp.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
        resp.headers["X-RateLimit-Scope"] = "global" if global_ else "user"
        if global_:
            resp.headers["X-RateLimit-Global"] = "true"
        else:
            resp.headers.update(self._ratelimit_headers(bucket, limit, 0, retry_after))
        return resp

    @staticmethod
    def _is_interaction_route(canonical: str) -> bool:
        return canonical.startswith(API_PREFIX + "/interactions/") or canonical.startswith(
            API_PREFIX + "/webhooks/{webhook_id}/{webhook_token}"
        )

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX + "/"):
            return await handler(request)
        body, files = await self._read_body(request)
        record = RecordedRequest(
            method=request.method,
            path=request.path[len(API_PREFIX) :],
            query=dict(request.query),
            headers=dict(request.headers),
            json=body,
            files=files,
            time=time.monotonic(),
        )
        request[_RECORD_KEY] = record
        self.requests.append(record)
        try:
            response = await self._dispatch_http(request, handler, record)
        except web.HTTPException as exc:  # pragma: no cover - handlers return responses
            response = self._error(exc.status, 0, f"{exc.status}: {exc.reason}")
        response.headers.setdefault("Via", "1.1 google")
        record.status = response.status
        record.response_headers = dict(response.headers)
        if isinstance(response, web.Response) and response.body and response.content_type == "application/json":
            with contextlib.suppress(ValueError, TypeError):
                record.response = json.loads(response.body)  # type: ignore[arg-type]
        await self._notify()
        return response

    async def _dispatch_http(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
        record: RecordedRequest,
    ) -> web.StreamResponse:
        match_info = request.match_info
        if match_info.http_exception is not None:
            status = match_info.http_exception.status
            if status == 405:
                return self._error(405, 0, "405: Method Not Allowed")
            return self._error(404, 0, "404: Not Found")
        canonical = match_info.route.resource.canonical if match_info.route.resource else request.path
        record.route = canonical[len(API_PREFIX) :]
        interaction_route = self._is_interaction_route(canonical)
        if not interaction_route and request.headers.get("Authorization") != f"Bot {self.token}":
            return self._error(401, 0, "401: Unauthorized")

        loop_now = time.monotonic()
        bucket_hash = hashlib.sha1(f"{request.method} {canonical}".encode()).hexdigest()[:16]
        major = "+".join(
            match_info[k] for k in ("channel_id", "guild_id", "webhook_id", "webhook_token") if k in match_info
        )
        if interaction_route and "interaction_id" in match_info:
            major = match_info["interaction_id"]

        # Global limit (interaction endpoints are exempt, as on Discord)
        if self.global_rate_per_second and not interaction_route:
            window = self._global_window
            while window and loop_now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= self.global_rate_per_second:
                retry = round(max(0.001, 1.0 - (loop_now - window[0])), 3)
                return self._too_many(retry, global_=True, bucket=bucket_hash, limit=self.bucket_limit)
            window.append(loop_now)

        # One-shot 429s
        for limit in self._one_shot_limits:
            if limit["n"] <= 0:
                continue
            if limit["method"] not in (None, "*") and limit["method"].upper() != request.method:
                continue
            if not limit["rx"].match(record.path):
                continue
            limit["n"] -= 1
            return self._too_many(
                limit["retry_after"], global_=limit["global"], bucket=bucket_hash, limit=self.bucket_limit
            )
        self._one_shot_limits = [x for x in self._one_shot_limits if x["n"] > 0]

        # Per-route bucket (fixed window), like Discord's X-RateLimit-* buckets
        key = f"{bucket_hash}:{major}"
        start, count = self._buckets.get(key, (loop_now, 0))
        if loop_now - start >= self.bucket_window:
            start, count = loop_now, 0
        reset_after = max(0.0, self.bucket_window - (loop_now - start))
        if count >= self.bucket_limit:
            return self._too_many(round(reset_after, 3), global_=False, bucket=bucket_hash, limit=self.bucket_limit)
        count += 1
        self._buckets[key] = (start, count)
        headers = self._ratelimit_headers(bucket_hash, self.bucket_limit, self.bucket_limit - count, reset_after)

        response = self._injected_failure(request, record)
        if response is None:
            response = await handler(request)
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    def _injected_failure(self, request: web.Request, record: RecordedRequest) -> web.Response | None:
        cid = request.match_info.get("channel_id")
        if cid is not None and cid.isdigit() and int(cid) in self._channel_failures:
            status, times = self._channel_failures[int(cid)]
            if times is not None:
                if times <= 1:
                    del self._channel_failures[int(cid)]
                else:
                    self._channel_failures[int(cid)] = (status, times - 1)
            return self._status_error(status)
        for failure in self._route_failures:
            if failure["times"] <= 0:
                continue
            if failure["method"] not in (None, "*") and failure["method"].upper() != request.method:
                continue
            if failure["rx"].match(record.path):
                failure["times"] -= 1
                return self._json(failure["body"], failure["status"])
        return None

    # ------------------------------------------------------------------ REST handlers: meta, users, app

    async def _get_gateway(self, request: web.Request) -> web.Response:
        return self._json({"url": self.gateway_url})

    async def _get_gateway_bot(self, request: web.Request) -> web.Response:
        return self._json(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1},
            }
        )

    async def _get_me(self, request: web.Request) -> web.Response:
        return self._json(self._bot_user_me())

    async def _get_user(self, request: web.Request) -> web.Response:
        uid = int(request.match_info["user_id"])
        if uid not in self.users:
            return self._error(404, 10013, "Unknown User")
        return self._json(self.user_payload(uid))

    async def _get_application(self, request: web.Request) -> web.Response:
        app = dict(self.application)
        app["owner"] = self.user_payload(self.owner_id)
        app["bot"] = self.user_payload(self.bot_user_id)
        return self._json(app)

    async def _open_dm(self, request: web.Request) -> web.Response:
        body = request[_RECORD_KEY].json or {}
        try:
            uid = int(body["recipient_id"])
        except (KeyError, TypeError, ValueError):
            return self._form_error_response(
                _form_error(["recipient_id"], "BASE_TYPE_REQUIRED", "This field is required")
            )
        if uid not in self.users:
            return self._error(404, 10013, "Unknown User")
        return self._json(self.channel_payload(self.dm_channel(uid)))

    # ------------------------------------------------------------------ REST handlers: commands

    def _command_scope(self, request: web.Request) -> tuple[int | None, web.Response | None]:
        if int(request.match_info["application_id"]) != self.application_id:
            return None, self._error(403, 50001, "Missing Access")
        gid = request.match_info.get("guild_id")
        if gid is None:
            return None, None
        if int(gid) not in self.guilds:
            return None, self._error(403, 50001, "Missing Access")
        return int(gid), None

    def _validate_command(self, path: list[str], cmd: Mapping[str, Any]) -> dict[str, Any]:
        """Validate a command (or a SUB_COMMAND/SUB_COMMAND_GROUP option) like Discord's bulk overwrite does."""
        errors: dict[str, Any] = {}
        name = cmd.get("name")
        ctype = cmd.get("type", 1)
        chat_input = ctype in (1, SUB_COMMAND, SUB_COMMAND_GROUP) or not path
        if not isinstance(name, str) or not name:
            _merge_errors(errors, _form_error([*path, "name"], "BASE_TYPE_REQUIRED", "This field is required"))
        elif chat_input and (not _COMMAND_NAME_RE.match(name) or name != name.lower()):
            _merge_errors(
                errors, _form_error([*path, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
            )
        if chat_input and not 1 <= len(cmd.get("description") or "") <= 100:
            _merge_errors(
                errors,
                _form_error([*path, "description"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."),
            )
        options = cmd.get("options") or []
        if len(options) > 25:
            _merge_errors(
                errors, _form_error([*path, "options"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
            )
        seen_optional = False
        for i, opt in enumerate(options):
            opt_path = [*path, "options", str(i)]
            if opt.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP):
                _merge_errors(errors, self._validate_command(opt_path, opt))
                continue
            _merge_errors(errors, self._validate_command(opt_path, {**opt, "type": SUB_COMMAND, "options": []}))
            if opt.get("required"):
                if seen_optional:
                    _merge_errors(
                        errors,
                        _form_error(
                            [*opt_path, "required"],
                            "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                            "Required options must be placed before non-required options",
                        ),
                    )
            else:
                seen_optional = True
            if len(opt.get("choices") or []) > 25:
                _merge_errors(
                    errors,
                    _form_error([*opt_path, "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."),
                )
        return errors

    def _make_command(self, guild_id: int | None, cmd: Mapping[str, Any], old_id: str | None) -> dict[str, Any]:
        stored: dict[str, Any] = {
            "id": old_id or str(self.snowflake()),
            "application_id": str(self.application_id),
            "version": str(self.snowflake()),
            "type": cmd.get("type", 1),
            "name": cmd["name"],
            "description": cmd.get("description", ""),
            "default_member_permissions": cmd.get("default_member_permissions"),
            "nsfw": cmd.get("nsfw", False),
            "name_localizations": cmd.get("name_localizations"),
            "description_localizations": cmd.get("description_localizations"),
            "options": cmd.get("options") or [],
        }
        if guild_id is not None:
            stored["guild_id"] = str(guild_id)
        else:
            stored["dm_permission"] = cmd.get("dm_permission", True)
            stored["contexts"] = cmd.get("contexts")
            stored["integration_types"] = cmd.get("integration_types") or [0]
        return stored

    def _existing_id(self, guild_id: int | None, cmd: Mapping[str, Any]) -> str | None:
        # Discord keeps a command's id when a command with the same name and type is overwritten.
        for old in self.commands.get(guild_id, []):
            if old["name"] == cmd.get("name") and old["type"] == cmd.get("type", 1):
                return old["id"]
        return None

    async def _put_commands(self, request: web.Request) -> web.Response:
        guild_id, failure = self._command_scope(request)
        if failure:
            return failure
        body = request[_RECORD_KEY].json
        if not isinstance(body, list):
            return self._form_error_response(_form_error([], "LIST_TYPE_CONVERT", "Only iterables may be used"))
        if len(body) > 100:
            return self._form_error_response(_form_error([], "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."))
        errors: dict[str, Any] = {}
        for i, cmd in enumerate(body):
            _merge_errors(errors, self._validate_command([str(i)], cmd))
        if errors:
            return self._form_error_response(errors)
        self.commands[guild_id] = [self._make_command(guild_id, cmd, self._existing_id(guild_id, cmd)) for cmd in body]
        return self._json(self.commands[guild_id])

    async def _post_command(self, request: web.Request) -> web.Response:
        guild_id, failure = self._command_scope(request)
        if failure:
            return failure
        body = request[_RECORD_KEY].json or {}
        errors = self._validate_command([], body)
        if errors:
            return self._form_error_response(errors)
        old_id = self._existing_id(guild_id, body)
        stored = self._make_command(guild_id, body, old_id)
        commands = [c for c in self.commands.get(guild_id, []) if c["id"] != old_id]
        self.commands[guild_id] = [*commands, stored]
        return self._json(stored, 200 if old_id else 201)

    async def _get_commands(self, request: web.Request) -> web.Response:
        guild_id, failure = self._command_scope(request)
        if failure:
            return failure
        return self._json(self.commands.get(guild_id, []))

    async def _get_command(self, request: web.Request) -> web.Response:
        guild_id, failure = self._command_scope(request)
        if failure:
            return failure
        for cmd in self.commands.get(guild_id, []):
            if cmd["id"] == request.match_info["command_id"]:
                return self._json(cmd)
        return self._error(404, 10063, "Unknown application command")

    async def _delete_command(self, request: web.Request) -> web.Response:
        guild_id, failure = self._command_scope(request)
        if failure:
            return failure
        cmds = self.commands.get(guild_id, [])
        for cmd in cmds:
            if cmd["id"] == request.match_info["command_id"]:
                cmds.remove(cmd)
                return web.Response(status=204)
        return self._error(404, 10063, "Unknown application command")

    def find_command(self, name: str, guild_id: int | None = None) -> dict[str, Any] | None:
        """The synced command ``name`` (guild commands for ``guild_id`` first, then global ones)."""
        for scope in (guild_id, None) if guild_id is not None else (None,):
            for cmd in self.commands.get(scope, []):
                if cmd["name"] == name and cmd["type"] == 1:
                    return cmd
        return None

    # ------------------------------------------------------------------ REST handlers: guilds, channels

    async def _get_guild(self, request: web.Request) -> web.Response:
        gid = int(request.match_info["guild_id"])
        if gid not in self.guilds:
            return self._error(404, 10004, "Unknown Guild")
        payload = self.guild_payload(gid)
        for key in (
            "members",
            "channels",
            "threads",
            "presences",
            "voice_states",
            "joined_at",
            "large",
            "lazy",
            "member_count",
        ):
            payload.pop(key, None)
        return self._json(payload)

    async def _get_guild_channels(self, request: web.Request) -> web.Response:
        gid = int(request.match_info["guild_id"])
        if gid not in self.guilds:
            return self._error(404, 10004, "Unknown Guild")
        return self._json(
            [
                self.channel_payload(c)
                for c in self.guilds[gid].channel_ids
                if self.channels[c]["type"] not in THREAD_TYPES
            ]
        )

    async def _get_member(self, request: web.Request) -> web.Response:
        gid, uid = int(request.match_info["guild_id"]), int(request.match_info["user_id"])
        if gid not in self.guilds:
            return self._error(404, 10004, "Unknown Guild")
        if uid not in self.guilds[gid].members:
            return self._error(404, 10007, "Unknown Member")
        return self._json(self.member_payload(uid, guild_id=gid))

    async def _get_roles(self, request: web.Request) -> web.Response:
        gid = int(request.match_info["guild_id"])
        if gid not in self.guilds:
            return self._error(404, 10004, "Unknown Guild")
        return self._json(list(self.guilds[gid].roles.values()))

    def _channel_or_error(
        self, request: web.Request, *, need: int = P.VIEW_CHANNEL
    ) -> tuple[dict[str, Any] | None, web.Response | None]:
        try:
            cid = int(request.match_info["channel_id"])
        except ValueError:
            return None, self._error(404, 10003, "Unknown Channel")
        channel = self.channels.get(cid)
        if channel is None:
            return None, self._error(404, 10003, "Unknown Channel")
        if channel["type"] == DM:
            return channel, None
        if self.enforce_permissions:
            perms = self.permissions_for(self.bot_user_id, cid)
            if not perms & P.VIEW_CHANNEL:
                return None, self._error(403, 50001, "Missing Access")
            if need and perms & need != need:
                return None, self._error(403, 50013, "Missing Permissions")
        return channel, None

    async def _get_channel(self, request: web.Request) -> web.Response:
        channel, failure = self._channel_or_error(request)
        if failure:
            return failure
        assert channel is not None
        return self._json(self.channel_payload(int(channel["id"])))

    async def _no_content(self, request: web.Request) -> web.Response:
        _, failure = self._channel_or_error(request)
        return failure or web.Response(status=204)

    # ------------------------------------------------------------------ messages

    @staticmethod
    def _validate_embed_url(url: Any, path: list[str], *, image: bool) -> dict[str, Any]:
        if url is None:
            return {}
        ok = isinstance(url, str) and (
            url.startswith(("http://", "https://")) or (image and url.startswith("attachment://"))
        )
        if ok and "://" in url and len(url.split("://", 1)[1]) > 0:
            return {}
        return _form_error(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")

    def validate_message_payload(
        self, body: Mapping[str, Any], *, creating: bool, has_files: bool = False
    ) -> dict[str, Any] | None:
        """Discord's message validation; returns an error *body* (50035/50006) or ``None`` when valid."""
        errors: dict[str, Any] = {}
        content = body.get("content")
        if content is not None and len(str(content)) > 2000:
            _merge_errors(errors, _form_error(["content"], "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length."))
        embeds = body.get("embeds") or []
        if len(embeds) > 10:
            _merge_errors(errors, _form_error(["embeds"], "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length."))
        total = 0
        for i, embed in enumerate(embeds):
            p = ["embeds", str(i)]
            limits = {"title": 256, "description": 4096}
            for key, limit in limits.items():
                value = embed.get(key)
                if value is not None:
                    total += len(str(value))
                    if len(str(value)) > limit:
                        _merge_errors(
                            errors,
                            _form_error([*p, key], "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."),
                        )
            fields = embed.get("fields") or []
            if len(fields) > 25:
                _merge_errors(
                    errors, _form_error([*p, "fields"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
                )
            for j, fld in enumerate(fields):
                for key, limit in (("name", 256), ("value", 1024)):
                    value = fld.get(key)
                    if value is None or str(value) == "":
                        _merge_errors(
                            errors,
                            _form_error([*p, "fields", str(j), key], "BASE_TYPE_REQUIRED", "This field is required"),
                        )
                        continue
                    total += len(str(value))
                    if len(str(value)) > limit:
                        _merge_errors(
                            errors,
                            _form_error(
                                [*p, "fields", str(j), key],
                                "BASE_TYPE_MAX_LENGTH",
                                f"Must be {limit} or fewer in length.",
                            ),
                        )
            footer = embed.get("footer") or {}
            author = embed.get("author") or {}
            total += len(str(footer.get("text") or "")) + len(str(author.get("name") or ""))
            if len(str(footer.get("text") or "")) > 2048:
                _merge_errors(
                    errors,
                    _form_error([*p, "footer", "text"], "BASE_TYPE_MAX_LENGTH", "Must be 2048 or fewer in length."),
                )
            if len(str(author.get("name") or "")) > 256:
                _merge_errors(
                    errors,
                    _form_error([*p, "author", "name"], "BASE_TYPE_MAX_LENGTH", "Must be 256 or fewer in length."),
                )
            _merge_errors(errors, self._validate_embed_url(embed.get("url"), [*p, "url"], image=False))
            _merge_errors(errors, self._validate_embed_url(author.get("url"), [*p, "author", "url"], image=False))
            for key in ("image", "thumbnail"):
                sub = embed.get(key) or {}
                _merge_errors(errors, self._validate_embed_url(sub.get("url"), [*p, key, "url"], image=True))
            _merge_errors(
                errors, self._validate_embed_url(author.get("icon_url"), [*p, "author", "icon_url"], image=True)
            )
            _merge_errors(
                errors, self._validate_embed_url(footer.get("icon_url"), [*p, "footer", "icon_url"], image=True)
            )
        if total > 6000:
            _merge_errors(
                errors, _form_error(["embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
            )
        allowed = body.get("allowed_mentions")
        if isinstance(allowed, Mapping):
            parse = allowed.get("parse") or []
            for kind in ("users", "roles"):
                if kind in parse and allowed.get(kind):
                    _merge_errors(
                        errors,
                        _form_error(
                            ["allowed_mentions"],
                            "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                            f'parse:["{kind}"] and {kind}: [ids] are mutually exclusive.',
                        ),
                    )
        nonce = body.get("nonce")
        if nonce is not None and len(str(nonce)) > 25:
            _merge_errors(errors, _form_error(["nonce"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
        if errors:
            return {"message": "Invalid Form Body", "code": 50035, "errors": errors}
        if creating and not (
            content or embeds or has_files or body.get("components") or body.get("sticker_ids") or body.get("poll")
        ):
            return {"message": "Cannot send an empty message", "code": 50006}
        return None

    def _pings(self, content: str, allowed: Mapping[str, Any] | None, replied_author: int | None) -> dict[str, Any]:
        users = [int(u) for u in re.findall(r"<@!?(\d+)>", content)]
        roles = [int(r) for r in re.findall(r"<@&(\d+)>", content)]
        everyone = "@everyone" in content or "@here" in content
        if allowed is None:
            parse, explicit_users, explicit_roles, replied = {"users", "roles", "everyone"}, set(), set(), True
        else:
            parse = set(allowed.get("parse") or [])
            explicit_users = {int(u) for u in allowed.get("users") or []}
            explicit_roles = {int(r) for r in allowed.get("roles") or []}
            replied = bool(allowed.get("replied_user", False))
        pinged_users = [u for u in users if "users" in parse or u in explicit_users]
        if replied_author is not None and replied and replied_author not in pinged_users:
            pinged_users.append(replied_author)
        return {
            "users": pinged_users,
            "roles": [r for r in roles if "roles" in parse or r in explicit_roles],
            "everyone": everyone and "everyone" in parse,
        }

    def _attachment_payloads(self, files: list[dict[str, Any]], body: Mapping[str, Any]) -> list[dict[str, Any]]:
        meta = {str(a.get("id")): a for a in body.get("attachments") or []}
        out = []
        for index, f in enumerate(files):
            aid = self.snowflake()
            desc = meta.get(str(index), {})
            out.append(
                {
                    "id": str(aid),
                    "filename": f["filename"] or f"file{index}",
                    "size": f["size"],
                    "url": f"https://cdn.discordapp.com/attachments/0/{aid}/{f['filename']}",
                    "proxy_url": f"https://media.discordapp.net/attachments/0/{aid}/{f['filename']}",
                    "content_type": f["content_type"],
                    "description": desc.get("description"),
                }
            )
        return out

    def build_message(
        self,
        channel_id: int,
        body: Mapping[str, Any],
        *,
        author_id: int | None = None,
        files: list[dict[str, Any]] | None = None,
        message_type: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A full message object as Discord returns it from REST (no ``guild_id``/``member``)."""
        mid = self.snowflake()
        content = str(body.get("content") or "")
        channel = self.channels.get(channel_id, {})
        guild = self._guild_of_channel(channel) if channel else None
        reference = body.get("message_reference")
        referenced = None
        if reference and reference.get("message_id"):
            ref_channel = int(reference.get("channel_id") or channel_id)
            referenced = self.channel_messages.get(ref_channel, {}).get(int(reference["message_id"]))
        author = int(author_id or self.bot_user_id)
        pings = self._pings(
            content, body.get("allowed_mentions"), int(referenced["author"]["id"]) if referenced else None
        )
        can_everyone = author != self.bot_user_id or bool(
            self.permissions_for(self.bot_user_id, channel_id) & P.MENTION_EVERYONE
        )
        embeds = []
        for embed in body.get("embeds") or []:
            embed = dict(embed)
            embed.setdefault("type", "rich")
            embed.setdefault("content_scan_version", 0)
            embeds.append(embed)
        message: dict[str, Any] = {
            "id": str(mid),
            "type": message_type if message_type is not None else (19 if referenced else 0),
            "channel_id": str(channel_id),
            "author": self.user_payload(author),
            "content": content,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": pings["everyone"] and can_everyone,
            "mentions": [
                self.user_payload(u) for u in dict.fromkeys(re.findall(r"<@!?(\d+)>", content)) if int(u) in self.users
            ],
            "mention_roles": [r for r in re.findall(r"<@&(\d+)>", content) if guild and int(r) in guild.roles],
            "attachments": self._attachment_payloads(files or [], body),
            "embeds": embeds,
            "pinned": False,
            "flags": int(body.get("flags") or 0),
            "components": body.get("components") or [],
        }
        if body.get("nonce") is not None:
            message["nonce"] = body["nonce"]
        if channel.get("type") in THREAD_TYPES:
            message["position"] = channel.get("total_message_sent", 0)
        if reference:
            message["message_reference"] = {
                "type": reference.get("type", 0),
                "channel_id": str(reference.get("channel_id") or channel_id),
                "message_id": str(reference["message_id"]) if reference.get("message_id") else None,
                "guild_id": str(guild.id) if guild else None,
            }
            message["referenced_message"] = referenced
        if extra:
            message.update(extra)
        self.channel_messages.setdefault(channel_id, {})[mid] = message
        if channel:
            channel["last_message_id"] = str(mid)
            if channel.get("type") in THREAD_TYPES:
                channel["message_count"] = channel.get("message_count", 0) + 1
                channel["total_message_sent"] = channel.get("total_message_sent", 0) + 1
        self._message_pings[mid] = pings
        return message

    @staticmethod
    def _public(message: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in message.items() if not k.startswith("_")}

    async def _create_message(self, request: web.Request) -> web.Response:
        channel, failure = self._channel_or_error(request, need=0)
        if failure:
            return failure
        assert channel is not None
        cid = int(channel["id"])
        if channel["type"] in (GUILD_CATEGORY, GUILD_FORUM):
            return self._error(400, 50008, "Cannot send messages in a non-text channel")
        if channel["type"] == DM:
            recipient = int(channel["recipients"][0]["id"])
            if recipient in self.blocked_dm_users:
                return self._error(403, 50007, "Cannot send messages to this user")
        elif self.enforce_permissions:
            need = P.SEND_MESSAGES_IN_THREADS if channel["type"] in THREAD_TYPES else P.SEND_MESSAGES
            if not self.permissions_for(self.bot_user_id, cid) & need:
                return self._error(403, 50013, "Missing Permissions")
            if channel["type"] in THREAD_TYPES and channel["thread_metadata"].get("locked"):
                return self._error(403, 50083, "Thread is archived")
        body = request[_RECORD_KEY].json or {}
        files = request[_RECORD_KEY].files
        problem = self.validate_message_payload(body, creating=True, has_files=bool(files))
        if problem:
            return self._json(problem, 400)
        nonce = body.get("nonce")
        now = time.monotonic()
        if nonce is not None and body.get("enforce_nonce"):
            seen = self._nonces.get((cid, str(nonce)))
            if seen and now - seen[1] < self.nonce_window:
                if seen[0] in self._deleted_message_ids:
                    return self._error(404, 10008, "Unknown Message")
                original = self.channel_messages.get(cid, {}).get(seen[0])
                if original is not None:
                    return self._json(self._public(original))
        message = self.build_message(cid, body, files=files)
        mid = int(message["id"])
        if nonce is not None:
            self._nonces[(cid, str(nonce))] = (mid, now)
        self.messages.append(
            CreatedMessage(
                id=mid,
                channel_id=cid,
                content=message["content"],
                embeds=message["embeds"],
                allowed_mentions=body.get("allowed_mentions"),
                nonce=nonce,
                enforce_nonce=bool(body.get("enforce_nonce", False)),
                message_reference=body.get("message_reference"),
                components=message["components"],
                flags=message["flags"],
                attachments=message["attachments"],
                pings=self._message_pings[int(message["id"])],
                payload=self._public(message),
                request=dict(body),
            )
        )
        await self._echo_message(message)
        return self._json(self._public(message))

    async def _list_messages(self, request: web.Request) -> web.Response:
        channel, failure = self._channel_or_error(request, need=P.READ_MESSAGE_HISTORY)
        if failure:
            return failure
        assert channel is not None
        limit = min(int(request.query.get("limit", 50)), 100)
        msgs = sorted(
            self.channel_messages.get(int(channel["id"]), {}).values(), key=lambda m: int(m["id"]), reverse=True
        )
        before = request.query.get("before")
        after = request.query.get("after")
        if before:
            msgs = [m for m in msgs if int(m["id"]) < int(before)]
        if after:
            msgs = [m for m in msgs if int(m["id"]) > int(after)]
        return self._json([self._public(m) for m in msgs[:limit]])

    def _message_or_error(self, request: web.Request) -> tuple[dict[str, Any] | None, web.Response | None]:
        channel, failure = self._channel_or_error(request, need=0)
        if failure:
            return None, failure
        assert channel is not None
        message = self.channel_messages.get(int(channel["id"]), {}).get(int(request.match_info["message_id"]))
        if message is None:
            return None, self._error(404, 10008, "Unknown Message")
        return message, None

    async def _get_message(self, request: web.Request) -> web.Response:
        message, failure = self._message_or_error(request)
        return failure or self._json(self._public(message or {}))

    async def _edit_message(self, request: web.Request) -> web.Response:
        message, failure = self._message_or_error(request)
        if failure:
            return failure
        assert message is not None
        if message["author"]["id"] != str(self.bot_user_id):
            return self._error(403, 50005, "Cannot edit a message authored by another user")
        body = request[_RECORD_KEY].json or {}
        problem = self.validate_message_payload(body, creating=False)
        if problem:
            return self._json(problem, 400)
        self._apply_edit(message, body)
        return self._json(self._public(message))

    def _apply_edit(self, message: dict[str, Any], body: Mapping[str, Any]) -> None:
        for key in ("content", "embeds", "components", "flags", "attachments"):
            if key in body:
                value = body[key]
                if key == "content":
                    value = value or ""
                elif key == "flags":
                    value = (int(value or 0) & ~LOADING) | (message.get("flags", 0) & EPHEMERAL)
                elif key == "embeds":
                    value = [{"type": "rich", **e} for e in (value or [])]
                elif key == "attachments":
                    keep = {str(a.get("id")) for a in value or []}
                    value = [a for a in message.get("attachments", []) if a["id"] in keep]
                message[key] = value
        message["flags"] = message.get("flags", 0) & ~LOADING
        message["edited_timestamp"] = _now_iso()

    async def _delete_message(self, request: web.Request) -> web.Response:
        message, failure = self._message_or_error(request)
        if failure:
            return failure
        assert message is not None
        if message["author"]["id"] != str(self.bot_user_id) and self.enforce_permissions:
            if not self.permissions_for(self.bot_user_id, int(message["channel_id"])) & P.MANAGE_MESSAGES:
                return self._error(403, 50013, "Missing Permissions")
        del self.channel_messages[int(message["channel_id"])][int(message["id"])]
        self._deleted_message_ids.add(int(message["id"]))
        return web.Response(status=204)

    async def _add_reaction(self, request: web.Request) -> web.Response:
        message, failure = self._message_or_error(request)
        if failure:
            return failure
        assert message is not None
        self.reactions.append(
            {
                "channel_id": int(message["channel_id"]),
                "message_id": int(message["id"]),
                "emoji": request.match_info["emoji"],
            }
        )
        return web.Response(status=204)

    # ------------------------------------------------------------------ threads

    def _thread_payload(
        self,
        parent: Mapping[str, Any],
        *,
        thread_id: int,
        name: str,
        thread_type: int,
        auto_archive: int,
        invitable: bool,
    ) -> dict[str, Any]:
        now = _now_iso()
        thread: dict[str, Any] = {
            "id": str(thread_id),
            "type": thread_type,
            "guild_id": parent["guild_id"],
            "parent_id": parent["id"],
            "owner_id": str(self.bot_user_id),
            "name": name,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "applied_tags": [],
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": auto_archive,
                "archive_timestamp": now,
                "locked": False,
                "create_timestamp": now,
            },
        }
        if thread_type == PRIVATE_THREAD:
            thread["thread_metadata"]["invitable"] = invitable
        return thread

    def _register_thread(self, thread: dict[str, Any]) -> dict[str, Any]:
        tid = int(thread["id"])
        self.channels[tid] = thread
        guild = self._guild_of_channel(thread)
        if guild is not None:
            guild.channel_ids.append(tid)
        response = json.loads(json.dumps(thread))
        response["member"] = {
            "id": thread["id"],
            "user_id": str(self.bot_user_id),
            "join_timestamp": _now_iso(),
            "flags": 0,
            "muted": False,
            "mute_config": None,
        }
        return response

    def _validate_thread_body(self, body: Mapping[str, Any]) -> web.Response | None:
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            return self._form_error_response(
                _form_error(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
            )
        if body.get("auto_archive_duration", 1440) not in (60, 1440, 4320, 10080):
            return self._form_error_response(
                _form_error(
                    ["auto_archive_duration"], "BASE_TYPE_CHOICES", "Value must be one of {60, 1440, 4320, 10080}."
                )
            )
        return None

    async def _thread_from_message(self, request: web.Request) -> web.Response:
        parent, failure = self._channel_or_error(request, need=P.CREATE_PUBLIC_THREADS)
        if failure:
            return failure
        assert parent is not None
        if parent["type"] not in (GUILD_TEXT, GUILD_ANNOUNCEMENT):
            return self._error(400, 50024, "Cannot execute action on this channel type")
        pid = int(parent["id"])
        mid = int(request.match_info["message_id"])
        message = self.channel_messages.get(pid, {}).get(mid)
        if message is None:
            return self._error(404, 10008, "Unknown Message")
        if mid in self._thread_for_message:
            return self._error(400, 160004, "A thread has already been created for this message")
        body = request[_RECORD_KEY].json or {}
        problem = self._validate_thread_body(body)
        if problem:
            return problem
        thread = self._thread_payload(
            parent,
            thread_id=mid,  # threads started from a message share the message's id
            name=body["name"],
            thread_type=ANNOUNCEMENT_THREAD if parent["type"] == GUILD_ANNOUNCEMENT else PUBLIC_THREAD,
            auto_archive=body.get("auto_archive_duration", parent.get("default_auto_archive_duration", 1440)),
            invitable=True,
        )
        self._thread_for_message[mid] = mid
        message["thread"] = thread
        message["flags"] = message.get("flags", 0) | (1 << 5)  # HAS_THREAD
        response = self._register_thread(thread)
        await self._echo("THREAD_CREATE", {**response, "newly_created": True}, INTENT_GUILDS)
        return self._json(response, 201)

    async def _thread_without_message(self, request: web.Request) -> web.Response:
        parent, failure = self._channel_or_error(request, need=0)
        if failure:
            return failure
        assert parent is not None
        body = request[_RECORD_KEY].json or {}
        problem = self._validate_thread_body(body)
        if problem:
            return problem
        is_forum = parent["type"] == GUILD_FORUM
        thread_type = PUBLIC_THREAD if is_forum else int(body.get("type", PRIVATE_THREAD))
        need = P.CREATE_PRIVATE_THREADS if thread_type == PRIVATE_THREAD else P.CREATE_PUBLIC_THREADS
        if is_forum:
            need = P.SEND_MESSAGES
        if self.enforce_permissions and self.permissions_for(self.bot_user_id, int(parent["id"])) & need != need:
            return self._error(403, 50013, "Missing Permissions")
        if is_forum:
            starter_problem = self.validate_message_payload(
                body.get("message") or {}, creating=True, has_files=bool(request[_RECORD_KEY].files)
            )
            if starter_problem:
                return self._json(starter_problem, 400)
        tid = self.snowflake()
        thread = self._thread_payload(
            parent,
            thread_id=tid,
            name=body["name"],
            thread_type=thread_type,
            auto_archive=body.get("auto_archive_duration", parent.get("default_auto_archive_duration", 1440)),
            invitable=body.get("invitable", True),
        )
        response = self._register_thread(thread)
        if is_forum:
            starter = body.get("message") or {}
            message = self.build_message(tid, starter, files=request[_RECORD_KEY].files)
            # The starter message of a forum post has the thread's id.
            del self.channel_messages[tid][int(message["id"])]
            self._message_pings[tid] = self._message_pings.pop(int(message["id"]))
            message["id"] = str(tid)
            self.channel_messages[tid][tid] = message
            response["message"] = self._public(message)
            self.messages.append(
                CreatedMessage(
                    id=tid,
                    channel_id=tid,
                    content=message["content"],
                    embeds=message["embeds"],
                    allowed_mentions=starter.get("allowed_mentions"),
                    nonce=starter.get("nonce"),
                    enforce_nonce=bool(starter.get("enforce_nonce", False)),
                    message_reference=None,
                    components=message["components"],
                    flags=message["flags"],
                    attachments=message["attachments"],
                    pings=self._message_pings[int(message["id"])],
                    payload=self._public(message),
                    request=dict(starter),
                )
            )
        await self._echo("THREAD_CREATE", {**response, "newly_created": True}, INTENT_GUILDS)
        return self._json(response, 201)

    # ------------------------------------------------------------------ interactions: builders

    def _option_types(self, definition: list[dict[str, Any]] | None) -> dict[str, int]:
        return {o["name"]: o["type"] for o in definition or [] if o.get("type") not in (SUB_COMMAND, SUB_COMMAND_GROUP)}

    @staticmethod
    def _infer_type(value: Any) -> int:
        if isinstance(value, bool):
            return BOOLEAN
        if isinstance(value, int):
            return INTEGER
        if isinstance(value, float):
            return NUMBER
        return STRING

    def _build_options(
        self,
        options: Mapping[str, Any],
        definition: list[dict[str, Any]] | None,
        resolved: dict[str, dict[str, Any]],
        *,
        guild_id: int | None,
        channel_id: int,
        focused: str | None,
    ) -> list[dict[str, Any]]:
        types = self._option_types(definition)
        out = []
        for name, value in options.items():
            otype = types.get(name) or self._infer_type(value)
            opt: dict[str, Any] = {"name": name, "type": otype}
            if name == focused:
                opt["value"] = str(value)
                opt["focused"] = True
            elif otype in (USER, MENTIONABLE) and int(value) in self.users:
                uid = int(value)
                opt["value"] = str(uid)
                resolved.setdefault("users", {})[str(uid)] = self.user_payload(uid)
                if guild_id is not None and uid in self.guilds[guild_id].members:
                    member = self.member_payload(uid, guild_id=guild_id, with_user=False, channel_id=channel_id)
                    resolved.setdefault("members", {})[str(uid)] = member
            elif otype in (ROLE, MENTIONABLE):
                opt["value"] = str(value)
                if guild_id is not None and int(value) in self.guilds[guild_id].roles:
                    resolved.setdefault("roles", {})[str(value)] = self.guilds[guild_id].roles[int(value)]
            elif otype == CHANNEL:
                opt["value"] = str(value)
                if int(value) in self.channels:
                    ch = self.channel_payload(int(value))
                    ch["permissions"] = str(self.permissions_for(self.user_id, int(value)))
                    resolved.setdefault("channels", {})[str(value)] = ch
            elif otype == INTEGER:
                opt["value"] = int(value)
            elif otype == NUMBER:
                opt["value"] = float(value)
            elif otype == BOOLEAN:
                opt["value"] = bool(value)
            else:
                opt["value"] = str(value)
            out.append(opt)
        if focused is not None and focused not in options:
            out.append({"name": focused, "type": types.get(focused, STRING), "value": "", "focused": True})
        return out

    def build_interaction(
        self,
        interaction_type: int,
        data: dict[str, Any] | None,
        *,
        user_id: int | None = None,
        channel_id: int | None = None,
        guild_id: int | None = None,
        member_permissions: int | str | None = None,
        app_permissions: int | str | None = None,
        locale: str = "en-US",
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Any INTERACTION_CREATE payload; registers it so callbacks/followups for its id/token are accepted."""
        uid = user_id or self.user_id
        cid = channel_id or self.channel_id
        channel = self.channels.get(cid)
        is_dm = channel is not None and channel["type"] == DM
        if channel is None:
            raise KeyError(f"unknown channel {cid}; add it with add_channel()/dm_channel() first")
        gid = None if is_dm else (guild_id or int(channel["guild_id"]))
        iid = self.snowflake()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(96)
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": interaction_type,
            "token": token,
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "channel_id": str(cid),
        }
        if data is not None:
            payload["data"] = data
        if message is not None:
            payload["message"] = message
        channel_obj = self.channel_payload(cid)
        if gid is not None:
            guild = self.guilds[gid]
            member = self.member_payload(uid, guild_id=gid, channel_id=cid)
            if member_permissions is not None:
                member["permissions"] = str(_perm_int(member_permissions))
            app_perms = self.permissions_for(self.bot_user_id, cid) if app_permissions is None else app_permissions
            channel_obj["permissions"] = member["permissions"]
            payload.update(
                guild_id=str(gid),
                guild={"id": str(gid), "locale": guild.locale, "features": []},
                guild_locale=guild.locale,
                member=member,
                app_permissions=str(_perm_int(app_perms)),
                authorizing_integration_owners={"0": str(gid)},
                context=0,
            )
        else:
            payload.update(
                user=self.user_payload(uid),
                app_permissions=str(_perm_int(app_permissions) if app_permissions is not None else 0),
                authorizing_integration_owners={"0": str(self.owner_id)},
                context=1,
            )
            channel_obj["permissions"] = str(
                P.VIEW_CHANNEL | P.SEND_MESSAGES | P.EMBED_LINKS | P.ATTACH_FILES | P.READ_MESSAGE_HISTORY
            )
        payload["channel"] = channel_obj
        self.interactions[iid] = InteractionRecord(
            id=iid, token=token, type=interaction_type, payload=payload, created=time.monotonic()
        )
        return payload

    def _command_data(
        self,
        name: str,
        subcommand: str | None,
        group: str | None,
        options: Mapping[str, Any] | None,
        *,
        guild_id: int | None,
        channel_id: int,
        focused: str | None,
    ) -> dict[str, Any]:
        if subcommand and " " in subcommand and group is None:
            group, subcommand = subcommand.split(" ", 1)
        command = self.find_command(name, guild_id)
        definition = command["options"] if command else None
        if group:
            group_def = next((o for o in definition or [] if o["name"] == group), None)
            definition = group_def.get("options") if group_def else None
        if subcommand:
            sub_def = next((o for o in definition or [] if o["name"] == subcommand), None)
            definition = sub_def.get("options") if sub_def else None
        resolved: dict[str, dict[str, Any]] = {}
        leaf = self._build_options(
            options or {}, definition, resolved, guild_id=guild_id, channel_id=channel_id, focused=focused
        )
        if subcommand:
            leaf = [{"name": subcommand, "type": SUB_COMMAND, "options": leaf}]
        if group:
            leaf = [{"name": group, "type": SUB_COMMAND_GROUP, "options": leaf}]
        data: dict[str, Any] = {
            "id": command["id"] if command else str(self.snowflake()),
            "name": name,
            "type": 1,
            "options": leaf,
        }
        if command and command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        elif command is None and guild_id is not None:
            data["guild_id"] = str(guild_id)  # unsynced: assume a guild command (discord.py looks it up by guild)
        if resolved:
            data["resolved"] = resolved
        return data

    def slash_command(
        self,
        name: str,
        subcommand: str | None = None,
        options: Mapping[str, Any] | None = None,
        *,
        group: str | None = None,
        user_id: int | None = None,
        channel_id: int | None = None,
        guild_id: int | None = None,
        member_permissions: int | str | None = None,
        app_permissions: int | str | None = None,
        locale: str = "en-US",
    ) -> dict[str, Any]:
        """Type 2 APPLICATION_COMMAND payload. ``subcommand="schedule set"`` (or ``group=``) makes a group.

        Option types come from the synced command when there is one (else str/int/float/bool are inferred).
        ``member.permissions`` / ``app_permissions`` are computed from roles and overwrites unless overridden.
        """
        cid = channel_id or self.channel_id
        channel = self.channels[cid]
        gid = None if channel["type"] == DM else (guild_id or int(channel["guild_id"]))
        data = self._command_data(name, subcommand, group, options, guild_id=gid, channel_id=cid, focused=None)
        return self.build_interaction(
            APPLICATION_COMMAND,
            data,
            user_id=user_id,
            channel_id=cid,
            guild_id=gid,
            member_permissions=member_permissions,
            app_permissions=app_permissions,
            locale=locale,
        )

    def autocomplete(
        self,
        name: str,
        subcommand: str | None = None,
        options: Mapping[str, Any] | None = None,
        *,
        focused: str | None = None,
        group: str | None = None,
        user_id: int | None = None,
        channel_id: int | None = None,
        guild_id: int | None = None,
        member_permissions: int | str | None = None,
        locale: str = "en-US",
    ) -> dict[str, Any]:
        """Type 4 APPLICATION_COMMAND_AUTOCOMPLETE payload; ``options[focused]`` is the partial input (sent as a
        string). ``focused`` defaults to the last option given."""
        if focused is None:
            if not options:
                raise ValueError("autocomplete() needs options or focused=")
            focused = list(options)[-1]
        cid = channel_id or self.channel_id
        channel = self.channels[cid]
        gid = None if channel["type"] == DM else (guild_id or int(channel["guild_id"]))
        data = self._command_data(name, subcommand, group, options, guild_id=gid, channel_id=cid, focused=focused)
        return self.build_interaction(
            AUTOCOMPLETE,
            data,
            user_id=user_id,
            channel_id=cid,
            guild_id=gid,
            member_permissions=member_permissions,
            locale=locale,
        )

    async def invoke(self, interaction: dict[str, Any]) -> int:
        """Dispatch an interaction (INTERACTION_CREATE) to the connected bot; returns the interaction id."""
        await self.wait_ready()
        iid = int(interaction["id"])
        record = self.interactions.get(iid)
        if record is not None:
            record.created = time.monotonic()  # the 3 s callback deadline starts now
        await self.dispatch("INTERACTION_CREATE", interaction)
        return iid

    def _interaction_record(self, interaction: int | str | Mapping[str, Any]) -> InteractionRecord:
        iid = int(interaction["id"]) if isinstance(interaction, Mapping) else int(interaction)
        return self.interactions[iid]

    async def wait_callback(
        self,
        interaction_id: int | str | Mapping[str, Any],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """Wait for the bot's interaction response and return its body (``{"type": 4, "data": {...}}``)."""
        record = self._interaction_record(interaction_id)
        await asyncio.wait_for(record.event.wait(), timeout)
        assert record.callback is not None
        return record.callback

    def original_response(self, interaction_id: int | str | Mapping[str, Any]) -> dict[str, Any] | None:
        """Current state of the interaction's original response message (``None`` if none/deleted)."""
        record = self._interaction_record(interaction_id)
        return None if record.deleted_original or record.original is None else self._public(record.original)

    def followups(self, interaction_id: int | str | Mapping[str, Any]) -> list[dict[str, Any]]:
        """Followup messages created for the interaction (a followup replacing a deferred response included)."""
        return [self._public(m) for m in self._interaction_record(interaction_id).followups]

    # ------------------------------------------------------------------ interactions: REST

    def _interaction_message(
        self, record: InteractionRecord, data: Mapping[str, Any], files: list[dict[str, Any]], *, flags: int
    ) -> dict[str, Any]:
        cid = int(record.payload["channel_id"])
        user = record.payload.get("member", {}).get("user") or record.payload.get("user")
        body = dict(data)
        body["flags"] = flags
        command = record.payload.get("data", {})
        message = self.build_message(
            cid,
            body,
            files=files,
            message_type=20,
            extra={
                "webhook_id": str(self.application_id),
                "application_id": str(self.application_id),
                "interaction_metadata": {
                    "id": record.payload["id"],
                    "type": record.type,
                    "user": user,
                    "authorizing_integration_owners": record.payload.get("authorizing_integration_owners", {}),
                    "name": command.get("name"),
                    "command_type": command.get("type", 1),
                },
            },
        )
        self.interaction_messages.append(message)
        return message

    async def _interaction_callback(self, request: web.Request) -> web.Response:
        iid = int(request.match_info["interaction_id"])
        record = self.interactions.get(iid)
        if record is None or record.token != request.match_info["interaction_token"]:
            return self._error(404, 10062, "Unknown interaction")
        if time.monotonic() - record.created > self.callback_deadline:
            return self._error(404, 10062, "Unknown interaction")
        if record.callback is not None:
            return self._error(400, 40060, "Interaction has already been acknowledged.")
        body = request[_RECORD_KEY].json or {}
        rtype = body.get("type")
        if rtype not in ALLOWED_CALLBACKS.get(record.type, set()):
            return self._form_error_response(
                _form_error(["type"], "INTERACTION_RESPONSE_TYPE_INVALID", "Invalid interaction response type")
            )
        data = body.get("data") or {}
        files = request[_RECORD_KEY].files
        if rtype in (4, 7):
            problem = self.validate_message_payload(data, creating=rtype == 4, has_files=bool(files))
            if problem:
                return self._json(problem, 400)
        if rtype == 8:
            choices = data.get("choices")
            if not isinstance(choices, list) or len(choices) > 25:
                return self._form_error_response(
                    _form_error(["data", "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
                )
            for i, choice in enumerate(choices):
                if not 1 <= len(str(choice.get("name", ""))) <= 100:
                    return self._form_error_response(
                        _form_error(
                            ["data", "choices", str(i), "name"],
                            "BASE_TYPE_BAD_LENGTH",
                            "Must be between 1 and 100 in length.",
                        )
                    )
        record.callback = body
        record.callback_files = files
        record.callback_query = dict(request.query)
        self.callbacks[iid] = body
        flags = int(data.get("flags") or 0)
        interaction_info: dict[str, Any] = {"id": str(iid), "type": record.type}
        resource: dict[str, Any] = {"type": rtype}
        if rtype == 4:
            record.original = self._interaction_message(record, data, files, flags=flags)
            resource["message"] = self._public(record.original)
        elif rtype == 5:
            record.original = self._interaction_message(
                record, {"content": ""}, [], flags=(flags & EPHEMERAL) | LOADING
            )
            record.loading = True
        elif rtype == 7 and record.payload.get("message"):
            msg = record.payload["message"]
            stored = self.channel_messages.get(int(msg["channel_id"]), {}).get(int(msg["id"]))
            if stored is not None:
                self._apply_edit(stored, data)
                resource["message"] = self._public(stored)
        if record.original is not None:
            interaction_info.update(
                response_message_id=record.original["id"],
                response_message_loading=record.loading,
                response_message_ephemeral=bool(record.original["flags"] & EPHEMERAL),
            )
            if not record.original["flags"] & EPHEMERAL:
                await self._echo_message(record.original)
        record.event.set()
        if request.query.get("with_response", "").lower() not in ("1", "true"):
            return web.Response(status=204)
        return self._json({"interaction": interaction_info, "resource": resource})

    def _webhook_interaction(self, request: web.Request) -> tuple[InteractionRecord | None, web.Response | None]:
        token = request.match_info["webhook_token"]
        if request.match_info["webhook_id"] != str(self.application_id):
            return None, self._error(404, 10015, "Unknown Webhook")
        record = next((r for r in self.interactions.values() if r.token == token), None)
        if record is None or time.monotonic() - record.created > 15 * 60:
            return None, self._error(401, 50027, "Invalid Webhook Token")
        if record.callback is None:
            return None, self._error(404, 10015, "Unknown Webhook")
        return record, None

    async def _followup_create(self, request: web.Request) -> web.Response:
        record, failure = self._webhook_interaction(request)
        if failure:
            return failure
        assert record is not None
        body = request[_RECORD_KEY].json or {}
        files = request[_RECORD_KEY].files
        problem = self.validate_message_payload(body, creating=True, has_files=bool(files))
        if problem:
            return self._json(problem, 400)
        if record.loading and record.original is not None:
            # The first followup after a deferred (type 5) response replaces the "thinking..." message; the
            # ephemeral flag set at defer time wins.
            self._apply_edit(record.original, {**body, "flags": record.original["flags"] & EPHEMERAL})
            record.loading = False
            message = record.original
        else:
            message = self._interaction_message(record, body, files, flags=int(body.get("flags") or 0))
        record.followups.append(message)
        if request.query.get("wait", "").lower() in ("1", "true"):
            return self._json(self._public(message))
        return web.Response(status=204)

    def _webhook_message(
        self, request: web.Request
    ) -> tuple[InteractionRecord | None, dict[str, Any] | None, web.Response | None]:
        record, failure = self._webhook_interaction(request)
        if failure:
            return None, None, failure
        assert record is not None
        mid = request.match_info["message_id"]
        if mid == "@original":
            message = None if record.deleted_original else record.original
        else:
            message = next((m for m in record.followups if m["id"] == mid), None)
        if message is None:
            return record, None, self._error(404, 10008, "Unknown Message")
        return record, message, None

    async def _webhook_message_get(self, request: web.Request) -> web.Response:
        _, message, failure = self._webhook_message(request)
        return failure or self._json(self._public(message or {}))

    async def _webhook_message_edit(self, request: web.Request) -> web.Response:
        record, message, failure = self._webhook_message(request)
        if failure:
            return failure
        assert record is not None and message is not None
        body = request[_RECORD_KEY].json or {}
        problem = self.validate_message_payload(body, creating=False)
        if problem:
            return self._json(problem, 400)
        self._apply_edit(message, body)
        if message is record.original:
            record.loading = False
        return self._json(self._public(message))

    async def _webhook_message_delete(self, request: web.Request) -> web.Response:
        record, message, failure = self._webhook_message(request)
        if failure:
            return failure
        assert record is not None and message is not None
        if message is record.original:
            record.deleted_original = True
        else:
            record.followups.remove(message)
        self.channel_messages.get(int(message["channel_id"]), {}).pop(int(message["id"]), None)
        return web.Response(status=204)

    # ------------------------------------------------------------------ gateway

    async def wait_ready(self, timeout: float = 5.0) -> GatewaySession:  # noqa: ASYNC109
        """Wait until a client has IDENTIFYed and got READY (+ GUILD_CREATE); returns the newest session."""
        assert self._ready_event is not None, "FakeDiscord is not started"
        await asyncio.wait_for(self._ready_event.wait(), timeout)
        return self.sessions[-1]

    async def wait_resumed(self, timeout: float = 5.0) -> GatewaySession:  # noqa: ASYNC109
        """Wait until a client has RESUMEd a session."""
        assert self._resumed_event is not None, "FakeDiscord is not started"
        await asyncio.wait_for(self._resumed_event.wait(), timeout)
        return next(s for s in self.sessions if s.resumes)

    async def dispatch(self, event: str, data: Any, *, session: GatewaySession | None = None) -> int | None:
        """Send a DISPATCH (op 0) ``event`` to every session (or one); returns the last sequence number used.

        Events for a session whose socket is down are kept and replayed on RESUME, as Discord does.
        """
        if session is None and not self.sessions:
            raise RuntimeError(f"no gateway session to dispatch {event} to; start a client / await wait_ready() first")
        last = None
        for sess in [session] if session else list(self.sessions):
            sess.seq += 1
            payload = {"op": 0, "t": event, "s": sess.seq, "d": data}
            sess.events.append(payload)
            del sess.events[:-1000]
            if sess.conn is not None and not sess.conn.closed:
                await sess.conn.send(payload)
            last = sess.seq
        return last

    async def _echo(self, event: str, data: dict[str, Any], intent: int) -> None:
        if not self.echo_events:
            return
        for sess in list(self.sessions):
            if sess.intents & intent:
                await self.dispatch(event, data, session=sess)

    def _gateway_message(self, message: Mapping[str, Any]) -> dict[str, Any]:
        data = self._public(message)
        channel = self.channels.get(int(message["channel_id"]), {})
        guild = self._guild_of_channel(channel) if channel else None
        if guild is not None:
            data["guild_id"] = str(guild.id)
            author = int(message["author"]["id"])
            if author in guild.members and not message.get("webhook_id"):
                data["member"] = self.member_payload(author, guild_id=guild.id, with_user=False)
        return data

    async def _echo_message(self, message: Mapping[str, Any]) -> None:
        """Discord sends the bot its own messages as MESSAGE_CREATE too."""
        channel = self.channels.get(int(message["channel_id"]), {})
        intent = INTENT_DIRECT_MESSAGES if channel.get("type") == DM else INTENT_GUILD_MESSAGES
        await self._echo("MESSAGE_CREATE", self._gateway_message(message), intent)

    async def user_message(
        self,
        content: str,
        *,
        channel_id: int | None = None,
        author_id: int | None = None,
        embeds: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A user posts a message: stored and dispatched as MESSAGE_CREATE (content blanked for sessions without
        the MESSAGE_CONTENT intent unless it is a DM or mentions the bot, as Discord does). Returns the payload."""
        cid = channel_id or self.channel_id
        author = author_id or self.user_id
        message = self.build_message(cid, {"content": content, "embeds": embeds or []}, author_id=author)
        data = self._gateway_message(message)
        channel = self.channels[cid]
        is_dm = channel["type"] == DM
        mentions_bot = any(int(u["id"]) == self.bot_user_id for u in data["mentions"])
        for sess in list(self.sessions):
            if not sess.intents & (INTENT_DIRECT_MESSAGES if is_dm else INTENT_GUILD_MESSAGES):
                continue
            payload = dict(data)
            if not sess.intents & INTENT_MESSAGE_CONTENT and not (is_dm or mentions_bot):
                payload.update(content="", embeds=[], attachments=[], components=[])
            await self.dispatch("MESSAGE_CREATE", payload, session=sess)
        return data

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT to every connected client (discord.py then RESUMEs on ``resume_gateway_url``)."""
        for sess in self.sessions:
            if sess.conn is not None and not sess.conn.closed:
                await sess.conn.send({"op": 7, "d": None, "s": None, "t": None})

    async def invalidate_sessions(self, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION. Note: discord.py waits 5 s before a non-initial IDENTIFY."""
        for sess in self.sessions:
            if sess.conn is not None and not sess.conn.closed:
                await sess.conn.send({"op": 9, "d": resumable, "s": None, "t": None})
            if not resumable:
                sess.id = "invalidated-" + sess.id

    async def _gateway_handler(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        conn = GatewayConnection(ws, request, zlib_stream=self.zlib_stream)
        self.connections.append(conn)
        try:
            if conn.query.get("encoding", "json") != "json":
                await conn.close(4002, "Error while decoding payload.")
                return ws
            await conn.send(
                {
                    "op": 10,
                    "d": {"heartbeat_interval": self.heartbeat_interval, "_trace": ["fake-gateway"]},
                    "s": None,
                    "t": None,
                }
            )
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    raw: str | bytes = msg.data
                elif msg.type == WSMsgType.BINARY:
                    raw = msg.data
                else:
                    break
                try:
                    payload = json.loads(raw)
                except ValueError:
                    await conn.close(4002, "Error while decoding payload.")
                    break
                conn.received.append(payload)
                if not await self._gateway_op(conn, payload):
                    break
        finally:
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
            await self._notify()
        return ws

    async def _gateway_op(self, conn: GatewayConnection, payload: Mapping[str, Any]) -> bool:
        op = payload.get("op")
        data = payload.get("d")
        if op == 1:
            await conn.send({"op": 11, "d": None, "s": None, "t": None})
            return True
        if op == 2:
            return await self._identify(conn, data or {})
        if op == 6:
            return await self._resume(conn, data or {})
        if conn.session is None:
            await conn.close(4003, "Not authenticated.")
            return False
        if op == 3:
            conn.session.presence_updates.append(data)
            return True
        if op == 4:
            return True
        if op == 8:
            await self._request_members(conn, data or {})
            return True
        await conn.close(4001, "Unknown opcode.")
        return False

    async def _identify(self, conn: GatewayConnection, data: Mapping[str, Any]) -> bool:
        if conn.session is not None:
            await conn.close(4005, "Already authenticated.")
            return False
        if data.get("token") != self.token and data.get("token") != f"Bot {self.token}":
            await conn.close(4004, "Authentication failed.")
            return False
        intents = data.get("intents")
        if not isinstance(intents, int) or intents < 0 or intents >= 1 << 26:
            await conn.close(4013, "Invalid intent(s).")
            return False
        if intents & PRIVILEGED_INTENTS & ~self.privileged_intents:
            await conn.close(4014, "Disallowed intent(s).")
            return False
        shard = data.get("shard")
        if shard is not None and (len(shard) != 2 or not 0 <= shard[0] < shard[1]):
            await conn.close(4010, "Invalid shard.")
            return False
        session = GatewaySession(id=secrets.token_hex(16), intents=intents, identify=dict(data), shard=shard)
        session.conn = conn
        conn.session = session
        self.sessions.append(session)
        ready: dict[str, Any] = {
            "v": 10,
            "user_settings": {},
            "user": self._bot_user_me(),
            "guilds": [{"id": str(gid), "unavailable": True} for gid in self.guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_gateway_url,
            "application": {"id": str(self.application_id), "flags": self.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["seoul", "japan"],
            "auth": {},
            "_trace": ["fake-gateway"],
        }
        if shard is not None:
            ready["shard"] = shard
        await self.dispatch("READY", ready, session=session)
        if intents & INTENT_GUILDS:
            for gid in self.guilds:
                await self.dispatch("GUILD_CREATE", self.guild_payload(gid, intents=intents), session=session)
        assert self._ready_event is not None
        self._ready_event.set()
        await self._notify()
        return True

    async def _resume(self, conn: GatewayConnection, data: Mapping[str, Any]) -> bool:
        if data.get("token") != self.token:
            await conn.close(4004, "Authentication failed.")
            return False
        session = next((s for s in self.sessions if s.id == data.get("session_id")), None)
        seq = data.get("seq") or 0
        if session is None or seq > session.seq:
            await conn.send({"op": 9, "d": False, "s": None, "t": None})
            return True
        if session.conn is not None and session.conn is not conn and not session.conn.closed:
            await session.conn.close(4000, "Session resumed elsewhere")
        session.conn = conn
        conn.session = session
        for event in [e for e in session.events if e["s"] > seq]:
            await conn.send(event)
        session.resumes += 1
        await self.dispatch("RESUMED", {"_trace": ["fake-gateway"]}, session=session)
        assert self._resumed_event is not None
        self._resumed_event.set()
        await self._notify()
        return True

    async def _request_members(self, conn: GatewayConnection, data: Mapping[str, Any]) -> None:
        assert conn.session is not None
        gid = int(data.get("guild_id", 0))
        guild = self.guilds.get(gid)
        if guild is None:
            return
        query = (data.get("query") or "").lower()
        wanted = {int(u) for u in data.get("user_ids") or []}
        limit = int(data.get("limit") or 0)
        members = []
        for uid in guild.members:
            if wanted and uid not in wanted:
                continue
            if query and not self.users[uid]["username"].lower().startswith(query):
                continue
            members.append(self.member_payload(uid, guild_id=gid))
        if limit:
            members = members[:limit]
        chunk: dict[str, Any] = {
            "guild_id": str(gid),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [str(u) for u in wanted if u not in guild.members],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        if data.get("presences"):
            chunk["presences"] = []
        await self.dispatch("GUILD_MEMBERS_CHUNK", chunk, session=conn.session)


def point_discord_at(fake: FakeDiscord) -> DiscordPatch:
    """Function form of :meth:`FakeDiscord.patch_discord`."""
    return DiscordPatch(fake)


def all_permissions_except(*bits: int) -> int:
    mask = ALL_PERMISSIONS
    for bit in bits:
        mask &= ~bit
    return mask
