"""Channel schedules: when each channel's daily post is due, and which digest it carries.

One APScheduler 3.x ``CronTrigger`` per schedule, in the channel's own time zone (so DST
transitions fire once, at the right local time), built from the database at start and
kept in step when a schedule changes. Jobs live in the memory job store: the database is
the source of truth, and the ledger makes every run idempotent.

Which digest a post carries is explicit: at the channel's latest due time *F* (its most
recent scheduled local time, not before the schedule was set), the post is the newest
stored digest no older than the window, unless it was posted already. When there is none,
the channel gets one "no new papers" note for that day (or silence, if it asked for
``quiet``). A digest that arrives after *F* is posted when it arrives, unless the channel
already had a digest since *F*; a run missed while the bot was down is caught up at
start, once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot import post_keys
from bot.delivery import Deliverer, Outcome, PostResult, RunSummary
from bot.i18n import DEFAULT, Lang, channel_lang
from bot.layout import DigestOptions, digest_messages, digest_title
from bot.messages import Header, Message, MessageKind, Notice
from bot.schedule_spec import DAYS
from bot.store import Schedule, Store, StoredDigest

log = logging.getLogger(__name__)

WINDOW_DAYS = 4  # a Friday digest is still news on Monday morning


class LocalTimeTrigger(CronTrigger):  # type: ignore[misc]  # APScheduler 3 ships no type hints
    """A ``CronTrigger`` that fires once per local day even when DST repeats the hour.

    APScheduler 3.x fires at both occurrences of an ambiguous local time (01:30 EDT and
    01:30 EST on the night clocks go back) and then keeps returning the second one; this
    keeps the first and moves on to the next day.
    """

    def get_next_fire_time(self, previous_fire_time: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
        nxt: dt.datetime | None = super().get_next_fire_time(previous_fire_time, now)
        for _ in range(3):
            if nxt is None:
                return None
            repeated = nxt.fold == 1 and nxt.replace(fold=0).utcoffset() != nxt.utcoffset()
            stuck = previous_fire_time is not None and nxt <= previous_fire_time
            if not (repeated or stuck):
                return nxt
            nxt = super().get_next_fire_time(None, nxt + dt.timedelta(hours=1, seconds=1))
        return nxt


def trigger(schedule: Schedule) -> CronTrigger:
    """The one rule for when a channel is due: this trigger fires the jobs, and
    :func:`last_fire` asks it (never a second computation) when it last fired."""
    return LocalTimeTrigger(day_of_week=",".join(DAYS[d] for d in schedule.weekdays), hour=schedule.time.hour,
                            minute=schedule.time.minute, timezone=zone_of(schedule))


def zone_of(schedule: Schedule) -> ZoneInfo:
    """The schedule's zone; :class:`BadSchedule` for a value stored by an older version or a hand edit."""
    try:
        return ZoneInfo(schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise BadSchedule(schedule, f"unknown time zone {schedule.timezone!r}") from exc


class BadSchedule(ValueError):
    """A stored schedule that can't be run; reported once and skipped, never a crash loop."""

    def __init__(self, schedule: Schedule, reason: str) -> None:
        super().__init__(f"{schedule.platform}:{schedule.channel}: {reason}")
        self.schedule = schedule
        self.reason = reason


def last_fire(schedule: Schedule, now: dt.datetime) -> dt.datetime | None:
    """The most recent fire time of the schedule's trigger at or before ``now`` (within 8 days), aware."""
    rule = trigger(schedule)
    fire: dt.datetime | None = None
    candidate = rule.get_next_fire_time(None, now - dt.timedelta(days=8))
    while candidate is not None and candidate <= now:
        fire = candidate
        candidate = rule.get_next_fire_time(candidate, candidate + dt.timedelta(seconds=1))
    return fire


_reported: set[tuple[str, str, str]] = set()


def report_bad(exc: BadSchedule) -> None:
    """One log line per bad stored schedule and process, not one per run."""
    key = (exc.schedule.platform, exc.schedule.channel, exc.reason)
    if key not in _reported:
        _reported.add(key)
        log.error("schedule %s skipped: %s (set it again with /papers schedule set, or paperbot schedule)",
                  f"{exc.schedule.platform}:{exc.schedule.channel}", exc.reason)


def job_id(platform: str, channel: str) -> str:
    return f"post:{platform}:{channel}"


class Instant:
    """What the channels planned at one instant share (a fan-out plans a thousand at once): the due time of
    identical schedules, the channels marked unavailable, the stored digests, and a digest's messages per
    options and language."""

    def __init__(self, store: Store, now: dt.datetime) -> None:
        self.store, self.now = store, now
        self._fires: dict[tuple[dt.time, str, tuple[int, ...]], dt.datetime | None] = {}
        self._dates: asyncio.Future[list[dt.date]] | None = None
        self._unavailable: dict[str, asyncio.Future[dict[str, str]]] = {}
        self._digests: dict[dt.date, asyncio.Future[StoredDigest | None]] = {}
        self._messages: dict[tuple[dt.date, DigestOptions, Lang], tuple[Message, ...]] = {}

    def last_fire(self, schedule: Schedule) -> dt.datetime | None:
        key = (schedule.time, schedule.timezone, schedule.weekdays)
        if key not in self._fires:
            self._fires[key] = last_fire(schedule, self.now)
        return self._fires[key]

    async def unavailable(self, platform: str) -> dict[str, str]:
        if platform not in self._unavailable:
            self._unavailable[platform] = asyncio.ensure_future(self.store.unavailable(platform))
        return await self._unavailable[platform]

    async def digest_dates(self) -> list[dt.date]:
        if self._dates is None:
            self._dates = asyncio.ensure_future(self.store.digest_dates())
        return await self._dates

    async def digest(self, day: dt.date) -> StoredDigest | None:
        if day not in self._digests:
            self._digests[day] = asyncio.ensure_future(self.store.digest(day))
        return await self._digests[day]

    def messages(self, stored: StoredDigest, options: DigestOptions, t: Lang) -> tuple[Message, ...]:
        key = (stored.date, options, t)
        if key not in self._messages:
            self._messages[key] = digest_messages(stored, options, t=t)
        return self._messages[key]


class ChannelPoster:
    """Decides and delivers each channel's post at a given instant."""

    def __init__(self, store: Store, deliverer: Deliverer, *, window_days: int = WINDOW_DAYS,
                 clock: Callable[[], dt.datetime] | None = None, language: str = DEFAULT) -> None:
        self.store = store
        self.language = Lang(language)  # PAPERBOT_LANGUAGE: for channels without /papers language
        self.deliverer = deliverer
        self.window_days = window_days
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._instant: Instant | None = None

    def at(self, now: dt.datetime) -> Instant:
        if self._instant is None or self._instant.now != now:
            self._instant = Instant(self.store, now)
        return self._instant

    async def plan(self, schedule: Schedule, now: dt.datetime,
                   *, force: bool = False) -> tuple[str, tuple[Message, ...]] | str:
        """``(post_key, messages)`` to deliver now, or why nothing is due.

        ``force`` treats the channel as due right now (``paperbot deliver --now``).
        """
        platform, channel = schedule.platform, schedule.channel
        if not schedule.enabled:
            return "schedule off"
        instant = self.at(now)
        if channel in await instant.unavailable(platform):
            return "channel unavailable"
        fire = now.astimezone(zone_of(schedule)) if force else instant.last_fire(schedule)
        if fire is None or (not force and schedule.since is not None and fire < schedule.since):
            return "not due yet"
        local_day = fire.date()
        oldest = local_day - dt.timedelta(days=self.window_days)
        started = await self.store.started_posts(platform, channel)
        done = await self.store.sent_posts(platform, channel)
        options = DigestOptions(top_n=schedule.top_n, min_votes=schedule.min_votes)
        t = await channel_lang(self.store, platform, channel, self.language)
        day_start = dt.datetime.combine(local_day, dt.time(), tzinfo=fire.tzinfo)
        for day in sorted(await instant.digest_dates(), reverse=True):
            if day < oldest or day > local_day:
                continue
            stored = await instant.digest(day)
            if stored is None or not stored.papers:
                continue  # an empty day (weekend) is no digest to post
            key = post_keys.digest(day)
            if key in done:
                if await self.store.posted_since(platform, channel, post_keys.DIGEST, day_start):
                    return "nothing new"  # today's post is out: no "no new papers" note after it
                break  # the newest digest was posted on an earlier day: nothing new today
            if key not in started and await self.store.posted_since(platform, channel, post_keys.DIGEST, fire):
                return "already posted since the last due time"
            return key, instant.messages(stored, options, t)
        key = post_keys.empty(local_day)
        if schedule.quiet or key in started or await self.store.posted_since(platform, channel, post_keys.DIGEST, fire):
            return "nothing new"
        note = Message((Header(digest_title(local_day, t)), Notice(t._("No new papers today."))),
                       kind=MessageKind.DIGEST)
        return key, (note,)

    async def run_channel(self, schedule: Schedule, now: dt.datetime | None = None,
                          *, dry_run: bool = False, force: bool = False) -> PostResult:
        now = now or self.clock()
        resumed: PostResult | None = None
        if not dry_run and schedule.platform in self.deliverer.transports:
            # an older post's thread is finished before a newer post goes out
            for earlier in await self.deliverer.resume_unfinished(platforms={schedule.platform},
                                                                  target=schedule.channel, due_only=False):
                await self.store.record_run(earlier.platform, earlier.target, earlier.post_key, earlier.outcome,
                                            earlier.detail)
                if earlier.outcome not in (Outcome.SENT, Outcome.SKIPPED):
                    return earlier
                resumed = earlier if earlier.outcome == Outcome.SENT else resumed
        plan = await self.plan(schedule, now, force=force)
        if isinstance(plan, str):
            return resumed or PostResult(schedule.platform, schedule.channel, "", Outcome.SKIPPED, detail=plan)
        key, messages = plan
        if dry_run:
            return PostResult(schedule.platform, schedule.channel, key, Outcome.DRY_RUN,
                              detail=f"{len(messages)} messages")
        result = await self.deliverer.deliver(schedule.platform, schedule.channel, key, messages,
                                              report_to=f"user:{schedule.set_by}" if schedule.set_by else "")
        await self.store.record_run(schedule.platform, schedule.channel, key, result.outcome, result.detail)
        return result

    async def run_due(self, now: dt.datetime | None = None, *, channels: set[str] | None = None,
                      platforms: set[str] | None = None, dry_run: bool = False, force: bool = False) -> RunSummary:
        """Every enabled schedule at once (bounded by the deliverer), one summary line."""
        now = now or self.clock()
        schedules = [s for s in await self.store.schedules()
                     if s.enabled and (channels is None or s.channel in channels)
                     and (platforms is None or s.platform in platforms)
                     and s.platform in self.deliverer.transports]
        results = await asyncio.gather(*(self.run_safely(s, now, dry_run=dry_run, force=force) for s in schedules))
        summary = RunSummary([r for r in results if r.outcome != Outcome.SKIPPED or r.post_key])
        summary.results += [r for r in results if r.outcome == Outcome.SKIPPED and not r.post_key]
        log.info(summary.line())
        return summary

    async def run_safely(self, schedule: Schedule, now: dt.datetime, *, dry_run: bool = False,
                         force: bool = False) -> PostResult:
        try:
            return await self.run_channel(schedule, now, dry_run=dry_run, force=force)
        except BadSchedule as exc:
            report_bad(exc)
            return PostResult(schedule.platform, schedule.channel, "", Outcome.FAILED, detail=exc.reason)
        except Exception as exc:  # one channel's failure never stops the others
            log.exception("%s %s: delivery crashed", schedule.platform, schedule.channel)
            return PostResult(schedule.platform, schedule.channel, "", Outcome.FAILED, detail=type(exc).__name__)


class ChannelScheduler:
    """Keeps one cron job per enabled schedule in an ``AsyncIOScheduler``."""

    def __init__(self, scheduler: AsyncIOScheduler, store: Store, poster: ChannelPoster) -> None:
        self.scheduler = scheduler
        self.store = store
        self.poster = poster

    async def load(self) -> int:
        count = 0
        for schedule in await self.store.schedules():
            if schedule.platform in self.poster.deliverer.transports:
                await self.update(schedule)
                count += schedule.enabled
        return count

    async def update(self, schedule: Schedule) -> None:
        """Add, move or remove a channel's job after its schedule changed."""
        jid = job_id(schedule.platform, schedule.channel)
        if not schedule.enabled or schedule.platform not in self.poster.deliverer.transports:
            if self.scheduler.get_job(jid):
                self.scheduler.remove_job(jid)
            return
        try:
            rule = trigger(schedule)
        except BadSchedule as exc:
            report_bad(exc)
            if self.scheduler.get_job(jid):
                self.scheduler.remove_job(jid)
            return
        self.scheduler.add_job(self.fire, rule, args=(schedule.platform, schedule.channel), id=jid,
                               name=f"daily post {schedule.platform}:{schedule.channel}", replace_existing=True,
                               coalesce=True, misfire_grace_time=3600, max_instances=1)

    async def fire(self, platform: str, channel: str, now: dt.datetime | None = None) -> PostResult | None:
        schedule = await self.store.schedule(platform, channel)
        if schedule is None:
            return None
        result = await self.poster.run_safely(schedule, now or self.poster.clock())
        log.info("%s %s: %s %s %s", platform, channel, result.outcome, result.post_key, result.detail)
        return result
