"""The gateway: one websocket per client, IDENTIFY/RESUME, heartbeats, dispatched events (replayed on RESUME).

Sharding as Discord does it: a session IDENTIFYed with ``shard: [id, count]`` gets the guilds with
``(guild_id >> 22) % count == id`` (in READY, GUILD_CREATE and every guild event, interactions included) and,
for shard 0, direct messages; ``GET /gateway/bot`` answers ``shards`` = ``FakeDiscord(shard_count=…)``.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .messages import Messages
from .wire import (
    DM,
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILDS,
    INTENT_MESSAGE_CONTENT,
    PRIVILEGED_INTENTS,
    json_response,
)


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

    def owns(self, guild_id: int | None) -> bool:
        """Whether Discord sends this session the events of ``guild_id`` (``None``: a direct message)."""
        if self.shard is None:
            return True
        shard_id, count = self.shard
        return shard_id == 0 if guild_id is None else (guild_id >> 22) % count == shard_id


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


class Gateway(Messages):
    """Gateway sessions; ``dispatch`` sends an event to the bot, ``_echo`` what Discord sends a bot about itself."""

    def __init__(
        self,
        *,
        heartbeat_interval: int,
        zlib_stream: bool,
        privileged_intents: int,
        echo_events: bool,
        shard_count: int = 1,
        **world: Any,
    ) -> None:
        super().__init__(**world)
        self.shard_count = shard_count  # what GET /gateway/bot recommends
        self.heartbeat_interval = heartbeat_interval
        self.zlib_stream = zlib_stream
        self.privileged_intents = privileged_intents
        self.echo_events = echo_events
        self.port: int | None = None
        self.sessions: list[GatewaySession] = []
        self.connections: list[GatewayConnection] = []
        self._ready_event: asyncio.Event | None = None  # made by start(), in the server's loop
        self._resumed_event: asyncio.Event | None = None

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway-resume"

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

        Events for a session whose socket is down are kept and replayed on RESUME, as Discord does. Without
        ``session``, an event goes to the sessions whose shard owns its guild (``data["guild_id"]``).
        """
        if session is None and not self.sessions:
            raise RuntimeError(f"no gateway session to dispatch {event} to; start a client / await wait_ready() first")
        last = None
        for sess in [session] if session else self._owning(data):
            sess.seq += 1
            payload = {"op": 0, "t": event, "s": sess.seq, "d": data}
            sess.events.append(payload)
            del sess.events[:-1000]
            if sess.conn is not None and not sess.conn.closed:
                await sess.conn.send(payload)
            last = sess.seq
        return last

    def _owning(self, data: Any) -> list[GatewaySession]:
        """The sessions an event about ``data`` goes to: its guild's shard (DMs: shard 0)."""
        gid = data.get("guild_id") if isinstance(data, Mapping) else None
        return [s for s in self.sessions if s.owns(int(gid) if gid else None)]

    def shard_of(self, guild_id: int) -> int:
        """The shard that receives ``guild_id``'s events, with ``shard_count`` shards."""
        return (guild_id >> 22) % self.shard_count

    async def _echo(self, event: str, data: dict[str, Any], intent: int) -> None:
        if not self.echo_events:
            return
        for sess in self._owning(data):
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
        for sess in self._owning(data):
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
        if op in (3, 4):  # presence and voice state updates: accepted, not modelled
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
            "guilds": [{"id": str(gid), "unavailable": True} for gid in self.guilds if session.owns(gid)],
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
            for gid in [g for g in self.guilds if session.owns(g)]:
                await self.dispatch("GUILD_CREATE", self.guild_payload(gid, intents=intents), session=session)
        assert self._ready_event is not None
        self._ready_event.set()
        await self._notify()
        return True

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        """``GET /gateway/bot``: the URL, the recommended shard count and the session start limit."""
        body = {
            "url": self.gateway_url,
            "shards": self.shard_count,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
        }
        return json_response(body)

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
