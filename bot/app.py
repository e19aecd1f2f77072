"""The running bot, independent of any platform: settings, store and commands together."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.alerts import deliver_alerts
from bot.commands import Commands
from bot.config import Settings
from bot.delivery import Deliverer, PostResult, Transport
from bot.digest_markdown import parse_file
from bot.fetch import CATCH_UP_JOB_ID, TICK_SECONDS, CatchUp, FetchJob
from bot.fetch import JOB_ID as FETCH_JOB
from bot.i18n import Lang
from bot.leader import Leadership, lock_of
from bot.scheduling import ChannelPoster, ChannelScheduler, job_id
from bot.seeds import seed_files
from bot.shared_rate import RequestTimeline, share_rate
from bot.store import IngestReport, Schedule, Store
from storage.open import is_postgres, open_store, store_url

RETRY_JOB = "ledger-retry"
RETRY_TICK_SECONDS = 15
LEADER_JOB = "leader"
#: the leader reloads the schedules this often: one set through another process (a Slack replica, a
#: Discord shard) is timed by the leader without a restart
SYNC_JOB = "schedule-sync"
SYNC_SECONDS = 10

log = logging.getLogger(__name__)


def request_timeline(db: str | os.PathLike[str], platform: str) -> RequestTimeline | None:
    """The timeline of ``platform``'s requests that every process on database ``db`` shares (PostgreSQL);
    ``None`` for SQLite (one process: it paces itself)."""
    if not is_postgres(db):
        return None
    from storage.postgres.rate import PostgresRequestTimeline

    return PostgresRequestTimeline(store_url(db), name=platform)


class LeaderScheduler(ChannelScheduler):
    """Channel jobs in every process, fired only by the leader; kept in step with the database."""

    def __init__(self, *args: Any, leading: Callable[[], bool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.leading = leading
        self.known: dict[tuple[str, str], Schedule] = {}

    async def load(self) -> int:
        loaded = await super().load()
        self.known = {(s.platform, s.channel): s for s in await self.store.schedules()}
        return loaded

    async def update(self, schedule: Schedule) -> None:
        self.known[(schedule.platform, schedule.channel)] = schedule
        await super().update(schedule)

    async def sync(self) -> int:
        """Apply schedules added, changed or removed (by any process) since the last look; how many."""
        current = {(s.platform, s.channel): s for s in await self.store.schedules()}
        changed = 0
        for key, schedule in current.items():
            if self.known.get(key) != schedule:
                await self.update(schedule)
                changed += 1
        for platform, channel in set(self.known) - set(current):
            del self.known[(platform, channel)]
            if self.scheduler.get_job(job_id(platform, channel)):
                self.scheduler.remove_job(job_id(platform, channel))
            changed += 1
        return changed

    async def fire(self, platform: str, channel: str, now: dt.datetime | None = None) -> PostResult | None:
        if not self.leading():
            return None  # the leader posts; the ledger would stop a second sender anyway
        return await super().fire(platform, channel, now)


@dataclass
class PaperBot:
    settings: Settings
    store: Store
    commands: Commands
    #: one scheduler per process: the daily fetch now, channel posts later (memory job store only)
    scheduler: AsyncIOScheduler = field(default_factory=lambda: AsyncIOScheduler(timezone="UTC"))

    @classmethod
    async def open(cls, settings: Settings, *, db: str | os.PathLike[str] | None = None) -> PaperBot:
        store = await open_store(db or settings.db)  # SQLite, or PostgreSQL for a postgresql:// URL
        return cls(settings, store, Commands(store, default_timezone=settings.timezone,
                                              default_language=settings.language), db=db or settings.db)

    async def ensure_seeded(self) -> int:
        """On first start (no digest stored), ingest the bundled sample digest; papers added."""
        if await self.store.digest_dates():
            return 0
        added = 0
        for path in seed_files():
            result = parse_file(path)
            if result.digest is not None:
                added += len((await self.store.ingest(result.digest, source=f"seed:{path.name}")).added)
        log.info("first start: stored the bundled sample digest (%d papers)", added)
        return added

    deliverer: Deliverer | None = None
    poster: ChannelPoster | None = None
    channels: LeaderScheduler | None = None
    #: whether this process runs the timers (several processes on one PostgreSQL database)
    leadership: Leadership | None = None
    #: the database ``open`` opened: on PostgreSQL the processes share the platform's request rate through it
    db: str | os.PathLike[str] | None = None
    timeline: RequestTimeline | None = None

    def leading(self) -> bool:
        return self.leadership is None or self.leadership.leading

    async def start(self, platform: str, transports: dict[str, Transport]) -> None:
        """Start the background work of a running bot: channel posts, the daily fetch, alerts.

        Adapters call this once they can send. Schedules are loaded from the database,
        kept in step with `/papers schedule` changes, and posts missed while the bot was
        down are caught up now (once: the delivery ledger sees to that).
        """
        if self.db is not None and self.timeline is None:
            self.timeline = request_timeline(self.db, platform)
        share_rate(transports.values(), self.timeline)
        self.deliverer = await Deliverer(self.store, transports,
                                         lease_seconds=self.settings.lease_seconds).__aenter__()
        self.poster = ChannelPoster(self.store, self.deliverer, language=self.settings.language)
        self.channels = LeaderScheduler(self.scheduler, self.store, self.poster, leading=self.leading)
        self.commands.on_schedule_change = self.channels.update
        loaded = await self.channels.load()
        self.start_fetching(platform)
        # unfinished posts (a crash, an outage) are retried with back-off until finished
        self.scheduler.add_job(self.retry_unfinished, "interval", seconds=RETRY_TICK_SECONDS, id=RETRY_JOB,
                               replace_existing=True, coalesce=True, max_instances=1)
        if self.leadership is None:
            self.leadership = Leadership(lock_of(self.store), retry_seconds=self.settings.leader_retry_seconds)
        if self.leadership.lock is not None:  # several processes may share the database
            self.leadership.on_lead = self.took_lead
            self.scheduler.add_job(self.leadership.check, "interval", seconds=self.leadership.retry_seconds,
                                   id=LEADER_JOB, replace_existing=True, coalesce=True, max_instances=1)
            self.scheduler.add_job(self.sync_schedules, "interval", seconds=SYNC_SECONDS, id=SYNC_JOB,
                                   replace_existing=True, coalesce=True, max_instances=1)
        if not self.scheduler.running:
            self.scheduler.start()
        log.info("%d channel schedule(s) loaded", loaded)
        # on PostgreSQL, taking the lead runs took_lead; a follower leaves the catching up to the leader
        if await self.leadership.check() and self.leadership.lock is None:
            await self.took_lead()

    async def took_lead(self) -> None:
        """This process has just become the leader: what the previous one left (or missed) is done now."""
        if self.poster is None:
            return
        if self.channels is not None:
            await self.channels.sync()
        await self.retry_unfinished()
        await self.poster.run_due()
        if self.scheduler.get_job(CATCH_UP_JOB_ID) is not None:  # missed fetches: its next round now
            self.scheduler.modify_job(CATCH_UP_JOB_ID, next_run_time=dt.datetime.now(dt.UTC))

    async def sync_schedules(self) -> None:
        """The leader's periodic look at the schedules table (changes made through other processes)."""
        if self.channels is None or not self.leading():
            return
        try:
            if changed := await self.channels.sync():
                log.info("%d channel schedule(s) changed through another process", changed)
        except Exception:  # the next tick looks again
            log.exception("reloading the channel schedules failed")

    async def retry_unfinished(self) -> None:
        """Finish posts and alerts a crash or an outage left unfinished (those whose back-off ran out)."""
        if self.deliverer is None or not self.leading():
            return
        from bot.alerts import orphans, send

        try:
            await send(self.deliverer, await orphans(self.store, set(self.deliverer.transports)),
                       language=Lang(self.settings.language))
            await self.deliverer.resume_unfinished()
        except Exception:  # the next tick tries again
            log.exception("retrying unfinished posts failed")

    async def after_ingest(self, report: IngestReport) -> None:
        """New papers: alert their subscribers, then post digests that arrived late."""
        if self.deliverer is None or self.poster is None:
            return
        if report.added:
            papers = [p.paper for p in [await self.store.paper(pid) for pid in report.added] if p is not None]
            await deliver_alerts(self.store, self.deliverer, report.date, papers,
                                 language=Lang(self.settings.language))
        if report.changed:
            await self.poster.run_due()

    async def fetch_now(self, job: FetchJob, now: dt.datetime | None = None) -> None:
        """The daily fetch job: fetch, store, then alerts and late posts for what was new (the leader's job)."""
        if self.leadership is not None and not await self.leadership.confirm():
            log.info("daily fetch: left to the leader")
            return
        for outcome in await job.run(now):
            if outcome.report is not None:
                await self.after_ingest(outcome.report)

    async def catch_up_now(self, catch_up: CatchUp, now: dt.datetime | None = None) -> None:
        """One catch-up round: missed days fetched, then alerts and late posts for what was new."""
        if not self.leading():
            return
        for outcome in await catch_up.tick(now):
            if outcome.report is not None:
                await self.after_ingest(outcome.report)

    def start_fetching(self, platform: str) -> list[str]:
        """Schedule the daily fetch and the catch-up from the configured sources; names of the sources.

        The catch-up's first round runs at once (a fresh deployment has papers within
        seconds), then every ``TICK_SECONDS``. The console fetches only when
        ``PAPERBOT_SOURCES`` is set explicitly, so that the embedded default never touches
        the network.
        """
        from bot.fetch import build_fetch_job
        from bot.sources.spec import sources_from_setting

        setting = self.settings.sources
        if platform == "console" and "sources" not in self.settings.model_fields_set:
            return []
        sources = sources_from_setting(setting, hf_api=self.settings.hf_api)
        if not sources:
            return []
        # a store without the fetch record (an older backend) gets the daily fetch only
        ledger = self.store if hasattr(self.store, "fetch_runs") else None
        job = build_fetch_job(self.scheduler, self.store, sources, self.settings.fetch_time,
                              self.settings.fetch_timezone, ledger=ledger)
        # same schedule, but new papers then go on to alerts and late posts
        self.scheduler.modify_job(FETCH_JOB, func=self.fetch_now, args=(job,))
        if self.settings.fetch_catchup_days and ledger is not None:
            catch_up = CatchUp(self.store, ledger, sources, self.settings.fetch_time, job.tz,
                               self.settings.fetch_catchup_days)
            self.scheduler.add_job(self.catch_up_now, "interval", seconds=TICK_SECONDS, args=(catch_up,),
                                   id=CATCH_UP_JOB_ID, name="catch up missed fetches", replace_existing=True,
                                   coalesce=True, max_instances=1, next_run_time=dt.datetime.now(dt.UTC))
        log.info("daily fetch at %s %s from %s", self.settings.fetch_time.strftime("%H:%M"),
                 self.settings.fetch_timezone, ", ".join(s.name for s in sources))
        return [s.name for s in sources]

    def stop_background(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def close(self) -> None:
        self.stop_background()
        if self.leadership is not None:
            await self.leadership.release()
        if self.deliverer is not None:
            await self.deliverer.close()
        if self.timeline is not None:
            await self.timeline.close()
        await self.store.close()
