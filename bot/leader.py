"""One leader among the bot processes sharing a database: it runs the timers, every process answers.

The delivery ledger already makes every part exactly-once, so several processes could all
run the schedules; the leader only spares them doing the same work N times. The leader — the
holder of the store's leader lock (on PostgreSQL an advisory lock on a connection of its own,
see :mod:`storage.postgres.leader`) — runs the channel schedules' timer, the daily fetch and
its catch-up, and the retries of unfinished posts. The others (followers) answer commands and
interactions like the leader, and try for the lock every ``retry_seconds``: when the leader
dies its database session ends, the lock is free, and a follower takes over within
``retry_seconds`` (plus the time the server needs to notice a dead connection).

A store without a leader lock (SQLite: one process) always leads.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

log = logging.getLogger("paperbot.leader")

#: how often a follower tries for the lock, and a leader checks it still holds it
RETRY_SECONDS = 5.0


class LeaderLock(Protocol):
    """A lock one process at a time holds; released when the holder's session ends."""

    name: str  # how logs name this process (host:pid)

    async def try_acquire(self) -> bool: ...

    async def holds(self) -> bool: ...

    async def holder(self) -> str | None: ...

    async def release(self) -> None: ...


def lock_of(store: object) -> LeaderLock | None:
    """The store's leader lock, or ``None`` for a store one process has alone (SQLite)."""
    make = getattr(store, "leader_lock", None)
    lock: LeaderLock | None = make() if callable(make) else None
    return lock


class Leadership:
    """Whether this process leads; :meth:`check` once per ``retry_seconds`` keeps it current."""

    def __init__(self, lock: LeaderLock | None, *, retry_seconds: float = RETRY_SECONDS,
                 on_lead: Callable[[], Awaitable[None]] | None = None) -> None:
        self.lock = lock
        self.retry_seconds = retry_seconds
        self.on_lead = on_lead
        self.leading = lock is None
        self._holder: str | None = None
        self._announced = False

    @property
    def name(self) -> str:
        return self.lock.name if self.lock is not None else "this process"

    async def check(self) -> bool:
        """Take or keep the lead; log a change; run ``on_lead`` when this process has just become leader."""
        if self.lock is None:
            if not self._announced:
                self._announced = True
                log.info("leader: this process runs the schedules and the daily fetch (one process per database)")
            return True
        was = self.leading
        self.leading = await self.lock.try_acquire()
        if self.leading and not was:
            self._holder = self.name
            log.info("leader: this process (%s) now leads: it runs the schedules and the daily fetch", self.name)
            if self.on_lead is not None:
                try:
                    await self.on_lead()
                except Exception:  # the timers run on; the next tick retries what failed
                    log.exception("leader: catching up after taking the lead failed")
        elif not self.leading:
            if was:
                log.warning("leader: this process (%s) lost the lead; it answers commands and tries again every "
                            "%g s", self.name, self.retry_seconds)
            holder = await self.lock.holder()
            if holder != self._holder or was:
                self._holder = holder
                log.info("leader: %s leads the schedules and the daily fetch; this process (%s) follows "
                         "(answers commands, tries for the lead every %g s)", holder or "another process",
                         self.name, self.retry_seconds)
        return self.leading

    async def confirm(self) -> bool:
        """Whether this process still leads, asked of the database now (before once-a-day work)."""
        if self.lock is None:
            return True
        if self.leading:
            self.leading = await self.lock.holds()
        return self.leading

    async def release(self) -> None:
        """Give the lead up (at stop): a follower takes over at its next try."""
        if self.lock is not None:
            was, self.leading = self.leading, False
            await self.lock.release()
            if was:
                log.info("leader: this process (%s) gave up the lead", self.name)
