"""Fan-out benchmark: one digest delivered to many channels through the rate-limited fakes.

    python -m bench.fanout [--channels 1000] [--platform discord|slack|both] [--concurrency N]
                           [--slack-session per-call|shared|both] [--connector-limit N]
                           [--processes N [--postgres URL]] [--json] [--no-save]

The bundled seed digest is ingested into a temporary SQLite store, one schedule per channel
is set, and the real :class:`ChannelPoster` / :class:`Deliverer` / transports deliver it at a
fixed instant (a controlled clock) over real sockets on 127.0.0.1 to

* the fake Discord, which answers more than 50 requests/s (globally), or a sixth message in
  5 s on one route and channel, with 429s, through a REST-only ``discord.Client`` (paperbot's
  pacer at 48/s, discord.py's per-route buckets and 429 handling), and
* the fake Slack, which answers a second ``chat.postMessage`` to a channel within 1 s with a
  429 ``Retry-After`` (paperbot paces each channel; slack-sdk's 429 handler via ``make_client``).

``--processes N`` runs the fan-out as N ``paperbot deliver --now`` processes at once on one
PostgreSQL database (``--postgres``, default ``$PAPERBOT_TEST_POSTGRES_URL``; a fresh schema
per run, dropped at the end), next to one process on it; Discord's global limit is shared: the
processes take their request slots from one timeline in the database (:mod:`bot.shared_rate`,
``DISCORD_REST_RATE`` unset: 48/s for the bot as a whole). The floor does not change with
processes: the platforms' limits are per bot.

The fakes run in a child process of their own (spawned, so the OS schedules it on the other
core): the server side's CPU (JSON, HTTP parsing, the 429 logic) does not compete with the
bot's event loop, as on the real platforms, and is reported apart ("cpu s bot / fake").
``--concurrency`` bounds the posts in flight: by default as shipped (the transport's
``max_concurrency``, else the Deliverer's default); ``N`` overrides both for the run.

The floor is what the rate limits allow at best: Discord — every request the delivery
needs (messages and thread creations) at 50/s; Slack — the slowest channel's
``messages - 1`` seconds, channels running in parallel. Targets (issue 15): Discord within
1.1×, Slack within 1.25× of the floor, 429s under 1% of requests. Duplicates are a payload
delivered twice to a channel (or its thread) or a nonce seen twice; a loss is a channel
missing any of its payloads when the run ends. Besides, per platform: what the client
library slept on 429s (discord.py's global-limit log lines, slack-sdk's retry handler timed),
the planning time before the first send, each channel's first-to-last send span, the bot
process' CPU and peak open file descriptors. Every run has a deadline (4× the floor + 60 s);
progress goes to stderr; the tables (or ``--json``) to stdout; the rows to
``bench/results/fanout_<platform>[_processes].json`` (``bench.results``).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import multiprocessing
import os
import re
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from rich.console import Console
from rich.table import Table
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler

from adapters.discord.limits import GLOBAL_REQUESTS_PER_SECOND
from bench.results import percentile, row, save
from bot.delivery import Deliverer, SentRef, Transport
from bot.digest_markdown import parse_file
from bot.layout import DigestOptions, digest_messages
from bot.messages import Message
from bot.payload import Payload
from bot.runtime import tune_gc
from bot.scheduling import ChannelPoster
from bot.store import Schedule
from storage.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "daily-papers-2024-06-28.md"
NOW = dt.datetime(2024, 6, 28, 0, 1, tzinfo=dt.UTC)  # Friday 09:01 in Seoul: every schedule is due
DISCORD_RATE = 50  # requests per second, globally
DISCORD_BUCKET = (5, 5.0)  # per route and channel: 5 requests per 5 s (Discord's message-create bucket)
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
SLACK_GAP = 1.0  # seconds between two messages in one channel
TARGETS = {"discord": 1.1, "slack": 1.25}  # wall / floor (issue 15)
MAX_429_SHARE = 0.01  # 429s under 1% of requests
log = logging.getLogger("bench.fanout")
GLOBAL_429_LOG = "Global rate limit has been hit. Retrying in %.2f seconds."


# -- measuring ---------------------------------------------------------------------------------------------------
@dataclass
class Result:
    platform: str
    variant: str
    channels: int
    concurrency: int
    payloads_per_channel: int
    requests_per_channel: int  # what the delivery needs (Discord: messages + thread creations)
    floor_s: float
    wall_s: float = 0.0
    ok_requests: int = 0
    rate_limited: int = 0  # 429s answered by the fake
    other_errors: int = 0  # non-2xx, non-429 answers
    duplicates: int = 0
    lost_channels: int = 0
    missing_payloads: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    first_send_s: float = 0.0  # run start → first transport.send (planning every channel)
    channel_span_s: dict[str, float] = field(default_factory=dict)  # first → last send per channel
    retry_sleeps: dict[str, float] = field(default_factory=dict)  # what the client's 429 handling slept
    peak_fds: int = 0
    cpu_s: float = 0.0  # the bot's process (client side)
    server_cpu_s: float = 0.0  # the fake's process
    timed_out: bool = False
    processes: int = 0  # bot processes of a --processes run (0: the bot in this process, on SQLite)
    #: a --processes run: its first request to the platform to its last (the processes' start, before they ask
    #: anything, and their exit left out, as a run inside this process leaves them out)
    requests_span_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.wall_s / self.floor_s if self.floor_s else float("inf")

    @property
    def target(self) -> float:
        return TARGETS[self.platform]

    @property
    def share_429(self) -> float:
        total = self.ok_requests + self.rate_limited + self.other_errors
        return self.rate_limited / total if total else 0.0

    @property
    def passed(self) -> bool:
        return (not self.timed_out and self.ratio <= self.target and self.share_429 < MAX_429_SHARE
                and self.duplicates == 0 and self.lost_channels == 0)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": round(self.ratio, 3), "pass": self.passed}


def summary(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    return {"n": len(ordered), "min": round(ordered[0], 3), "median": round(statistics.median(ordered), 3),
            "p99": round(percentile(ordered, 99), 3),
            "max": round(ordered[-1], 3), "sum": round(sum(ordered), 1)}


class Timed:
    """The real transport, with the time of each send per target recorded (nothing else changes).

    Its ``max_concurrency`` is the transport's own unless the run overrides it.
    """

    def __init__(self, inner: Transport, max_concurrency: int = 0) -> None:
        self.inner = inner
        self.platform = inner.platform
        self.max_concurrency: int | None = max_concurrency or getattr(inner, "max_concurrency", None)
        self.sends: dict[str, list[tuple[float, float]]] = defaultdict(list)
        self.errors: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:  # what else the transport tells delivery (e.g. ``nonce_chars``)
        return getattr(self.inner, name)

    def render(self, messages: Sequence[Message]) -> list[Payload]:
        return self.inner.render(messages)

    async def send(self, target: str, payload: Payload, *, parent: SentRef | None, nonce: str,
                   unknown: bool) -> SentRef:
        start = time.perf_counter()
        try:
            return await self.inner.send(target, payload, parent=parent, nonce=nonce, unknown=unknown)
        except Exception as exc:
            self.errors[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1
            raise
        finally:
            self.sends[target].append((start, time.perf_counter()))


class LogCounter(logging.Handler):
    """Counts (and keeps the arguments of) log records by message template."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.counts: Counter[str] = Counter()
        self.args: dict[str, list[Any]] = defaultdict(list)

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[record.msg] += 1
        if len(self.args[record.msg]) < 200_000:
            self.args[record.msg].append(record.args)


