"""Fetch digests into the store, now or every day at a set time."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.http import FetchError
from bot.models import Digest, Problem
from bot.sources.base import Source
from bot.store import IngestReport

log = logging.getLogger("paperbot.fetch")

JOB_ID = "fetch"

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


class FetchJob:
    """Fetch today's digest (today in ``tz``) from each source in turn."""

    def __init__(self, store: DigestSink, sources: Sequence[Source], tz: ZoneInfo) -> None:
        self.store = store
        self.sources = tuple(sources)
        self.tz = tz

    async def run(self, now: dt.datetime | None = None) -> list[FetchOutcome]:
        """One run; ``now`` (aware, or naive meaning UTC) is injectable for tests."""
        if now is None:
            now = dt.datetime.now(self.tz)
        elif now.tzinfo is None:
            now = now.replace(tzinfo=dt.UTC)
        today = now.astimezone(self.tz).date()
        outcomes: list[FetchOutcome] = []
        for source in self.sources:
            try:
                outcomes.append(await fetch_into(self.store, source, today))
            except Exception as exc:  # one source's bug or a store error must not stop the others
                log.exception("%s: fetch for %s crashed", source.name, today.isoformat())
                outcomes.append(FetchOutcome(source.name, today, "failed", error=f"{type(exc).__name__}: {exc}"))
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
) -> FetchJob:
    """Schedule the daily fetch at ``at`` in ``tz`` (job id ``"fetch"``, replacing any earlier one).

    The job lives in the scheduler's default (memory) job store: its function is a bound
    method, which a persistent job store could not serialise. Call ``.run(now=…)`` on
    the returned job to run it directly.
    """
    zone_info = zone(tz)
    job = FetchJob(store, sources, zone_info)
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
