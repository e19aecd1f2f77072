"""The health server of ``paperbot run``: ``/healthz``, ``/readyz`` and ``/metrics`` over HTTP.

On ``PAPERBOT_HEALTH_HOST:PAPERBOT_HEALTH_PORT`` (default ``127.0.0.1:8080``; port 0 = off,
and off by default for the console):

- ``GET /healthz`` — 200 while the process runs (a liveness probe, Docker's HEALTHCHECK);
- ``GET /readyz`` — 200 when the database answers, the platform is connected and the last
  successful fetch is within its window; else 503. Both with a JSON body naming each check;
- ``GET /metrics`` — the Prometheus text format (:mod:`bot.metrics`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot import metrics
from bot.errors import ConfigError

log = logging.getLogger("paperbot.health")

#: a day between daily fetches, plus slack for a slow or retried one
FETCH_WINDOW = dt.timedelta(hours=26)
DB_TIMEOUT = 2.0


class Health:
    """What ``/readyz`` checks; the adapters and the fetch code keep it current."""

    def __init__(self, database: Callable[[], Any], *, platform: str, fetching: bool) -> None:
        self.database = database  # an async callable that raises when the database cannot answer
        self.platform = platform
        self.fetching = fetching  # sources configured: the last fetch counts
        self.connected: Probe = lambda: current_probe()()

    async def checks(self, now: dt.datetime | None = None) -> dict[str, str]:
        """``{"database": "ok", "platform": "ok", "fetch": "…"}``; anything but "ok" is the reason."""
        now = now or dt.datetime.now(dt.UTC)
        found: dict[str, str] = {}
        try:
            await asyncio.wait_for(self.database(), DB_TIMEOUT)
            found["database"] = "ok"
        except Exception as exc:
            found["database"] = f"unreachable: {type(exc).__name__}: {exc}".rstrip(": ")
        try:
            answer = self.connected()
            if inspect.isawaitable(answer):
                answer = await asyncio.wait_for(answer, DB_TIMEOUT)
            found["platform"] = "ok" if answer else f"{self.platform} not connected"
        except Exception as exc:
            found["platform"] = f"{self.platform}: {type(exc).__name__}: {exc}"
        if self.fetching:
            last = metrics.last_fetch_ok()
            if last is None:
                found["fetch"] = "no successful fetch yet"
            elif now - last > FETCH_WINDOW:
                hours = (now - last).total_seconds() / 3600
                window = FETCH_WINDOW.total_seconds() / 3600
                found["fetch"] = f"last successful fetch {hours:.0f} h ago (window {window:.0f} h)"
            else:
                found["fetch"] = "ok"
        return found


Probe = Callable[[], bool | Awaitable[bool]]
_connected: list[Probe] = []


def connected(probe: Probe) -> None:
    """Adapters say how to tell whether they are connected (``lambda: client.is_ready()``); ``/readyz`` asks it."""
    _connected[:] = [probe]


def current_probe() -> Probe:
    return _connected[0] if _connected else (lambda: False)


def build_app(health: Health) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        checks = await health.checks()
        failing = {name: text for name, text in checks.items() if text != "ok"}
        body: dict[str, Any] = {"ready": not failing, "checks": checks}
        if failing:
            body["reason"] = "; ".join(f"{name}: {text}" for name, text in failing.items())
        return web.json_response(body, status=503 if failing else 200)

    async def metrics_page(request: web.Request) -> web.Response:
        response = web.Response(body=metrics.exposition())
        response.headers["Content-Type"] = metrics.CONTENT_TYPE
        return response

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)
    return app


async def start(health: Health, host: str, port: int) -> web.AppRunner:
    """Serve on ``host:port`` (port 0 is not "off" here: the caller decides); the caller cleans up."""
    runner = web.AppRunner(build_app(health), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        raise ConfigError(f"PAPERBOT_HEALTH_HOST/PORT: cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    log.info("health: http://%s:%d/healthz, /readyz, /metrics", host, port)
    return runner