@contextlib.contextmanager
def capture_logs(*names: str) -> Any:
    """Count the records of these loggers instead of printing them (a 429 storm logs thousands of lines)."""
    handler = LogCounter()
    saved = []
    for name in names:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.propagate))
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)
        logger.propagate = False
    try:
        yield handler
    finally:
        for logger, level, propagate in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate


@contextlib.asynccontextmanager
async def sampling_fds() -> AsyncIterator[list[int]]:
    """Peak number of open file descriptors of the bot's process (its client sockets; the fakes run elsewhere)."""
    peak = [0]

    async def sample() -> None:
        while True:
            with contextlib.suppress(OSError):
                peak[0] = max(peak[0], len(os.listdir("/proc/self/fd")))
            await asyncio.sleep(0.25)  # listing 1,000+ fds costs the bot CPU; they only grow while connections open

    task = asyncio.create_task(sample())
    try:
        yield peak
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def raise_nofile(wanted: int) -> str:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return f"RLIMIT_NOFILE raised {soft} → {target} (hard {hard})"
    return f"RLIMIT_NOFILE {soft} (hard {hard})"


# -- the scenario ----------------------------------------------------------------------------------------------
def schedule(platform: str, channel: str) -> Schedule:
    return Schedule(platform, channel, dt.time(9), "Asia/Seoul", (0, 1, 2, 3, 4),
                    since=dt.datetime(2024, 6, 1, tzinfo=dt.UTC))


@contextlib.asynccontextmanager
async def seeded_store(platform: str, channels: Sequence[str]) -> AsyncIterator[SQLiteStore]:
    parsed = parse_file(SEED)
    assert parsed.digest is not None, f"cannot parse {SEED}"
    with tempfile.TemporaryDirectory(prefix="paperbot-fanout-") as tmp:
        store = await SQLiteStore.open(Path(tmp) / "paperbot.db")
        try:
            await store.ingest(parsed.digest, source=str(SEED))
            for channel in channels:
                await store.set_schedule(schedule(platform, channel))
            yield store
        finally:
            await store.close()


