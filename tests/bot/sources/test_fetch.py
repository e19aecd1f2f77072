"""bot.fetch: fetch_into touches the store only with a digest; the daily job and its schedule."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from zoneinfo import ZoneInfo

import httpx
import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.fetch import JOB_ID, build_fetch_job, fetch_into
from bot.http import FetchError, make_client
from bot.models import Digest, Paper, Problem
from bot.sources import HuggingFaceSource, SourceResult
from bot.store import IngestReport

DAY = dt.date(2024, 6, 28)
DIGEST = Digest(DAY, (Paper("2406.18629", "https://arxiv.org/abs/2406.18629", "Step-DPO"),))


class FakeStore:
    """A test double for the Store protocol: only ``ingest``, recording its calls."""

    def __init__(self) -> None:
        self.ingested: list[tuple[Digest, str]] = []

    async def ingest(self, digest: Digest, *, source: str = "") -> IngestReport:
        self.ingested.append((digest, source))
        return IngestReport(digest.date, added=tuple(p.arxiv_id for p in digest.papers))


class FakeSource:
    def __init__(self, answer: SourceResult | Exception, name: str = "fake") -> None:
        self.name = name
        self.answer = answer
        self.asked: list[dt.date | None] = []

    async def fetch(self, date: dt.date | None) -> SourceResult:
        self.asked.append(date)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


async def test_ingests_a_digest_with_its_origin() -> None:
    store = FakeStore()
    warning = Problem("x.md", 3, "odd", "warning")
    outcome = await fetch_into(store, FakeSource(SourceResult(DIGEST, (warning,), "x.md")), DAY)
    assert store.ingested == [(DIGEST, "x.md")]
    assert outcome.ok
    assert outcome.status == "ingested"
    assert outcome.report is not None and outcome.report.added == ("2406.18629",)
    assert outcome.problems == (warning,)


async def test_an_empty_day_is_ingested() -> None:
    store = FakeStore()
    outcome = await fetch_into(store, FakeSource(SourceResult(Digest(DAY), (), "u")), DAY)
    assert outcome.ok
    assert store.ingested == [(Digest(DAY), "u")]


async def test_failed_fetch_touches_nothing(caplog: pytest.LogCaptureFixture) -> None:
    store = FakeStore()
    error = FetchError("GET https://hf.test/x failed: HTTP 503 after 4 attempts", url="https://hf.test/x", status=503)
    with caplog.at_level(logging.ERROR, logger="paperbot.fetch"):
        outcome = await fetch_into(store, FakeSource(error), DAY)
    assert store.ingested == []
    assert not outcome.ok
    assert outcome.status == "failed"
    assert outcome.error == str(error)
    assert outcome.origin == "https://hf.test/x"
    assert "HTTP 503 after 4 attempts" in caplog.text


async def test_failed_http_source_touches_nothing() -> None:
    store = FakeStore()
    client = make_client(httpx.MockTransport(lambda request: httpx.Response(503)))
    source = HuggingFaceSource(client=client, api_base="https://hf.test/api", attempts=2, backoff=0)
    outcome = await fetch_into(store, source, DAY)
    assert outcome.status == "failed"
    assert outcome.error is not None and "HTTP 503 after 2 attempts" in outcome.error
    assert store.ingested == []


async def test_no_digest_is_reported_not_ingested(caplog: pytest.LogCaptureFixture) -> None:
    store = FakeStore()
    problem = Problem("y.md", 1, "no date")
    with caplog.at_level(logging.WARNING, logger="paperbot.fetch"):
        outcome = await fetch_into(store, FakeSource(SourceResult(None, (problem,), "y.md")), DAY)
    assert outcome.status == "no-digest"
    assert outcome.problems == (problem,)
    assert store.ingested == []
    assert "y.md:1: error: no date" in caplog.text


async def test_job_is_scheduled_in_the_time_zone() -> None:
    scheduler = AsyncIOScheduler()
    store = FakeStore()
    build_fetch_job(scheduler, store, [], dt.time(9, 30), "Asia/Seoul")
    build_fetch_job(scheduler, store, [], dt.time(7, 15), "Asia/Seoul")  # replaces
    scheduler.start(paused=True)
    try:
        jobs = scheduler.get_jobs()
        assert [j.id for j in jobs] == [JOB_ID]
        job = jobs[0]
        assert isinstance(job.trigger, CronTrigger)
        assert job.trigger.timezone == ZoneInfo("Asia/Seoul")
        fields = {f.name: str(f) for f in job.trigger.fields}
        assert (fields["hour"], fields["minute"]) == ("7", "15")
        assert job.coalesce is True
        assert job.misfire_grace_time == 3600
        now = dt.datetime(2024, 6, 28, 8, 0, tzinfo=ZoneInfo("Asia/Seoul"))
        assert job.trigger.get_next_fire_time(None, now) == dt.datetime(
            2024, 6, 29, 7, 15, tzinfo=ZoneInfo("Asia/Seoul")
        )
    finally:
        scheduler.shutdown(wait=False)


async def test_scheduler_runs_the_job() -> None:
    ingested = asyncio.Event()

    class SignallingStore(FakeStore):
        async def ingest(self, digest: Digest, *, source: str = "") -> IngestReport:
            ingested.set()
            return await super().ingest(digest, source=source)

    store = SignallingStore()
    source = FakeSource(SourceResult(DIGEST, (), "good"))
    scheduler = AsyncIOScheduler()
    build_fetch_job(scheduler, store, [source], dt.time(3, 0), "UTC")
    scheduler.start()
    try:
        scheduler.modify_job(JOB_ID, next_run_time=dt.datetime.now(dt.UTC))
        await asyncio.wait_for(ingested.wait(), timeout=2)
    finally:
        scheduler.shutdown(wait=False)
    assert source.asked == [dt.datetime.now(dt.UTC).date()]
    assert store.ingested == [(DIGEST, "good")]


def test_unknown_time_zone() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        build_fetch_job(AsyncIOScheduler(), FakeStore(), [], dt.time(9), "Mars/Olympus")


async def test_job_fetches_today_in_its_time_zone() -> None:
    store = FakeStore()
    good = FakeSource(SourceResult(DIGEST, (), "good"), "good")
    broken = FakeSource(RuntimeError("bug"), "broken")
    failing = FakeSource(FetchError("down"), "failing")
    job = build_fetch_job(AsyncIOScheduler(), store, [broken, failing, good], dt.time(9), "Asia/Seoul")
    # 23:30 UTC on the 27th is already the 28th in Seoul (UTC+9).
    outcomes = await job.run(now=dt.datetime(2024, 6, 27, 23, 30, tzinfo=dt.UTC))
    assert good.asked == broken.asked == failing.asked == [DAY]
    assert [(o.source, o.status) for o in outcomes] == [
        ("broken", "failed"),
        ("failing", "failed"),
        ("good", "ingested"),
    ]
    assert outcomes[0].error == "RuntimeError: bug"
    assert store.ingested == [(DIGEST, "good")]
    await job.run(now=dt.datetime(2024, 6, 27, 14, 0))  # noqa: DTZ001  # naive means UTC (tested): 23:00 in Seoul
    assert good.asked[-1] == dt.date(2024, 6, 27)
