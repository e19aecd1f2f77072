"""The request rate bot processes on one PostgreSQL database share (bot.shared_rate, storage/postgres/rate.py).

Every timeline here has its own database connection, as each process has. Assertions are on the slots the
database hands out (its own clock) or on counts per second with slack, never on how fast a loaded machine is.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from adapters.discord.pacing import Pacer
from bot.app import request_timeline
from bot.shared_rate import BATCH, SharedPacer
from storage.postgres import PostgresStore
from storage.postgres.rate import PostgresRequestTimeline
from storage.postgres.session import process_name

ROOT = Path(__file__).resolve().parents[2]
EPS = 1e-6


@pytest.fixture
async def timelines(pg_schema: tuple[str, str]) -> AsyncIterator[list[PostgresRequestTimeline]]:
    """Three timelines of one migrated schema, each on a connection of its own (three processes)."""
    url, schema = pg_schema
    await (await PostgresStore.open(url, schema=schema)).close()
    made = [PostgresRequestTimeline(url, schema) for _ in range(3)]
    try:
        yield made
    finally:
        for timeline in made:
            await timeline.close()


def max_per_second(times: list[float]) -> int:
    ordered = sorted(times)
    return max((bisect.bisect_left(ordered, t + 1.0) - i for i, t in enumerate(ordered)), default=0)


async def test_processes_taking_slots_at_once_never_get_the_same_slot_nor_one_before_now(timelines):
    interval = 0.01
    taken: list[tuple[float, int, float]] = []

    async def take_many(timeline: PostgresRequestTimeline, counts: list[int]) -> None:
        for count in counts:
            first, now = await timeline.take(count, interval)
            taken.append((first, count, now))

    await asyncio.gather(*(take_many(t, [1 + (i * 3 + n) % BATCH for n in range(25)]) for i, t in enumerate(timelines)))
    assert len(taken) == 75
    assert all(first >= now - EPS for first, _, now in taken)  # no slot before the database's now
    ordered = sorted(taken)
    for (first, count, _), (following, _, _) in itertools.pairwise(ordered):
        assert following >= first + count * interval - EPS  # batches never overlap


async def test_pacers_in_three_processes_together_keep_the_one_rate(timelines):
    rate, each = 20.0, 16  # requests per second for the bot; requests per process
    pacers = [SharedPacer(t, rate, alone=Pacer(rate)) for t in timelines]
    sent: list[float] = []
    loop = asyncio.get_running_loop()

    async def send(pacer: SharedPacer, requests: int) -> None:
        async def one() -> None:
            await pacer.wait()
            sent.append(loop.time())

        await asyncio.gather(*(one() for _ in range(requests)))

    start = loop.time()
    await asyncio.gather(*(send(p, each) for p in pacers))
    assert len(sent) == 3 * each
    # each pacer may send one late slot and the one after it together (after a stall): 2 each, plus the edge
    assert max_per_second(sent) <= rate + 2 * len(pacers) + 1  # three processes alone would reach 3 × 20
    assert loop.time() - start >= (3 * each - 2 * len(pacers) - 1) / rate  # the rate is the bot's, not each one's
    assert sum(p.taken for p in pacers) >= 3 * each


async def test_a_process_that_dies_holding_slots_delays_the_others_by_those_slots_at_most(pg_schema, timelines):
    url, schema = pg_schema
    interval = 0.05
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import asyncio, sys\n"
        "from storage.postgres.rate import PostgresRequestTimeline\n"
        "async def main():\n"
        f"    timeline = PostgresRequestTimeline({url!r}, {schema!r})\n"
        f"    await timeline.take({BATCH}, {interval})\n"
        "    print('holding', flush=True)\n"
        "    await asyncio.sleep(60)\n"
        "asyncio.run(main())\n", env=env, stdout=asyncio.subprocess.PIPE)
    try:
        assert holder.stdout is not None
        assert await asyncio.wait_for(holder.stdout.readline(), 30) == b"holding\n"
    finally:
        holder.send_signal(signal.SIGKILL)
        await holder.wait()
    survivor = timelines[0]
    first, now = await survivor.take(1, interval)
    assert first - now <= BATCH * interval + EPS  # after the dead one's slots, or now when they have passed
    await asyncio.sleep(BATCH * interval)
    first, now = await survivor.take(1, interval)
    assert first - now <= interval + EPS  # the dead one's slots have passed: the next one is the survivor's


async def test_a_connection_the_server_ended_is_opened_again_and_the_requests_go_on(pg_schema, timelines, caplog):
    url, _ = pg_schema
    caplog.set_level(logging.WARNING, logger="paperbot.rate")
    pacer = SharedPacer(timelines[0], 50.0, alone=Pacer(50.0))
    await pacer.wait()
    admin = await asyncpg.connect(url)
    try:  # the server ends this process' timeline session, as a database restart would
        ended = await admin.fetchval("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                                     " WHERE application_name = $1", f"paperbot-rate {process_name()}")
    finally:
        await admin.close()
    assert ended == 1
    for _ in range(2 * BATCH):
        await pacer.wait()
    assert pacer.taken >= 1 + 2 * BATCH // BATCH
    assert "unavailable" not in caplog.text


async def test_without_the_database_a_pacer_paces_alone_and_says_so(caplog):
    caplog.set_level(logging.WARNING, logger="paperbot.rate")
    unreachable = PostgresRequestTimeline("postgresql://postgres@127.0.0.1:9/none")  # nothing listens on port 9
    pacer = SharedPacer(unreachable, 50.0, alone=Pacer(50.0))
    try:
        for _ in range(BATCH):
            await pacer.wait()
    finally:
        await unreachable.close()
    assert pacer.taken == 0
    assert caplog.text.count("shared request rate unavailable") == 1  # once, then alone for a while
    assert "this process paces alone" in caplog.text


def test_only_a_postgresql_database_has_a_shared_timeline(tmp_path, postgres_url):
    assert request_timeline(tmp_path / "paperbot.db", "discord") is None  # SQLite: one process paces itself
    shared = request_timeline(Path(f"{postgres_url}?schema=s1"), "discord")  # as settings.db holds it
    assert isinstance(shared, PostgresRequestTimeline)
    assert (shared.url, shared.schema, shared.name) == (postgres_url, "s1", "discord")