async def expected_payloads(store: SQLiteStore, transport: Transport) -> list[Payload]:
    stored = await store.digest(NOW.date())
    assert stored is not None
    return transport.render(digest_messages(stored, DigestOptions()))


async def deliver(store: SQLiteStore, transport: Timed, override: int,
                  limit_s: float) -> tuple[float, float, dict[str, int], bool, int]:
    """Run every due schedule once; (wall s, cpu s, outcomes, timed out, posts in flight at most)."""
    clock: Callable[[], dt.datetime] = lambda: NOW  # noqa: E731
    extra = {"concurrency": override} if override else {}
    deliverer = Deliverer(store, {transport.platform: transport}, clock=clock, **extra)  # type: ignore[arg-type]
    poster = ChannelPoster(store, deliverer, clock=clock)
    limits = getattr(deliverer, "limits", None)
    bound = (limits[transport.platform] if limits else deliverer.limit)._value  # type: ignore[attr-defined]
    cpu0, start = time.process_time(), time.perf_counter()
    timed_out = False
    outcomes: dict[str, int] = {}
    try:
        async with asyncio.timeout(limit_s):
            result = await poster.run_due(NOW)
        outcomes = dict(Counter(r.outcome for r in result.results))
    except TimeoutError:
        timed_out = True
    return time.perf_counter() - start, time.process_time() - cpu0, outcomes, timed_out, bound


def spans(transport: Timed, start: float) -> tuple[float, dict[str, float]]:
    firsts = [s[0][0] for s in transport.sends.values() if s]
    first = min(firsts) - start if firsts else 0.0
    return first, summary([s[-1][1] - s[0][0] for s in transport.sends.values() if s])


def limit_for(floor: float) -> float:
    return max(60.0, 4 * floor + 60)


# -- the fakes, in a process of their own --------------------------------------------------------------------------
# The fake servers run in a child process so that their CPU (JSON, HTTP parsing, the 429 logic) does not compete
# with the bot's event loop: on the real platforms the server side costs the bot nothing.


