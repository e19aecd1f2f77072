"""A request rate several bot processes share: a platform's limit is per bot, not per process.

Discord allows a bot 50 REST requests a second, whichever process sends them. Processes on one
database share a :class:`RequestTimeline`: one timeline of request slots ``interval`` apart, kept
in the database and read on the database's clock (processes' own clocks may disagree). A
:class:`SharedPacer` takes a few consecutive slots at a time (one round trip) and lets one
request go at each; the timeline hands every slot to one process only, so the bot as a whole
sends at the rate however the work falls between the processes, and a process with nothing to
send takes nothing. A slot is only good at its time: a process that dies (or stalls) holding
slots loses them as their time passes, and the others go on with the slots after them.

A store one process has alone (SQLite) has no timeline: the process paces itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Iterable
from typing import Protocol, runtime_checkable

log = logging.getLogger("paperbot.rate")

#: slots taken in one round trip at most (fewer when fewer requests wait): at 48/s, 8 slots are 1/6 s, which
#: is also what a process that dies holding them costs the others
BATCH = 8
#: after the timeline failed (database unreachable), the process paces alone this long before trying it again
ALONE_SECONDS = 10.0


class RequestTimeline(Protocol):
    """Slots on one timeline shared by every process of a bot (see the module docstring)."""

    async def take(self, count: int, interval: float) -> tuple[float, float]:
        """(the first of the next ``count`` slots ``interval`` s apart — none before now, none given to anyone
        else —, now), both in seconds on the shared clock."""
        ...

    async def close(self) -> None: ...


class Pacer(Protocol):
    async def wait(self) -> None: ...


@runtime_checkable
class SharesRate(Protocol):
    """A transport whose requests can be paced on a :class:`RequestTimeline` shared with other processes."""

    def share_rate(self, timeline: RequestTimeline) -> None: ...


def share_rate(transports: Iterable[object], timeline: RequestTimeline | None) -> list[SharesRate]:
    """Pace on ``timeline`` every transport that can (``None``: each process paces itself); those that do."""
    if timeline is None:
        return []
    sharing = [t for t in transports if isinstance(t, SharesRate)]
    for transport in sharing:
        transport.share_rate(timeline)
    return sharing


class SharedPacer:
    """At most ``per_second`` requests a second across every process taking slots from ``timeline``, in the order
    they ask within this process.

    A request waits for the next slot this process holds; when it holds none, it takes as many as requests are
    waiting (up to ``batch``) in one round trip. The slots' times are put on this process' clock with the round
    trip's midpoint. A slot more than one interval past is dropped, not used: a process that was busy for a
    while does not send the requests that waited all at once. While the timeline fails, ``alone`` paces (the
    platform's own 429 answers are the safety net), and the timeline is tried again after ``ALONE_SECONDS``.
    """

    def __init__(self, timeline: RequestTimeline, per_second: float, *, alone: Pacer, batch: int = BATCH) -> None:
        self.timeline = timeline
        self.interval = 1.0 / per_second
        self.alone = alone
        self.batch = batch
        self.taken = 0  # slots taken from the timeline
        self.rounds = 0  # round trips that took them
        self.dropped = 0  # slots that passed before a request could use them
        self._slots: deque[float] = deque()  # on this process' loop clock
        self._waiting = 0
        self._lock = asyncio.Lock()
        self._alone_until = 0.0

    async def wait(self) -> None:
        self._waiting += 1
        try:
            async with self._lock:
                loop = asyncio.get_running_loop()
                if loop.time() < self._alone_until:
                    await self.alone.wait()
                    return
                slot = await self._slot(loop)
                if slot is None:
                    await self.alone.wait()
                elif (wait := slot - loop.time()) > 0:
                    await asyncio.sleep(wait)
        finally:
            self._waiting -= 1

    async def _slot(self, loop: asyncio.AbstractEventLoop) -> float | None:
        while self._slots and self._slots[0] < loop.time() - self.interval:
            self._slots.popleft()
            self.dropped += 1
        if not self._slots:
            count = max(1, min(self.batch, self._waiting))
            before = loop.time()
            try:
                first, now = await self.timeline.take(count, self.interval)
            except Exception as exc:  # whatever the database says, requests go on
                self._alone_until = loop.time() + ALONE_SECONDS
                log.warning("shared request rate unavailable (%s: %s): this process paces alone for %g s",
                            type(exc).__name__, exc, ALONE_SECONDS)
                return None
            offset = now - (before + loop.time()) / 2  # shared clock − this loop's clock
            self._slots.extend(first + i * self.interval - offset for i in range(count))
            self.taken += count
            self.rounds += 1
        return self._slots.popleft()
