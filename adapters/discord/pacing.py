"""Discord's global limit: every REST request of a client waits its turn, just under 50 a second.

A client has one pacer: this process' :class:`Pacer`, or — several processes on one PostgreSQL
database — a :class:`~bot.shared_rate.SharedPacer` on the bot's shared timeline (the limit is the
bot's, not a process'). A client made with ``http_trace=PacingTrace()`` paces every attempt as it
is sent: after discord.py's per-route bucket let it go (no slot is spent waiting on a bucket), and
discord.py's own retry after a 429 takes a slot of its own, instead of crowding into the next second
(where it would cause the next 429). A client made without it is paced once per call, before
discord.py's bucket and retries. Per-route buckets and 429 handling stay discord.py's.
"""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from typing import Any

import aiohttp
import discord

from bot.shared_rate import RequestTimeline, SharedPacer

log = logging.getLogger(__name__)

#: Discord exempts interaction responses and follow-ups from the global limit
UNPACED_PATHS = ("/interactions/", "/webhooks/")


class Pacer:
    """At most ``per_second`` requests a second, in the order they ask, one ``1 / per_second`` after the other
    on a timeline. The next slot is taken when a request goes out, not when it starts waiting, so a loop
    that was busy for a moment does not send the requests that waited all at once: it makes up one slot at
    most (Discord counts any second: no second holds more than ``per_second + 2``)."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            loop = asyncio.get_running_loop()
            slot = max(self._next, loop.time() - self.interval)
            if (wait := slot - loop.time()) > 0:
                await asyncio.sleep(wait)
            self._next = slot + self.interval


def paced(path: str) -> bool:
    """Whether a request to ``path`` (below the API base) counts toward the global limit."""
    return not path.startswith(UNPACED_PATHS)


class PacingTrace(aiohttp.TraceConfig):
    """``discord.Client(http_trace=PacingTrace())``: each attempt of a REST request waits for the client's
    pacer as aiohttp starts it (see the module docstring); the gateway's connection is not paced."""

    def __init__(self) -> None:
        super().__init__()
        self.pacer: Pacer | SharedPacer | None = None
        self.on_request_start.append(self._starting)

    async def _starting(self, session: aiohttp.ClientSession, context: SimpleNamespace,
                        params: aiohttp.TraceRequestStartParams) -> None:
        url, base = str(params.url), discord.http.Route.BASE
        if self.pacer is not None and url.startswith(base + "/") and paced(url[len(base):]):
            await self.pacer.wait()


def _use(http: Any, pacer: Pacer | SharedPacer) -> None:
    http.paperbot_pacer = pacer
    if isinstance(trace := getattr(http, "http_trace", None), PacingTrace):
        trace.pacer = pacer


def pace_requests(client: discord.Client, per_second: float) -> Pacer:
    """Pace every REST request of ``client`` (installed once per client: sends, thread creations, history
    lookups, DMs and the commands' own calls alike) on this process' :class:`Pacer`, until
    :func:`pace_shared` puts it on the bot's shared timeline."""
    http = client.http
    alone: Pacer | None = getattr(http, "paperbot_alone", None)
    if alone is None:
        alone = http.paperbot_alone = Pacer(per_second)  # type: ignore[attr-defined]
        if not isinstance(getattr(http, "http_trace", None), PacingTrace):  # paced per call instead
            request = http.request

            async def paced_call(route: discord.http.Route, **kwargs: Any) -> Any:
                if paced(route.path):
                    await http.paperbot_pacer.wait()  # type: ignore[attr-defined]
                return await request(route, **kwargs)

            http.request = paced_call  # type: ignore[method-assign]
        _use(http, alone)
    return alone


def pace_shared(client: discord.Client, timeline: RequestTimeline) -> SharedPacer | None:
    """Pace ``client`` on the bot's ``timeline`` at the rate of its own pacer, which stands in while the timeline
    can't be reached; ``None`` when the client is not paced at all."""
    http = client.http
    alone: Pacer | None = getattr(http, "paperbot_alone", None)
    if alone is None:
        return None
    shared = getattr(http, "paperbot_pacer", None)
    if not isinstance(shared, SharedPacer):
        shared = SharedPacer(timeline, 1.0 / alone.interval, alone=alone)
        _use(http, shared)
        # DISCORD_REST_RATE was once each process's rate: say what it is now
        log.info("Discord: %g REST requests/s for the whole bot, shared with its other processes through the "
                 "database (DISCORD_REST_RATE)", 1.0 / alone.interval)
    return shared


def pacer_of(client: discord.Client) -> Pacer | SharedPacer | None:
    pacer: Pacer | SharedPacer | None = getattr(client.http, "paperbot_pacer", None)
    return pacer