def _fingerprint(*parts: Any) -> str:
    return hashlib.sha1(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _serve(kind: str, n: int, conn: Connection, nonce_window: float | None = None) -> None:
    """Child process: start the fake, create ``n`` channels, answer ``mark`` / ``report`` / ``messages`` / ``stop``.

    ``nonce_window`` overrides how long the Discord fake answers a repeated nonce with the first message.
    """
    logging.disable(logging.WARNING)
    asyncio.run(_serve_async(kind, n, conn, nonce_window))


async def _serve_async(kind: str, n: int, conn: Connection, nonce_window: float | None = None) -> None:
    fake: Any
    if kind == "discord":
        from tests.fakes.discord import FakeDiscord

        fake = FakeDiscord(global_rate_per_second=DISCORD_RATE, bucket_limit=DISCORD_BUCKET[0],
                           bucket_window=DISCORD_BUCKET[1])
        if nonce_window is not None:
            fake.nonce_window = nonce_window
        await fake.start()
        channels = [str(fake.add_channel(f"papers-{i}")) for i in range(n)]
        conn.send({"api_base": fake.api_base, "token": fake.token, "channels": channels})
    else:
        from tests.fakes.slack import FakeSlack

        fake = FakeSlack(per_channel_per_second=1 / SLACK_GAP)
        await fake.start()
        channels = [f"C{i:08d}" for i in range(1, n + 1)]
        conn.send({"api_url": fake.api_url, "token": fake.bot_token, "channels": channels})
    loop = asyncio.get_running_loop()
    mark, cpu = 0, 0.0
    try:
        while True:
            command = await loop.run_in_executor(None, conn.recv)
            if command == "mark":
                mark, cpu = len(fake.requests), time.process_time()
                conn.send(mark)
            elif command == "report":
                report = _discord_report(fake, mark) if kind == "discord" else _slack_report(fake, mark)
                conn.send({**report, "cpu_s": time.process_time() - cpu})
            elif command == "messages":
                conn.send(_discord_messages(fake) if kind == "discord" else _slack_messages(fake))
            else:
                break
    finally:
        await fake.stop()


def _discord_report(fake: Any, mark: int) -> dict[str, Any]:
    requests = [(r.method, r.route or r.path, r.status, r.time) for r in fake.requests[mark:]]
    messages = [(m.id, m.channel_id, m.nonce, _fingerprint(m.content, m.embeds)) for m in fake.messages]
    return {"requests": requests, "messages": messages}


def _slack_report(fake: Any, mark: int) -> dict[str, Any]:
    requests = [(r.api_method, r.status, r.ok) for r in fake.requests[mark:]]
    messages = [(m.channel, m.ts, m.thread_ts, ((m.args.get("metadata") or {}).get("event_payload") or {}).get("nonce"),
                 _fingerprint(m.text, m.blocks)) for m in fake.messages]
    return {"requests": requests, "messages": messages, "times": [r.at for r in fake.requests[mark:]]}


def _discord_messages(fake: Any) -> list[dict[str, Any]]:
    """Every message the Discord fake created, as the bot left it (a thread's id is its starter message's)."""
    return [{"id": m.id, "channel_id": m.channel_id, "nonce": m.nonce, "content": m.content, "embeds": m.embeds}
            for m in fake.messages]


def _slack_messages(fake: Any) -> list[dict[str, Any]]:
    """Every message the Slack fake accepted, with the nonce of its metadata."""
    return [{"channel": m.channel, "ts": m.ts, "thread_ts": m.thread_ts, "text": m.text, "blocks": m.blocks,
             "nonce": ((m.args.get("metadata") or {}).get("event_payload") or {}).get("nonce")}
            for m in fake.messages]


class FakeProcess:
    """The parent's handle on a fake running in a child process (stopped, or killed, on exit)."""

    def __init__(self, kind: str, n: int, *, nonce_window: float | None = None) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(kind, n, child, nonce_window), name=f"fake-{kind}",
                                   daemon=True)
        self.child = child
        self.info: dict[str, Any] = {}

    async def call(self, command: str, timeout: float = 120.0) -> Any:  # noqa: ASYNC109
        self.conn.send(command)
        return await self._recv(timeout)

    async def _recv(self, timeout: float) -> Any:  # noqa: ASYNC109
        if not await asyncio.to_thread(self.conn.poll, timeout):
            raise TimeoutError("the fake server process did not answer")
        return self.conn.recv()

    async def __aenter__(self) -> FakeProcess:
        self.process.start()
        self.child.close()
        self.info = await self._recv(120.0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self.conn.send("stop")
        await asyncio.to_thread(self.process.join, 10.0)
        if self.process.is_alive():
            self.process.terminate()
            await asyncio.to_thread(self.process.join, 5.0)
        self.conn.close()


# -- Discord -----------------------------------------------------------------------------------------------------
def record_run(result: Result, transport: Timed, start: float, report: dict[str, Any], peak_fds: int, wall: float,
               cpu: float, outcomes: dict[str, int], timed_out: bool, bound: int) -> None:
    """What both platforms' runs record the same way."""
    result.wall_s, result.cpu_s, result.outcomes, result.timed_out = round(wall, 3), round(cpu, 2), outcomes, timed_out
    result.concurrency = bound
    result.server_cpu_s = round(report["cpu_s"], 2)
    result.peak_fds = peak_fds
    first, result.channel_span_s = spans(transport, start)
    result.first_send_s = round(first, 3)


async def run_discord(n: int, concurrency: int) -> Result:
    import discord
    import discord.http

    from adapters.discord.transport import DiscordTransport

    async with FakeProcess("discord", n) as fake:
        ids = fake.info["channels"]
        saved_base = discord.http.Route.BASE
        discord.http.Route.BASE = fake.info["api_base"]
        try:
            async with seeded_store("discord", ids) as store:
                client = discord.Client(intents=discord.Intents(guilds=True),
                                        allowed_mentions=discord.AllowedMentions.none())
                try:
                    async with asyncio.timeout(30):
                        await client.login(fake.info["token"])
                    transport = Timed(DiscordTransport(client), concurrency)
                    payloads = await expected_payloads(store, transport)
                    threads = len({p.thread_of for p in payloads if p.thread_of is not None})
                    per_channel = len(payloads) + threads
                    floor = n * per_channel / DISCORD_RATE
                    result = Result("discord", "discord.py REST", n, concurrency, len(payloads), per_channel,
                                    round(floor, 3))
                    print(f"discord: {n} channels × {per_channel} requests, floor {floor:.1f}s …", file=sys.stderr)
                    await fake.call("mark")
                    with capture_logs("discord.http", "discord.client", "bot.delivery", "bot.scheduling") as logs:
                        async with sampling_fds() as peak:
                            start = time.perf_counter()
                            wall, cpu, outcomes, timed_out, bound = await deliver(store, transport, concurrency,
                                                                                  limit_for(floor))
                finally:
                    await client.close()
        finally:
            discord.http.Route.BASE = saved_base
        report = await fake.call("report")
    record_run(result, transport, start, report, peak[0], wall, cpu, outcomes, timed_out, bound)
    result.retry_sleeps = summary([a[0] for a in logs.args.get(GLOBAL_429_LOG, [])])
    give_ups = sum(c for k, c in transport.errors.items() if "429" in k)
    if give_ups:
        result.notes.append(f"{give_ups} sends raised HTTPException 429 (discord.py gives up after 5 tries; "
                            "the Deliverer counts the post 'incomplete')")
    result.notes += [f"send error ×{c}: {t}" for t, c in transport.errors.most_common(2) if "429" not in t]
    account_discord(result, report, ids, len(payloads))
    return result


def account_discord(result: Result, report: dict[str, Any], ids: Sequence[str], expected: int) -> None:
    """Requests by status, and what reached each channel: its own messages and those in the thread started
    on one of them."""
    statuses = Counter(status for _, _, status, _ in report["requests"])
    result.ok_requests = sum(c for s, c in statuses.items() if s is not None and s < 300)
    result.rate_limited = statuses.get(429, 0)
    result.other_errors = sum(c for s, c in statuses.items() if s is not None and s >= 300 and s != 429)
    channel_of = {int(c): c for c in ids}
    messages = report["messages"]
    for mid, cid, _, _ in messages:  # a thread started from a message has the message's id
        if cid in channel_of:
            channel_of.setdefault(mid, channel_of[cid])
    by_channel: dict[str, list[tuple[Any, str]]] = defaultdict(list)
    for _, cid, nonce, fingerprint in messages:
        if cid in channel_of:
            by_channel[channel_of[cid]].append((nonce, f"{fingerprint}:{channel_of[cid] == str(cid)}"))
    check_deliveries(result, ids, by_channel, expected)


def check_deliveries(result: Result, ids: Sequence[str], by_channel: dict[str, list[tuple[Any, str]]],
                     expected: int) -> None:
    """Duplicates: a payload (same content, same place) or a nonce seen twice; a loss: fewer distinct payloads."""
    for cid in ids:
        got = by_channel.get(cid, [])
        distinct = {fingerprint for _, fingerprint in got}
        nonces = Counter(nonce for nonce, _ in got)
        result.duplicates += max(len(got) - len(distinct), sum(c - 1 for c in nonces.values()))
        if len(distinct) < expected:
            result.lost_channels += 1
            result.missing_payloads += expected - len(distinct)


# -- Slack -------------------------------------------------------------------------------------------------------
async def run_slack(n: int, concurrency: int, session: str, connector_limit: int) -> Result:
    from adapters.slack.client import make_client, new_session
    from adapters.slack.transport import SlackTransport
    from bot.config import Settings

    async with FakeProcess("slack", n) as fake:
        channels = fake.info["channels"]
        async with seeded_store("slack", channels) as store:
            settings = Settings(_env_file=None, SLACK_BOT_TOKEN=fake.info["token"], SLACK_API_URL=fake.info["api_url"])
            client = make_client(settings)
            shared: aiohttp.ClientSession | None = None
            if session == "shared":
                shared = new_session(client, connector_limit or None)  # as adapters.slack.client.shared_session
                client.session = shared
            limit = shared.connector.limit if shared is not None and shared.connector is not None else 0
            variant = (f"shared session, {limit} connections" + ("" if connector_limit else " (as shipped)") if shared
                       else "a session per call (slack-sdk's default)")
            # measure what slack-sdk's 429 handling sleeps, without changing it
            sleeps: list[float] = []
            handler = next(h for h in client.retry_handlers if isinstance(h, AsyncRateLimitErrorRetryHandler))
            original = handler.prepare_for_next_attempt_async

            async def timed_prepare(**kwargs: Any) -> None:
                t = time.perf_counter()
                try:
                    await original(**kwargs)
                finally:
                    sleeps.append(time.perf_counter() - t)

            handler.prepare_for_next_attempt_async = timed_prepare  # type: ignore[method-assign]
            handler_name = type(handler).__name__
            try:
                transport = Timed(SlackTransport(client), concurrency)
                payloads = await expected_payloads(store, transport)
                floor = (len(payloads) - 1) * SLACK_GAP
                result = Result("slack", variant, n, concurrency, len(payloads), len(payloads), round(floor, 3))
                print(f"slack ({variant}): {n} channels × {len(payloads)} messages, floor {floor:.1f}s …",
                      file=sys.stderr)
                await fake.call("mark")
                with capture_logs("slack_sdk", "bot.delivery", "bot.scheduling"):
                    async with sampling_fds() as peak:
                        start = time.perf_counter()
                        wall, cpu, outcomes, timed_out, bound = await deliver(store, transport, concurrency,
                                                                              limit_for(floor))
            finally:
                if shared is not None:
                    await shared.close()
        report = await fake.call("report")
    record_run(result, transport, start, report, peak[0], wall, cpu, outcomes, timed_out, bound)
    result.retry_sleeps = summary(sleeps)
    result.notes.append(f"429 handler: {handler_name}")
    result.notes += [f"send error ×{c}: {t}" for t, c in transport.errors.most_common(2)]
    account_slack(result, report, channels, len(payloads))
    return result


def account_slack(result: Result, report: dict[str, Any], channels: Sequence[str], expected: int) -> None:
    """Requests by status, and what reached each channel (the post, and the replies in its thread)."""
    result.ok_requests = sum(1 for _, _, ok in report["requests"] if ok)
    result.rate_limited = sum(1 for _, status, _ in report["requests"] if status == 429)
    result.other_errors = sum(1 for _, status, ok in report["requests"] if status != 429 and not ok)
    by_channel: dict[str, list[tuple[Any, str]]] = defaultdict(list)
    parents: dict[str, str] = {}
    for channel, ts, thread_ts, _, _ in report["messages"]:
        if thread_ts is None:
            parents.setdefault(channel, ts)
    strays = 0
    for channel, _, thread_ts, nonce, fingerprint in report["messages"]:
        by_channel[channel].append((nonce, f"{fingerprint}:{thread_ts is None}"))
        strays += thread_ts is not None and thread_ts != parents.get(channel)
    if strays:
        result.notes.append(f"{strays} replies outside their channel's digest thread")
    check_deliveries(result, channels, by_channel, expected)


# -- several processes on one PostgreSQL database --------------------------------------------------------------------
@contextlib.asynccontextmanager
async def postgres_schema(server: str, platform: str, channels: Sequence[str],
                          day: dt.date) -> AsyncIterator[tuple[str, list[Payload]]]:
    """A fresh schema on ``server`` with the seed digest dated ``day`` and one schedule per channel, dropped at
    the end: (the store's URL, the payloads of one channel's post as the platform renders them)."""
    import asyncpg

    from storage.postgres import PostgresStore

    parsed = parse_file(SEED)
    assert parsed.digest is not None, f"cannot parse {SEED}"
    schema = f"paperbot_bench_{uuid.uuid4().hex[:12]}"
    try:
        store = await PostgresStore.open(server, schema=schema)
        try:
            await store.ingest(dataclasses.replace(parsed.digest, date=day), source=str(SEED))
            for channel in channels:
                await store.set_schedule(schedule(platform, channel))
            stored = await store.digest(day)
        finally:
            await store.close()
        assert stored is not None
        yield f"{server}?schema={schema}", render_for(platform, digest_messages(stored, DigestOptions()))
    finally:
        conn = await asyncpg.connect(server)
        try:
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        finally:
            await conn.close()


def render_for(platform: str, messages: Sequence[Message]) -> list[Payload]:
    if platform == "discord":
        from adapters.discord.render import render as discord_render

        return discord_render(messages)
    from adapters.slack.render import render as slack_render

    return slack_render(messages)


def last_summary(log: Path) -> str:
    lines = log.read_text(errors="replace").splitlines()
    return next((line for line in reversed(lines) if line.startswith("delivery run:")), lines[-1] if lines else "")


async def run_processes(platform: str, n: int, processes: int, server: str) -> Result:
    """``processes`` × ``paperbot deliver --now`` at once on one PostgreSQL database (the ledger decides who sends
    each part) against the fake in its child process: wall time from the first start to the last exit, the
    processes' CPU together, 429s, duplicates and losses."""
    day = dt.datetime.now(ZoneInfo("Asia/Seoul")).date()  # --now: each channel is due today, local time
    async with FakeProcess(platform, n) as fake:
        ids = fake.info["channels"]
        async with postgres_schema(server, platform, ids, day) as (url, payloads):
            threads = len({p.thread_of for p in payloads if p.thread_of is not None})
            per_channel = len(payloads) + (threads if platform == "discord" else 0)
            floor = n * per_channel / DISCORD_RATE if platform == "discord" else (len(payloads) - 1) * SLACK_GAP
            result = Result(platform, f"{processes} process{'es' if processes > 1 else ''}, PostgreSQL", n,
                            0, len(payloads), per_channel, round(floor, 3), processes=processes)
            env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOT_", "DISCORD_", "SLACK_"))}
            env.update({"PYTHONPATH": str(ROOT), "PAPERBOT_DB": url, "PAPERBOT_LOG_LEVEL": "WARNING"})
            if platform == "discord":
                # the global limit is per bot: the processes share it through the database (bot.shared_rate)
                env.update({"DISCORD_TOKEN": fake.info["token"], "DISCORD_API_BASE": fake.info["api_base"]})
            else:
                env.update({"SLACK_BOT_TOKEN": fake.info["token"], "SLACK_API_URL": fake.info["api_url"]})
            print(f"{platform}: {processes} process(es) on PostgreSQL, {n} channels × {per_channel} requests, "
                  f"floor {floor:.1f}s …", file=sys.stderr)
            await fake.call("mark")
            with tempfile.TemporaryDirectory(prefix="paperbot-fanout-") as tmp:
                logs = [Path(tmp) / f"deliver-{i}.log" for i in range(processes)]
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.monotonic()  # the fake stamps requests with time.monotonic(): one clock
                started = []
                for log_path in logs:  # cwd: the temporary directory, so that no developer's .env is read
                    with log_path.open("wb") as out:
                        started.append(await asyncio.create_subprocess_exec(
                            sys.executable, "-m", "bot.cli", "deliver", "--now", cwd=tmp, env=env, stdout=out,
                            stderr=asyncio.subprocess.STDOUT))
                deadline = start + limit_for(floor) + 30
                for process in started:
                    try:
                        await asyncio.wait_for(process.wait(), max(1.0, deadline - time.monotonic()))
                    except TimeoutError:
                        result.timed_out = True
                        process.kill()
                        await process.wait()
                result.wall_s = round(time.monotonic() - start, 3)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                result.cpu_s = round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2)
                lines = [last_summary(log_path) for log_path in logs]
                codes = [process.returncode for process in started]
        report = await fake.call("report")
    result.server_cpu_s = round(report["cpu_s"], 2)
    times = [at for *_, at in report["requests"]] if platform == "discord" else report["times"]
    if times:
        result.requests_span_s = round(max(times) - min(times), 3)
        result.notes.append(f"first request at {min(times) - start:.1f} s, last at {max(times) - start:.1f} s of "
                            f"{result.wall_s:.1f} s: {result.requests_span_s:.1f} s between them, "
                            f"{result.requests_span_s / floor:.2f}× the floor")
    for line in lines:
        for key, value in re.findall(r"(\w+)=(\d+)", line.split("(")[0]):
            result.outcomes[key] = result.outcomes.get(key, 0) + int(value)
    sent = [int(m.group(1)) if (m := re.search(r"sent=(\d+)", line)) else None for line in lines]
    result.notes.append(f"exit codes {codes}; posts sent per process {sent}")
    if platform == "discord":
        result.notes.append(f"the processes share {GLOBAL_REQUESTS_PER_SECOND} requests/s through the database")
        if posts := sorted(at for method, _, _, at in report["requests"] if method == "POST"):
            first, last = posts[0] - start, max(at for _, _, _, at in report["requests"]) - start
            result.first_send_s = round(first, 3)
            rate = (len(report["requests"]) - 1) / (last - first) if last > first else 0.0
            result.notes.append(f"first POST at {first:.1f} s, last request at {last:.1f} s of {result.wall_s:.1f} s: "
                                f"{rate:.1f} requests/s in between")
        account_discord(result, report, ids, len(payloads))
    else:
        account_slack(result, report, ids, len(payloads))
    return result


