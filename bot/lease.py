"""A delivery run's lease in the ledger: the claims a run makes stay its own while it renews them.

A run names itself (host, process id and a random suffix), records how long it will live
(``renew_lease``) and renews that every third of the lease. A claim whose owner's lease has
run out belongs to a dead run: the next run takes it over (see :mod:`bot.delivery`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
import uuid
from collections.abc import Callable

from bot.store import Store

log = logging.getLogger(__name__)

LEASE_SECONDS = 10.0  # a dead run's claims are taken over this long after its last heartbeat


def owner_alive(owner: str | None) -> bool | None:
    """Whether the run ``owner`` names is alive, when this host can tell: its process (host and pid are in the
    id) is running here or not; ``None`` for another host's run, or one with this process' pid (a restarted
    container reuses pids)."""
    host, _, rest = (owner or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


class Lease:
    """One run's lease; :meth:`start` keeps it renewed in the background, :meth:`stop` gives it up."""

    def __init__(self, store: Store, *, seconds: float = LEASE_SECONDS,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        self.store = store
        self.seconds = seconds
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.until: dt.datetime | None = None
        self._lock = asyncio.Lock()
        self._heartbeat: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.renew()
        self._heartbeat = asyncio.create_task(self._beat(), name="ledger lease")

    async def stop(self, *, release: bool) -> None:
        """Stop renewing; ``release`` gives the lease up at once (nothing of this run is in flight)."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            self._heartbeat = None
        if self.until is not None and release:
            with contextlib.suppress(Exception):  # the store may be gone already: the lease then just expires
                await self.store.release_lease(self.owner)
            self.until = None

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.seconds / 3)
            try:
                await self.renew()
            except Exception as exc:  # a failed renewal is retried; the lease outlives a few
                log.warning("ledger lease not renewed: %s", type(exc).__name__)

    async def renew(self) -> None:
        async with self._lock:
            self.until = self.clock() + dt.timedelta(seconds=self.seconds)
            await self.store.renew_lease(self.owner, self.until, info=f"{socket.gethostname()} pid {os.getpid()}")

    async def ensure(self) -> None:
        """Renew when a third of the lease is left (runs without a heartbeat renew as they claim)."""
        until = self.until
        if until is None or until - self.clock() < dt.timedelta(seconds=self.seconds * 2 / 3):
            await self.renew()
