"""Fetch digests into the store: now, every day at a set time, and catching up missed days.

The catch-up (:class:`CatchUp`) keeps a record per source and day (``fetch_runs``): at start
and on every tick it fetches each day of the window (``PAPERBOT_FETCH_CATCHUP_DAYS``, today
included) that has not been fetched successfully since that day's fetch time, today first.
A fresh deployment therefore fetches at once, a day missed while the bot was down is fetched
after the restart, and a failed fetch is retried with back-off through the day.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot import metrics
from bot.http import FetchError
from bot.models import Digest, Problem
from bot.sources.base import Source
from bot.store import FetchRun, IngestReport

log = logging.getLogger("paperbot.fetch")

JOB_ID = "fetch"
CATCH_UP_JOB_ID = "fetch-catch-up"
#: how often the catch-up looks for missed days
TICK_SECONDS = 60
#: back-off after a failed (or, today, empty) fetch: doubling from the first to the last
RETRY_FIRST = dt.timedelta(minutes=1)
RETRY_MAX = dt.timedelta(hours=1)

Status = Literal["ingested", "no-digest", "failed"]


class DigestSink(Protocol):
    """The one thing fetching needs from a :class:`bot.store.Store`."""

    async def ingest(self, digest: Digest, *, source: str = "") -> IngestReport: ...


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """What one fetch did: ``ingested`` (``report`` set), ``no-digest`` (see ``problems``) or ``failed``."""

    source: str
    date: dt.date | None  # as asked for; None = latest
    status: Status
    origin: str = ""
    report: IngestReport | None = None
    problems: tuple[Problem, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ingested"


def _log_problem(source: str, problem: Problem) -> None:
    level = logging.ERROR if problem.severity == "error" else logging.WARNING
    log.log(level, "%s: %s", source, problem)


async def fetch_into(store: DigestSink, source: Source, date: dt.date | None) -> FetchOutcome:
    """Fetch ``date`` (None = latest) from ``source`` and ingest it.

    The store is called only when a digest came back; a failed fetch
    (:class:`FetchError`) comes back as a ``failed`` outcome and leaves the store alone.
    """
    try:
        result = await source.fetch(date)
    except FetchError as exc:
        log.error("%s: fetch failed: %s", source.name, exc)
        return FetchOutcome(source.name, date, "failed", origin=exc.url, error=str(exc))
    for problem in result.problems:
        _log_problem(source.name, problem)
    if result.digest is None:
        log.warning("%s: no digest from %s", source.name, result.origin)
        return FetchOutcome(source.name, date, "no-digest", result.origin, problems=result.problems)
    report = await store.ingest(result.digest, source=result.origin)
    log.info(
        "%s: %s from %s: %d papers, %d new, %d updated",
        source.name,
        result.digest.date.isoformat(),
        result.origin,
        len(result.digest.papers),
        len(report.added),
        len(report.updated),
    )
    return FetchOutcome(source.name, date, "ingested", result.origin, report, result.problems)


class FetchLedger(Protocol):
    """What the catch-up needs from a :class:`bot.store.Store` besides ingesting."""

    async def record_fetch(self, source: str, day: dt.date, status: str, at: dt.datetime, error: str = "") -> None:
        ...

    async def fetch_runs(self, since: dt.date) -> list[FetchRun]: ...


def ledger_status(outcome: FetchOutcome) -> str:
    """``ingested``, ``empty`` (the source answered with no digest: a weekend, no file yet) or ``failed``."""
    return {"ingested": "ingested", "no-digest": "empty"}.get(outcome.status, "failed")


async def note(ledger: FetchLedger | None, outcome: FetchOutcome, day: dt.date, at: dt.datetime) -> None:
    """Count ``outcome`` in the metrics and, with a ledger, record it for the catch-up."""
    status = ledger_status(outcome)
    metrics.fetches.labels(outcome.source, status).inc()
    if status != "failed":
        metrics.fetch_succeeded(at)
    if ledger is not None:
        try:
            await ledger.record_fetch(outcome.source, day, status, at, outcome.error or "")
        except Exception:  # the record is an optimisation: the next tick fetches the day again
            log.exception("%s: could not record the fetch of %s", outcome.source, day.isoformat())


class FetchJob:
    """Fetch today's digest (today in ``tz``) from each source in turn."""

    def __init__(self, store: DigestSink, sources: Sequence[Source], tz: ZoneInfo,
                 ledger: FetchLedger | None = None, at: dt.time | None = None) -> None:
        self.store = store
        self.sources = tuple(sources)
        self.tz = tz
        self.ledger = ledger
        self.at = at  # the daily fetch time: with the ledger, a day fetched since then is not fetched again

    async def fetched_today(self, today: dt.date) -> set[str]:
        """Sources whose digest for ``today`` was ingested since today's fetch time (by any process).

        The once-a-day guard: several processes on one database (a leader that just lost its
        lock, a restart at the fetch time) fetch a day once; the stored record decides.
        """
        if self.ledger is None or self.at is None:
            return set()
        moment = dt.datetime.combine(today, self.at, tzinfo=self.tz)
        try:
            runs = await self.ledger.fetch_runs(today)
        except Exception:  # no record to go by: fetch (ingesting a day twice changes nothing)
            log.exception("could not read the fetch record")
            return set()
        return {r.source for r in runs if r.day == today and r.ok_status == "ingested"
                and r.ok_at is not None and r.ok_at >= moment}

    async def run(self, now: dt.datetime | None = None) -> list[FetchOutcome]:
        """One run; ``now`` (aware, or naive meaning UTC) is injectable for tests."""
        if now is None:
            now = dt.datetime.now(self.tz)
        elif now.tzinfo is None:
            now = now.replace(tzinfo=dt.UTC)
        today = now.astimezone(self.tz).date()
        done = await self.fetched_today(today)
        outcomes: list[FetchOutcome] = []
        for source in self.sources:
            if source.name in done:
                log.info("%s: %s already fetched today", source.name, today.isoformat())
                continue
            outcome = await fetch_safely(self.store, source, today)
            await note(self.ledger, outcome, today, dt.datetime.now(dt.UTC))
            outcomes.append(outcome)
        return outcomes