# -- output ------------------------------------------------------------------------------------------------------
def table(results: Sequence[Result]) -> Table:
    t = Table(title="Fan-out: one digest to every channel (real transports → rate-limited fakes on 127.0.0.1)")
    t.add_column("platform")
    t.add_column("client")
    for name in ("channels", "conc.", "payloads/ch", "ok requests", "429s", "wall s", "floor s", "wall/floor",
                 "target", "dups", "lost ch.", "verdict"):
        t.add_column(name, justify="right")
    for r in results:
        ratio = f"{r.ratio:.2f}×" + (" (timed out)" if r.timed_out else "")
        verdict = "[green]PASS[/]" if r.passed else "[red]MISS[/]"
        t.add_row(r.platform, r.variant, str(r.channels), str(r.concurrency), str(r.payloads_per_channel),
                  str(r.ok_requests), f"{r.rate_limited} ({r.share_429:.1%})", f"{r.wall_s:.1f}", f"{r.floor_s:.1f}",
                  ratio, f"≤ {r.target}×", str(r.duplicates), str(r.lost_channels), verdict)
    t.caption = (f"target: wall/floor as shown, 429s < {MAX_429_SHARE:.0%} of requests, 0 duplicates, 0 lost "
                 f"channels. Floor — Discord: (messages + thread creations) / {DISCORD_RATE} per s; Slack: "
                 f"(messages − 1) × {SLACK_GAP:g} s, channels in parallel. The floor is the platforms' limits per bot: "
                 "it does not change with the number of processes")
    return t


