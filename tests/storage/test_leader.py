"""Several bot processes on one PostgreSQL database: one leader runs the timers, a follower takes over."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging

import asyncpg
from rich.console import Console

from adapters.console.transport import ConsoleTransport
from bot.app import PaperBot
from bot.commands import Commands
from bot.config import Settings
from bot.leader import Leadership
from bot.scheduling import job_id
from bot.store import Schedule

SINCE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def daily(channel: str) -> Schedule:
    """Every day at 00:00 UTC, set long ago: due as soon as a leader looks."""
    return Schedule("console", channel, dt.time(0, 0), "UTC", tuple(range(7)), set_by="U1", since=SINCE)


async def wait_for(condition, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


async def test_one_process_leads_the_schedules_and_a_follower_takes_over_when_it_dies(pg_schema, caplog):
    from storage.postgres import PostgresStore

    url, schema = pg_schema
    settings = Settings(_env_file=None, PAPERBOT_LEADER_RETRY_SECONDS="0.2")  # type: ignore[call-arg]
    stores = [await PostgresStore.open(url, schema=schema) for _ in range(2)]  # two processes' pools
    await stores[0].set_schedule(daily("#A"))
    bots = [PaperBot(settings, s, Commands(s)) for s in stores]
    outs = [io.StringIO(), io.StringIO()]
    caplog.set_level(logging.INFO, logger="paperbot.leader")
    try:
        for bot, out in zip(bots, outs, strict=True):
            await bot.start("console", {"console": ConsoleTransport(Console(file=out, width=120, color_system=None))})
        leader, follower = bots
        assert leader.leading() and not follower.leading()
        assert outs[0].getvalue().count("No new papers today.") == 1  # #A, by the leader
        assert outs[1].getvalue() == ""
        assert "now leads" in caplog.text and "follows" in caplog.text

        # a schedule set through the follower: its timer leaves it to the leader, which picks it up
        await stores[1].set_schedule(daily("#B"))
        await follower.commands.on_schedule_change(daily("#B"))  # type: ignore[misc]
        assert await follower.channels.fire("console", "#B") is None  # type: ignore[union-attr]
        await leader.sync_schedules()
        assert leader.scheduler.get_job(job_id("console", "#B")) is not None
        assert outs[1].getvalue() == ""

        # the leader dies: its session ends (as when the process is killed), so does its lock
        leader.stop_background()
        conn = await asyncpg.connect(url)
        try:
            killed = await conn.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name LIKE 'paperbot-leader %' AND pid IN"
                " (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)")
        finally:
            await conn.close()
        assert killed == 1
        await stores[1].set_schedule(daily("#C"))
        # the follower leads within 30 s: it posts the new schedule, and catches up the one the leader missed
        assert await wait_for(lambda: "#C" in outs[1].getvalue() and "#B" in outs[1].getvalue(), 30), outs[1].getvalue()
        assert follower.leading()
        await asyncio.sleep(0.3)  # nothing else follows: the one already posted is not posted twice
        text = outs[1].getvalue()
        assert text.count("No new papers today.") == 2 and "#A" not in text
        assert "#C" not in outs[0].getvalue() and "#B" not in outs[0].getvalue()
    finally:
        for bot in bots:
            await bot.close()


async def test_a_store_without_a_leader_lock_always_leads(store):
    leadership = Leadership(None)
    assert leadership.leading and await leadership.check() and await leadership.confirm()


async def test_the_daily_fetch_runs_once_a_day_across_processes(any_store):
    """Two processes' daily fetch jobs (a leader that just lost its lock, say): the stored record decides."""
    from zoneinfo import ZoneInfo

    from bot.fetch import FetchJob
    from bot.models import Digest
    from bot.sources import SourceResult

    class Source:
        name = "hf"

        def __init__(self) -> None:
            self.asked: list[dt.date | None] = []

        async def fetch(self, date: dt.date | None) -> SourceResult:
            self.asked.append(date)
            return SourceResult(Digest(date or dt.date(2024, 6, 28)), (), "https://hf.test/daily")

    now = dt.datetime.now(dt.UTC)
    at = (now - dt.timedelta(minutes=1)).time() if now.time() >= dt.time(0, 1) else dt.time(0, 0)
    first, second = Source(), Source()
    jobs = [FetchJob(any_store, [s], ZoneInfo("UTC"), any_store, at) for s in (first, second)]
    assert [o.status for o in await jobs[0].run(now)] == ["ingested"]
    assert await jobs[1].run(now) == []  # fetched since today's fetch time: not again
    assert first.asked == [now.date()] and second.asked == []
