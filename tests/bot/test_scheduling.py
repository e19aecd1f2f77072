"""Schedules with a controlled clock: job functions and triggers called directly."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from rich.console import Console

from adapters.console.transport import ConsoleTransport
from bot.delivery import Deliverer
from bot.models import Digest, Paper
from bot.scheduling import ChannelPoster, ChannelScheduler, job_id, last_fire, trigger
from bot.store import Schedule

SEOUL, NEW_YORK, UTC = ZoneInfo("Asia/Seoul"), ZoneInfo("America/New_York"), dt.UTC


def sched(time="09:00", tz="Asia/Seoul", days=(0, 1, 2, 3, 4), since=dt.datetime(2024, 6, 1, tzinfo=UTC),
          **kw) -> Schedule:
    return Schedule("console", "C1", dt.time.fromisoformat(time), tz, days, set_by="U1", since=since, **kw)


def fires(schedule: Schedule, start: dt.datetime, count: int) -> list[dt.datetime]:
    t = trigger(schedule)
    out, prev, now = [], None, start
    for _ in range(count):
        nxt = t.get_next_fire_time(prev, now)
        out.append(nxt)
        prev, now = nxt, nxt + dt.timedelta(seconds=1)
    return out


def test_fires_at_nine_in_seoul_which_is_midnight_utc():
    (first, second) = fires(sched(), dt.datetime(2024, 6, 27, 12, tzinfo=UTC), 2)
    assert first.astimezone(UTC) == dt.datetime(2024, 6, 28, 0, 0, tzinfo=UTC)  # Fri 09:00 KST
    assert second.astimezone(SEOUL) == dt.datetime(2024, 7, 1, 9, 0, tzinfo=SEOUL)  # skips the weekend


def test_new_york_dst_changes_fire_once_at_the_local_time():
    daily = sched(tz="America/New_York", days=tuple(range(7)))
    spring = fires(daily, dt.datetime(2024, 3, 9, 0, tzinfo=UTC), 2)
    assert [f.astimezone(UTC).hour for f in spring] == [14, 13]  # 09:00 EST, then 09:00 EDT
    autumn = fires(sched("01:30", "America/New_York", tuple(range(7))), dt.datetime(2024, 11, 2, 12, tzinfo=UTC), 3)
    assert [f.astimezone(NEW_YORK).date().day for f in autumn] == [3, 4, 5]  # the repeated hour: once
    assert all(f.astimezone(NEW_YORK).time() == dt.time(1, 30) for f in autumn)
    gap = fires(sched("02:30", "America/New_York", tuple(range(7))), dt.datetime(2024, 3, 9, 12, tzinfo=UTC), 2)
    assert [f.astimezone(UTC) for f in gap] == [dt.datetime(2024, 3, 10, 7, 30, tzinfo=UTC),  # 03:30 EDT, once
                                               dt.datetime(2024, 3, 11, 6, 30, tzinfo=UTC)]


def test_last_fire_respects_weekdays_and_zone():
    s = sched()
    sunday = dt.datetime(2024, 6, 30, 12, tzinfo=UTC)
    assert last_fire(s, sunday) == dt.datetime(2024, 6, 28, 9, tzinfo=SEOUL)
    assert last_fire(s, dt.datetime(2024, 6, 28, 0, 0, tzinfo=UTC)) == dt.datetime(2024, 6, 28, 9, tzinfo=SEOUL)
    assert last_fire(s, dt.datetime(2024, 6, 27, 23, 59, tzinfo=UTC)) == dt.datetime(2024, 6, 27, 9, tzinfo=SEOUL)


class Clock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at


@pytest.fixture
def world(seeded):
    out = io.StringIO()
    clock = Clock(dt.datetime(2024, 6, 28, 0, 1, tzinfo=UTC))  # Fri 09:01 in Seoul
    transport = ConsoleTransport(Console(file=out, width=100, color_system=None))
    deliverer = Deliverer(seeded, {"console": transport}, clock=clock)
    poster = ChannelPoster(seeded, deliverer, clock=clock)
    return seeded, poster, clock, out


async def test_post_once_then_no_new_papers_once_then_a_late_digest(world):
    store, poster, clock, out = world
    await store.set_schedule(sched())
    first = await poster.run_due()
    assert [(r.post_key, r.outcome, r.sent) for r in first.results] == [("digest:2024-06-28", "sent", 10)]
    assert out.getvalue().count("Daily Papers — Fri, Jun 28, 2024") == 1
    again = await poster.run_due()  # a retry or a second process: nothing twice
    assert again.count("sent") == 0
    clock.at = dt.datetime(2024, 7, 1, 0, 5, tzinfo=UTC)  # Monday 09:05 KST, no new digest
    monday = await poster.run_due()
    assert [(r.post_key, r.outcome) for r in monday.results] == [("empty:2024-07-01", "sent")]
    assert "No new papers today." in out.getvalue()
    assert (await poster.run_due()).count("sent") == 0
    # the digest arrives late, at 11:00: posted when it arrives
    clock.at = dt.datetime(2024, 7, 1, 2, 0, tzinfo=UTC)
    await store.ingest(Digest(dt.date(2024, 7, 1), (Paper("2407.00001", "https://arxiv.org/abs/2407.00001",
                                                          "A late paper", votes=3),)))
    late = await poster.run_due()
    assert [(r.post_key, r.outcome) for r in late.results] == [("digest:2024-07-01", "sent")]
    assert "A late paper" in out.getvalue()
    # the next morning there is nothing new again
    clock.at = dt.datetime(2024, 7, 2, 0, 5, tzinfo=UTC)
    assert [r.post_key for r in (await poster.run_due()).results] == ["empty:2024-07-02"]


async def test_a_new_digest_waits_for_the_next_due_time_when_today_was_posted(world):
    store, poster, clock, _ = world
    await store.set_schedule(sched())
    await poster.run_due()  # Friday's post carries 2024-06-28
    clock.at = dt.datetime(2024, 6, 28, 10, 0, tzinfo=UTC)  # Friday 19:00 KST: the next digest arrives
    await store.ingest(Digest(dt.date(2024, 6, 28) + dt.timedelta(days=0), ()))  # an empty update: no post
    await store.ingest(Digest(dt.date(2024, 6, 29), (Paper("2406.99999", "https://arxiv.org/abs/2406.99999",
                                                           "Saturday paper"),)))
    assert (await poster.run_due()).count("sent") == 0  # Friday already had its post
    clock.at = dt.datetime(2024, 7, 1, 0, 1, tzinfo=UTC)  # Monday
    monday = await poster.run_due()
    assert [(r.post_key, r.outcome) for r in monday.results] == [("digest:2024-06-29", "sent")]


async def test_quiet_channels_get_no_empty_post_and_filters_apply(world):
    store, poster, clock, out = world
    await store.set_schedule(sched(quiet=True, top_n=2))
    result = await poster.run_due()
    assert result.results[0].sent == 3  # the post and two thread replies
    assert "top 2 of 9 papers" in out.getvalue()
    clock.at = dt.datetime(2024, 7, 1, 0, 5, tzinfo=UTC)
    assert [r.outcome for r in (await poster.run_due()).results] == ["skipped"]
    assert "No new papers" not in out.getvalue()


async def test_a_schedule_set_after_todays_time_starts_tomorrow_and_restart_catches_up_once(world):
    store, poster, clock, out = world
    await store.set_schedule(sched(since=dt.datetime(2024, 6, 28, 1, 0, tzinfo=UTC)))  # set at 10:00 KST
    assert (await poster.run_due()).count("sent") == 0
    # the bot was down at Monday 09:00; it starts at 15:00 and catches up, once
    clock.at = dt.datetime(2024, 7, 1, 6, 0, tzinfo=UTC)
    catch_up = await poster.run_due()
    assert [(r.post_key, r.outcome) for r in catch_up.results] == [("digest:2024-06-28", "sent")]
    assert (await poster.run_due()).count("sent") == 0
    assert out.getvalue().count("Daily Papers — Fri, Jun 28, 2024") == 1


async def test_scheduler_jobs_follow_schedule_changes(world):
    store, poster, _, _ = world
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.start(paused=True)
    channels = ChannelScheduler(scheduler, store, poster)
    await store.set_schedule(sched())
    assert await channels.load() == 1
    job = scheduler.get_job(job_id("console", "C1"))
    nxt = job.trigger.get_next_fire_time(None, dt.datetime(2024, 6, 28, 0, 1, tzinfo=UTC))
    assert nxt == dt.datetime(2024, 7, 1, 9, 0, tzinfo=SEOUL)
    await channels.update(sched("18:30", "Europe/Berlin"))
    job = scheduler.get_job(job_id("console", "C1"))
    assert job.trigger.get_next_fire_time(None, dt.datetime(2024, 6, 28, 0, 1, tzinfo=UTC)) == \
        dt.datetime(2024, 6, 28, 18, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    await channels.update(sched(enabled=False))
    assert scheduler.get_job(job_id("console", "C1")) is None
    # the job function itself, called as the scheduler would
    await store.set_schedule(sched(enabled=False))
    result = await channels.fire("console", "C1")
    assert result.outcome == "skipped" and result.detail == "schedule off"
    scheduler.shutdown(wait=False)