def details(results: Sequence[Result]) -> Table:
    t = Table(title="Where the time went")
    for name in ("platform / client", "outcomes", "planning → 1st send s", "channel span s (med / max)",
                 "client 429 sleeps (n, med, max)", "peak fds", "cpu s bot / fake", "notes"):
        t.add_column(name)
    for r in results:
        span = r.channel_span_s
        sleeps = r.retry_sleeps
        t.add_row(f"{r.platform} / {r.variant}", ", ".join(f"{k} {v}" for k, v in sorted(r.outcomes.items())),
                  f"{r.first_send_s:.2f}", f"{span.get('median', 0):.2f} / {span.get('max', 0):.2f}",
                  f"{sleeps.get('n', 0)}, {sleeps.get('median', 0):.2f}, {sleeps.get('max', 0):.2f}",
                  str(r.peak_fds), f"{r.cpu_s:.1f} / {r.server_cpu_s:.1f}", "; ".join(r.notes) or "—")
    return t


async def main_async(args: argparse.Namespace) -> list[Result]:
    results: list[Result] = []
    concurrency = args.concurrency
    platforms = ["discord", "slack"] if args.platform == "both" else [args.platform]
    if args.processes:
        for platform in platforms:
            for processes in sorted({1, args.processes}):
                results.append(await run_processes(platform, args.channels, processes, args.postgres))
        return results
    if "discord" in platforms:
        results.append(await run_discord(args.channels, concurrency))
    if "slack" in platforms:
        sessions = ["per-call", "shared"] if args.slack_session == "both" else [args.slack_session]
        for session in sessions:
            results.append(await run_slack(args.channels, concurrency, session, args.connector_limit))
    return results


