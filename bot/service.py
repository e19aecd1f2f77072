"""``paperbot run`` as a well-behaved service process.

SIGTERM (what Docker and systemd send) and SIGINT stop it the same way: no new work is
taken (the scheduler stops), the adapter and any in-flight job are cancelled — a post cut
short is finished from the delivery ledger on the next start — the database is closed, one
line is logged, and the exit status is 0, all within :data:`GRACE_SECONDS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot import health, metrics
from bot.app import PaperBot

log = logging.getLogger("paperbot")

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
#: how long stopping may take before paperbot gives up on stragglers (Docker waits 10 s, then kills)
GRACE_SECONDS = 6.0

Runner = Callable[[PaperBot], Awaitable[int | None]]


async def serve(bot: PaperBot, platform: str, runner: Runner) -> int:
    """Run ``runner(bot)`` until it returns or a stop signal arrives; the bot is closed either way."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    received: list[tuple[str, float]] = []

    def on_signal(sig: signal.Signals) -> None:
        if not received:
            received.append((sig.name, time.monotonic()))
        stop.set()

    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, on_signal, sig)
    await _last_fetch_from_store(bot)
    try:
        server = await _start_health(bot, platform)
    except BaseException:
        await _close(bot)
        raise
    main = asyncio.ensure_future(runner(bot))
    stopper = asyncio.ensure_future(stop.wait())
    code = 0
    try:
        await asyncio.wait({main, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if main.done():
            code = int(main.result() or 0)
        else:
            await _stop_work(bot, main)
    finally:
        stopper.cancel()
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
        if server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.cleanup(), timeout=2.0)
        await _close(bot)
    if received:
        name, at = received[0]
        log.info("paperbot stopped on %s in %.1f s: no new work taken, database closed", name, time.monotonic() - at)
    return code


async def _last_fetch_from_store(bot: PaperBot) -> None:
    """``paperbot_last_fetch_age_seconds`` and ``/readyz`` count fetches made before this start too."""
    try:
        runs = await bot.store.fetch_runs(dt.datetime.now(dt.UTC).date() - dt.timedelta(days=60))
    except Exception as exc:  # an older store without the record: the first fetch sets it
        log.debug("no fetch record: %s", exc)
        return
    for run in runs:
        if run.ok_at is not None:
            metrics.fetch_succeeded(run.ok_at)


async def _start_health(bot: PaperBot, platform: str) -> web.AppRunner | None:
    """The health server, unless ``PAPERBOT_HEALTH_PORT=0`` (the console's default)."""
    settings = bot.settings
    port = settings.health_port_for(platform)
    if not port:
        return None
    fetching = bool(settings.sources.strip()) and (platform != "console" or "sources" in settings.model_fields_set)
    store = bot.store
    ping = ((lambda: store.fetch_runs(dt.datetime.now(dt.UTC).date())) if hasattr(store, "fetch_runs")
            else store.digest_dates)
    state = health.Health(ping, platform=platform, fetching=fetching)
    if platform == "console":
        health.connected(lambda: True)
    return await health.start(state, settings.health_host, port)


async def _stop_work(bot: PaperBot, main: asyncio.Future[int | None]) -> None:
    """No new work; cancel the adapter and every job in flight, waiting at most GRACE_SECONDS."""
    with contextlib.suppress(Exception):  # already stopped: nothing to do
        bot.stop_background()
    current = asyncio.current_task()
    others = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    for task in others:
        task.cancel()
    main.cancel()
    _, pending = await asyncio.wait({*others, main}, timeout=GRACE_SECONDS)
    if pending:
        log.warning("%d task(s) still running after %.0f s; stopping anyway", len(pending), GRACE_SECONDS)
    if main.done() and not main.cancelled() and main.exception() is not None:
        log.warning("the adapter stopped with an error: %s", main.exception())


async def _close(bot: PaperBot) -> None:
    try:
        await asyncio.wait_for(bot.close(), timeout=GRACE_SECONDS)
    except (TimeoutError, asyncio.CancelledError):
        log.warning("closing the database took longer than %.0f s", GRACE_SECONDS)
    except Exception as exc:  # closing must not turn a clean stop into a traceback
        with contextlib.suppress(Exception):
            log.warning("closing: %s: %s", type(exc).__name__, exc)
