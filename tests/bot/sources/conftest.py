"""Fixtures for the source tests: API fixtures, a sleep recorder and a loopback aiohttp server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import pathlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
SEED = pathlib.Path(__file__).resolve().parents[3] / "seeds" / "daily-papers-2024-06-28.md"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def day_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = load("daily_papers_2024-06-28.json")
    return items


class SleepRecorder:
    """An injectable ``sleep`` that records the delays and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@dataclass
class Loopback:
    """A real HTTP server on 127.0.0.1 with scripted routes; ``hits`` counts requests by path."""

    base: str
    hits: dict[str, int] = field(default_factory=dict)


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[Loopback]:
    """``app`` on a free port of 127.0.0.1 until the block ends."""
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield Loopback(f"http://{host}:{port}")
    finally:
        await runner.cleanup()


@pytest.fixture
async def loopback() -> AsyncIterator[Loopback]:
    release = asyncio.Event()  # lets the slow handler finish at teardown instead of hanging cleanup
    server: Loopback

    def count(request: web.Request) -> int:
        server.hits[request.path] = server.hits.get(request.path, 0) + 1
        return server.hits[request.path]

    async def flaky(request: web.Request) -> web.Response:
        if count(request) == 1:
            return web.Response(status=500, text="boom")
        return web.Response(text="ok")

    async def limited(request: web.Request) -> web.Response:
        if count(request) == 1:
            return web.Response(status=429, headers={"Retry-After": "1"}, text="slow down")
        return web.Response(text="ok")

    async def slow(request: web.Request) -> web.Response:
        count(request)
        await release.wait()
        return web.Response(text="too late")

    async def digest(request: web.Request) -> web.Response:
        count(request)
        if request.match_info["date"] != "2024-06-28":
            raise web.HTTPNotFound()
        return web.Response(text=SEED.read_text(encoding="utf-8"), content_type="text/markdown", charset="utf-8")

    app = web.Application()
    app.router.add_get("/flaky", flaky)
    app.router.add_get("/limited", limited)
    app.router.add_get("/slow", slow)
    app.router.add_get("/digests/daily-papers-{date}.md", digest)
    async with serving(app) as server:
        try:
            yield server
        finally:
            release.set()