def save_results(results: Sequence[Result], argv: Sequence[str]) -> None:
    """bench/results/fanout_<platform>[_processes].json: wall, floor, ratio, 429s, duplicates, losses per run."""
    command = "python -m bench.fanout " + " ".join(argv)
    by_name: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_name[f"fanout_{r.platform}" + ("_processes" if r.processes else "")].append(r)
    for name, runs in by_name.items():
        rows = []
        for r in runs:
            label = f"{r.platform} {r.channels} channels, {r.variant}"
            rows += [row(f"{label}: wall", r.wall_s, "s", target=f"<= {r.target}x floor", baseline=r.floor_s,
                         ok=r.passed),
                     row(f"{label}: 429s", r.rate_limited, "", target=f"< {MAX_429_SHARE:.0%} of requests",
                         ok=r.share_429 < MAX_429_SHARE),
                     row(f"{label}: duplicates / lost channels", r.duplicates + r.lost_channels, "", target="0",
                         ok=r.duplicates + r.lost_channels == 0),
                     row(f"{label}: bot CPU", r.cpu_s, "s")]
            if r.processes:
                rows.append(row(f"{label}: first request to last (process start and exit left out)",
                                r.requests_span_s, "s", baseline=r.floor_s))
        title = "Fan-out of one digest to every channel" + (" by several processes on PostgreSQL"
                                                           if runs[0].processes else "")
        save(name, title, command, rows, notes=[f"{r.platform} / {r.variant}: {'; '.join(r.notes)}"
                                                 for r in runs if r.notes])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__.split("\n\n")[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--platform", choices=("discord", "slack", "both"), default="both")
    parser.add_argument("--concurrency", type=int, default=0,
                        help="posts in flight at most; default: as shipped (the transport's max_concurrency, "
                        "else the Deliverer's default)")
    parser.add_argument("--slack-session", choices=("per-call", "shared", "both"), default="both",
                        help="slack-sdk without a session (a new one per call, its default) or one shared session "
                        "(as paperbot runs it)")
    parser.add_argument("--connector-limit", type=int, default=0,
                        help="connections of the shared Slack session; default: as shipped "
                        "(adapters.slack.client.connection_limit)")
    parser.add_argument("--processes", type=int, default=0,
                        help="N: the fan-out by N `paperbot deliver --now` processes on one PostgreSQL database, "
                        "next to 1 process on it (each run in a fresh schema, dropped at the end)")
    parser.add_argument("--postgres", default=os.environ.get("PAPERBOT_TEST_POSTGRES_URL", DEFAULT_POSTGRES),
                        help="the PostgreSQL server for --processes (default: $PAPERBOT_TEST_POSTGRES_URL, "
                        "else %(default)s)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/fanout_*.json")
    args = parser.parse_args(argv)
    tune_gc()  # the collector as the bot runs it (the --processes children run the CLI, which sets it too)
    note = raise_nofile(max(4096, args.channels * 8))
    print(note, file=sys.stderr)
    started = time.perf_counter()
    results = asyncio.run(main_async(args))
    elapsed = time.perf_counter() - started
    if not args.no_save:
        save_results(results, list(argv if argv is not None else sys.argv[1:]))
    if args.json:
        print(json.dumps({"results": [r.as_dict() for r in results], "elapsed_s": round(elapsed, 1),
                          "nofile": note}, indent=2, ensure_ascii=False))
    else:
        console = Console(width=200)
        console.print(table(results))
        console.print(details(results))
        console.print(f"bench wall time {elapsed:.1f}s; {note}")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