async def fetch_safely(store: DigestSink, source: Source, day: dt.date) -> FetchOutcome:
    """:func:`fetch_into`, with a crash (one source's bug, a store error) as a ``failed`` outcome."""
    try:
        return await fetch_into(store, source, day)
    except Exception as exc:  # one source's bug or a store error must not stop the others
        log.exception("%s: fetch for %s crashed", source.name, day.isoformat())
        return FetchOutcome(source.name, day, "failed", error=f"{type(exc).__name__}: {exc}")


class CatchUp:
    """Fetch every day of the window that has no successful fetch since its fetch time.

    A day's *fetch moment* is ``at`` on that day in ``tz``. Day D is due when no fetch of it
    succeeded yet; or when the last success came before D's fetch moment and that moment has
    passed (fetched early: fetch again once the source publishes); or when D is today, its
    moment has passed and the source had nothing (it may still publish). A failure, or an
    empty answer for today, puts that source and day on back-off (1 min doubling to 1 h)
    until it answers. Today comes first, so a fresh deployment has today's papers at once.
    """

    def __init__(self, store: DigestSink, ledger: FetchLedger, sources: Sequence[Source], at: dt.time,
                 tz: ZoneInfo, days: int) -> None:
        self.store = store
        self.ledger = ledger
        self.sources = tuple(sources)
        self.at = at
        self.tz = tz
        self.days = days
        self._retry_at: dict[tuple[str, dt.date], dt.datetime] = {}
        self._delay: dict[tuple[str, dt.date], dt.timedelta] = {}

    def moment(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, self.at, tzinfo=self.tz)

    def window(self, now: dt.datetime) -> list[dt.date]:
        """The days to keep fetched, today first."""
        today = now.astimezone(self.tz).date()
        return [today - dt.timedelta(days=n) for n in range(self.days)]

    def is_due(self, day: dt.date, run: FetchRun | None, now: dt.datetime) -> bool:
        if run is None or run.ok_at is None:
            return True
        moment = self.moment(day)
        if now < moment:
            return False  # fetched already today, before publication: wait for the fetch time
        if run.ok_at < moment:
            return True
        return run.ok_status == "empty" and day == now.astimezone(self.tz).date()

    async def due(self, now: dt.datetime) -> list[tuple[Source, dt.date]]:
        """``(source, day)`` pairs to fetch now, today first; those on back-off left out."""
        days = self.window(now)
        if not days:
            return []
        runs = {(r.source, r.day): r for r in await self.ledger.fetch_runs(days[-1])}
        return [(source, day) for day in days for source in self.sources
                if now >= self._retry_at.get((source.name, day), now)
                and self.is_due(day, runs.get((source.name, day)), now)]

    async def tick(self, now: dt.datetime | None = None) -> list[FetchOutcome]:
        """One round: fetch what is due; outcomes in order (``now`` injectable for tests)."""
        injected = now is not None
        now = now or dt.datetime.now(dt.UTC)
        today = now.astimezone(self.tz).date()
        outcomes: list[FetchOutcome] = []
        for source, day in await self.due(now):
            outcome = await fetch_safely(self.store, source, day)
            await note(self.ledger, outcome, day, now if injected else dt.datetime.now(dt.UTC))
            outcomes.append(outcome)
            empty_today = outcome.status == "no-digest" and day == today and now >= self.moment(day)
            key = (source.name, day)
            if outcome.status == "failed" or empty_today:
                delay = min(RETRY_MAX, self._delay[key] * 2) if key in self._delay else RETRY_FIRST
                self._delay[key] = delay
                self._retry_at[key] = now + delay
                log.info("%s: %s: next try in %d s", source.name, day.isoformat(), delay.total_seconds())
            else:
                self._retry_at.pop(key, None)
                self._delay.pop(key, None)
        return outcomes


def zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz!r}") from exc


def build_fetch_job(
    scheduler: AsyncIOScheduler,
    store: DigestSink,
    sources: Sequence[Source],
    at: dt.time,
    tz: str,
    ledger: FetchLedger | None = None,
) -> FetchJob:
    """Schedule the daily fetch at ``at`` in ``tz`` (job id ``"fetch"``, replacing any earlier one).

    The job lives in the scheduler's default (memory) job store: its function is a bound
    method, which a persistent job store could not serialise. Call ``.run(now=…)`` on
    the returned job to run it directly.
    """
    zone_info = zone(tz)
    job = FetchJob(store, sources, zone_info, ledger, at)
    scheduler.add_job(
        job.run,
        CronTrigger(hour=at.hour, minute=at.minute, timezone=zone_info),
        id=JOB_ID,
        name="fetch daily digests",
        replace_existing=True,
        coalesce=True,
        misfire_grace_time=3600,
        max_instances=1,
    )
    return job
