"""The HTTP side: the aiohttp server, request recording, authorization, rate limits; pointing discord.py here."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Self

import yarl
from aiohttp import BodyPartReader, web

from .gateway import Gateway
from .ratelimit import RateLimits
from .records import RecordedRequest
from .wire import API_PREFIX, RECORD_KEY, error_response, pattern_to_regex

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class DiscordPatch:
    """Points discord.py at a ``FakeDiscord`` (``Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY``).

    Usable as ``with`` or ``async with``; the originals are restored on exit. ``discord.webhook`` (interaction
    callbacks, followups) uses the same ``discord.http.Route`` class so one patch covers both.
    """

    def __init__(self, fake: Server) -> None:
        self._fake = fake
        self._saved: tuple[Any, Any] | None = None

    def __enter__(self) -> Server:
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

    async def __aenter__(self) -> Server:
        return self.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        self.__exit__(*exc)


class Server(RateLimits, Gateway):
    """Serves the REST routes of the layers above (``_routes``) and the gateway on one 127.0.0.1 port."""

    def __init__(self, **rest: Any) -> None:
        super().__init__(**rest)
        self.requests: list[RecordedRequest] = []
        self._runner: web.AppRunner | None = None

    def _routes(self) -> list[tuple[str, str, Handler]]:
        """``(method, path under /api/v10, handler)`` for every REST route; each layer adds its own."""
        return []

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    async def start(self) -> Self:
        """Start the server on an ephemeral 127.0.0.1 port (``async with FakeDiscord()`` calls this)."""
        self._changed = asyncio.Condition()
        self._ready_event = asyncio.Event()
        self._resumed_event = asyncio.Event()
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway_handler)
        app.router.add_get("/gateway-resume", self._gateway_handler)
        for method, path, handler in self._routes():
            app.router.add_route(method, API_PREFIX + path, handler)
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

    async def __aenter__(self) -> Self:
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

    # ------------------------------------------------------------------ records / waiting

    def requests_to(self, method: str | None, path_pattern: str = "**") -> list[RecordedRequest]:
        """Recorded requests with ``method`` (``None``/``"*"`` = any) whose path matches ``path_pattern``.

        Patterns are relative to ``api_base``; ``{name}`` and ``*`` match one path segment, ``**`` anything.
        """
        rx = pattern_to_regex(path_pattern)
        return [
            r
            for r in self.requests
            if (method in (None, "*") or r.method == method.upper()) and rx.match(r.path) is not None
        ]

    @staticmethod
    def _is_interaction_route(canonical: str) -> bool:
        return canonical.startswith(API_PREFIX + "/interactions/") or canonical.startswith(
            API_PREFIX + "/webhooks/{webhook_id}/{webhook_token}"
        )

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
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
        request[RECORD_KEY] = record
        self.requests.append(record)
        try:
            response = await self._dispatch_http(request, handler, record)
        except web.HTTPException as exc:  # pragma: no cover - handlers return responses
            response = error_response(exc.status, 0, f"{exc.status}: {exc.reason}")
        response.headers.setdefault("Via", "1.1 google")
        record.status = response.status
        record.response_headers = dict(response.headers)
        if isinstance(response, web.Response) and response.body and response.content_type == "application/json":
            with contextlib.suppress(ValueError, TypeError):
                record.response = json.loads(response.body)  # type: ignore[arg-type]  # bytes here; typed as a Payload union
        await self._notify()
        return response

    async def _dispatch_http(
        self,
        request: web.Request,
        handler: Handler,
        record: RecordedRequest,
    ) -> web.StreamResponse:
        match_info = request.match_info
        if match_info.http_exception is not None:
            status = match_info.http_exception.status
            if status == 405:
                return error_response(405, 0, "405: Method Not Allowed")
            return error_response(404, 0, "404: Not Found")
        canonical = match_info.route.resource.canonical if match_info.route.resource else request.path
        record.route = canonical[len(API_PREFIX) :]
        interaction_route = self._is_interaction_route(canonical)
        if not interaction_route and request.headers.get("Authorization") != f"Bot {self.token}":
            return error_response(401, 0, "401: Unauthorized")

        too_many, headers = self._rate_limit(request, record, canonical, interaction_route=interaction_route)
        if too_many is not None:
            return too_many
        response: web.StreamResponse | None = self._injected_failure(request, record)
        if response is None:
            response = await handler(request)
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

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
                assert isinstance(part, BodyPartReader), "discord.py sends no nested multipart"
                if part.name == "payload_json":
                    payload = json.loads(await part.text())
                else:
                    data = await part.read(decode=False)
                    files.append(
                        {
                            "field": part.name,
                            "filename": part.filename,
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
