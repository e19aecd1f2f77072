"""Crash soak: ``kill -9`` of ``paperbot deliver --now`` at random moments of a fan-out, each followed by a restart.

    python -m bench.crash_soak [--trials 50] [--channels 100] [--seed 1] [--lease 1.5] [--nonce-window 0] [--json]

The loopback fakes of Discord (50 requests/s globally) and Slack (1 message/s per channel) run
in a child process (:class:`bench.fanout.FakeProcess`) with ``2 × channels`` channels each. The
bundled seed digest, dated today in Seoul, is ingested into two SQLite files, each with one
schedule per channel: the *baseline* file for the first half of the channels, the *soak* file
for the second half.

1. Baseline: one uninterrupted ``paperbot deliver --now`` on the baseline file, then one more
   (it must send nothing; its time is the start-up cost of a run). What the baseline channels
   received is the reference: the parts of a post, in order.
2. Soak: ``trials`` times, ``paperbot deliver --now`` on the soak file, killed with SIGKILL
   at a seeded random moment, then restarted. A fifth of the kills land during start-up
   (up to 1.2× the run with nothing to send); the others a random time after the run's
   first part recorded as sent (read from the ledger): up to twice its fair share of the
   sending left (the baseline's sending time × the parts not yet sent ÷ the sending trials
   left), so that the trials together walk through the whole fan-out whatever the load.
   ``PAPERBOT_LEASE_SECONDS`` is short (1.5 s), so a restart takes a dead run's claims over
   as soon as its lease expires.
3. One final run to completion, and one more that must send nothing.

Then, per platform and channel, every reference part must be there exactly once (Discord: the
post in the channel and each summary in the thread started on it; Slack: the post and one
reply per paper in its thread): a part seen twice is a duplicate, a part missing a loss,
a message matching no part "unexpected". A Discord message is identified by its content
and embeds without the ``ref …`` marker (whose nonce a takeover keeps, a re-claim does not);
a Slack message by its text and blocks. Every duplicate or loss is listed with its channel
and part. The Discord fake's nonce window (``--nonce-window``, seconds) is 0 by default, so
that only the marker lookup can prevent a duplicate after a crash (Discord's own window is a
few minutes; the soak is meant to prove the lookup, not the window).

The ratio line compares the soak's wall time with one uninterrupted run measured first in the
same process. Progress goes to stderr; the tables (or ``--json``) to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from bench.fanout import ROOT, SEED, FakeProcess, _fingerprint, raise_nofile, schedule
from bench.results import row, save
from bot.digest_markdown import parse_file
from bot.layout import DigestOptions, digest_messages
from storage.sqlite import SQLiteStore

ZONE = ZoneInfo("Asia/Seoul")  # the schedules' zone: the digest is dated "today" there
MARKER_FOOTER = re.compile(r"(?: · )?ref [0-9a-f]{10}$")
MARKER_LINE = re.compile(r"\n?-# ref [0-9a-f]{10}$")
PLATFORMS = ("discord", "slack")
STARTUP_SHARE = 0.2  # of the trials killed during start-up (before or while planning), the rest while sending


# -- the runs ------------------------------------------------------------------------------------------------------
@dataclass
class Trial:
    number: int
    phase: str  # "startup": killed delay_s after the start; "sending": delay_s after its first send
    delay_s: float
    after_s: float | None = None  # start → first send ("sending" trials; None: it ended without one)
    killed: bool = False  # False: the run had ended by itself before the kill
    exit_code: int | None = None
    in_flight: int = 0  # parts left claimed by the killed run (crashes between claim and record)
    unrecorded: int = 0  # of those, parts already on the platform (crashes between send and record)
    sent_parts: int = 0  # parts recorded as sent after the trial


@dataclass
class PlatformResult:
    platform: str
    channels: int
    expected_per_channel: int
    delivered: int = 0
    duplicates: int = 0
    losses: int = 0
    unexpected: int = 0
    reference_parts: int = 0  # distinct parts the baseline channels show (must be expected_per_channel)
    evidence: list[str] = field(default_factory=list)

    @property
    def expected(self) -> int:
        return self.channels * self.expected_per_channel

    @property
    def passed(self) -> bool:
        return (self.duplicates == 0 and self.losses == 0 and self.unexpected == 0
                and self.reference_parts == self.expected_per_channel)


class Runner:
    """``paperbot deliver --now`` as a subprocess against the fakes, one database file."""

    def __init__(self, db: Path, fakes: dict[str, dict[str, Any]], lease: float, logs: Path) -> None:
        self.db = db
        self.logs = logs
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOT_", "DISCORD_", "SLACK_"))}
        env.update({
            "PYTHONPATH": str(ROOT),
            "PAPERBOT_DB": str(db),
            "PAPERBOT_LEASE_SECONDS": str(lease),
            "DISCORD_TOKEN": fakes["discord"]["token"],
            "DISCORD_API_BASE": fakes["discord"]["api_base"],
            "SLACK_BOT_TOKEN": fakes["slack"]["token"],
            "SLACK_API_URL": fakes["slack"]["api_url"],
        })
        self.env = env
        self.count = 0

    def start(self) -> subprocess.Popen[bytes]:
        self.count += 1
        log = self.logs / f"{self.db.stem}-{self.count:03d}.log"
        with log.open("wb") as out:  # cwd: the temporary directory, so that no developer's .env is read
            return subprocess.Popen([sys.executable, "-m", "bot.cli", "deliver", "--now"], cwd=self.logs,
                                    env=self.env, stdout=out, stderr=subprocess.STDOUT)

    async def run(self, timeout: float) -> tuple[float, int, str]:  # noqa: ASYNC109
        """Run to completion: (wall s, exit code, summary line)."""
        start = time.perf_counter()
        process = self.start()
        try:
            code = await asyncio.to_thread(process.wait, timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)
            raise
        return time.perf_counter() - start, code, self.last_line()

    async def kill_after(self, trial: Trial) -> None:
        """Start, SIGKILL ``trial.delay_s`` after the start (``startup``) or after the run's first send."""
        process = self.start()
        began = time.perf_counter()
        if trial.phase == "sending":
            sent = await asyncio.to_thread(first_send, self.db, process, 120.0)
            trial.after_s = round(time.perf_counter() - began, 3) if sent else None
        with contextlib.suppress(subprocess.TimeoutExpired):
            await asyncio.to_thread(process.wait, trial.delay_s)
        trial.killed = process.poll() is None
        if trial.killed:
            os.kill(process.pid, signal.SIGKILL)
        trial.exit_code = await asyncio.to_thread(process.wait)

    def last_line(self) -> str:
        lines = (self.logs / f"{self.db.stem}-{self.count:03d}.log").read_text(errors="replace").splitlines()
        return next((line for line in reversed(lines) if line.startswith("delivery run:")), lines[-1] if lines else "")


def first_send(db: Path, process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait until ``process`` has recorded a part as sent (an owner id carries its pid); False if it ended first.

    Its first *claim* is no anchor: a restart claims a dead run's parts at once, then opens and plans
    every channel's post before it sends anything, and a kill soon after that claim never lets the
    fan-out go on.
    """
    pattern = f"%:{process.pid}:%"
    deadline = time.monotonic() + timeout
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as conn:
        while process.poll() is None and time.monotonic() < deadline:
            if conn.execute("SELECT 1 FROM parts WHERE owner LIKE ? AND state = 'sent' LIMIT 1",
                            (pattern,)).fetchone():
                return True
            time.sleep(0.01)
    return False


def ledger_counts(db: Path) -> Counter[str]:
    """The ledger's parts by state (read-only)."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as conn:
        return Counter(dict(conn.execute("SELECT state, count(*) FROM parts GROUP BY state").fetchall()))


def claimed_nonces(db: Path) -> set[str]:
    """The nonces of the parts left claimed (read-only)."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as conn:
        return {r[0] for r in conn.execute("SELECT nonce FROM parts WHERE state = 'claimed'").fetchall()}


def unfinished(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as conn:
        return int(conn.execute("SELECT count(*) FROM posts WHERE finished_at IS NULL").fetchone()[0])


async def make_db(path: Path, channels: dict[str, Sequence[str]], day: dt.date) -> dict[str, int]:
    """The seed digest dated ``day``, and one schedule per channel; the messages of a post per platform,
    as each platform's renderer makes it."""
    from adapters.discord.render import render as discord_render
    from adapters.slack.render import render as slack_render

    parsed = parse_file(SEED)
    assert parsed.digest is not None, f"cannot parse {SEED}"
    digest = dataclasses.replace(parsed.digest, date=day)
    store = await SQLiteStore.open(path)
    try:
        await store.ingest(digest, source=str(SEED))
        for platform, ids in channels.items():
            for channel in ids:
                await store.set_schedule(schedule(platform, channel))
        stored = await store.digest(day)
    finally:
        await store.close()
    assert stored is not None
    messages = digest_messages(stored, DigestOptions())
    return {"discord": len(discord_render(messages)), "slack": len(slack_render(messages))}


# -- what the channels received --------------------------------------------------------------------------------------
def _strip_discord(message: dict[str, Any]) -> str:
    content = MARKER_LINE.sub("", message["content"] or "")
    embeds = json.loads(json.dumps(message["embeds"]))
    if embeds and (embeds[-1].get("footer") or {}).get("text"):
        footer = embeds[-1]["footer"]
        footer["text"] = MARKER_FOOTER.sub("", footer["text"])
        if not footer["text"]:
            del footer["text"]
        if not footer:
            del embeds[-1]["footer"]
    return _fingerprint(content, embeds)


def _discord_label(message: dict[str, Any]) -> str:
    title = next((e.get("title") for e in message["embeds"] if e.get("title")), None)
    return (title or (message["content"] or "").split("\n")[0] or "(empty)")[:60]


def received(platform: str, messages: list[dict[str, Any]], channels: Sequence[str]
             ) -> dict[str, list[tuple[str, str, str, bool]]]:
    """Per channel, in order: (key = place + fingerprint without the marker, label, nonce, stray).

    A place is ``post`` (in the channel) or ``reply`` (Discord: in a thread started on one of the
    channel's messages; Slack: in a thread); a reply is *stray* when its thread is not the one on
    the channel's first post.
    """
    wanted = set(channels)
    out: dict[str, list[tuple[str, str, str, bool]]] = {c: [] for c in channels}
    if platform == "discord":
        owner: dict[int, str] = {}  # thread id (= its starter message's id) → channel
        first: dict[str, int] = {}
        for m in sorted(messages, key=lambda m: m["id"]):
            channel = str(m["channel_id"])
            if channel in wanted:
                owner[m["id"]] = channel
                first.setdefault(channel, m["id"])
        for m in sorted(messages, key=lambda m: m["id"]):
            channel = str(m["channel_id"])
            if channel in wanted:
                out[channel].append((f"post:{_strip_discord(m)}", _discord_label(m), str(m["nonce"]), False))
            elif m["channel_id"] in owner:
                parent = owner[m["channel_id"]]
                out[parent].append((f"reply:{_strip_discord(m)}", _discord_label(m), str(m["nonce"]),
                                    m["channel_id"] != first[parent]))
        return out
    posts: dict[str, str] = {}
    ordered = sorted(messages, key=lambda m: float(m["ts"]))
    for m in ordered:
        if m["channel"] in wanted and m["thread_ts"] is None:
            posts.setdefault(m["channel"], m["ts"])
    for m in ordered:
        if m["channel"] not in wanted:
            continue
        place = "post" if m["thread_ts"] is None else "reply"
        label = (m["text"] or "").split("\n")[0][:60] or "(empty)"
        out[m["channel"]].append((f"{place}:{_fingerprint(m['text'], m['blocks'])}", label, str(m["nonce"]),
                                  place == "reply" and m["thread_ts"] != posts.get(m["channel"])))
    return out


def reference(by_channel: dict[str, list[tuple[str, str, str, bool]]]) -> list[tuple[str, str]]:
    """The parts of a post, in order, as most baseline channels received them: (key, label)."""
    seen = Counter(key for got in by_channel.values() for key in {k for k, _, _, _ in got})
    common = {key for key, n in seen.items() if n * 2 > len(by_channel)}
    parts: list[tuple[str, str]] = []
    for got in by_channel.values():
        for key, label, _, _ in got:
            if key in common and key not in {k for k, _ in parts}:
                parts.append((key, label))
    return parts


def check(result: PlatformResult, parts: list[tuple[str, str]], by_channel: dict[str, list[tuple[str, str, str, bool]]],
          first_seen: dict[tuple[str, str, str], int] | None = None) -> None:
    """Count and describe what differs from ``parts`` (``first_seen``: the trial after which a duplicate appeared)."""
    index = {key: (i, label) for i, (key, label) in enumerate(parts)}
    for channel, got in by_channel.items():
        result.delivered += len(got)
        counts = Counter(key for key, _, _, _ in got)
        for i, (key, label) in enumerate(parts):
            n = counts.get(key, 0)
            if n == 0:
                result.losses += 1
                result.evidence.append(f"{result.platform} {channel}: LOST part {i} ({label!r})")
            elif n > 1:
                result.duplicates += n - 1
                nonces = sorted({nonce for k, _, nonce, _ in got if k == key})
                trial = (first_seen or {}).get((result.platform, channel, key))
                when = f", twice since trial {trial}" if trial else ""
                result.evidence.append(f"{result.platform} {channel}: part {i} ({label!r}) ×{n}, "
                                       f"nonces {', '.join(nonces)}{when}")
        for key, label, nonce, stray in got:
            if key not in index:
                result.unexpected += 1
                result.evidence.append(f"{result.platform} {channel}: unexpected message {label!r} (nonce {nonce})")
            elif stray:
                result.evidence.append(f"{result.platform} {channel}: part {index[key][0]} ({label!r}) "
                                       "in a thread other than the first post's")


# -- the soak ------------------------------------------------------------------------------------------------------
@dataclass
class Report:
    trials: list[Trial]
    baseline: list[PlatformResult]
    soak: list[PlatformResult]
    baseline_s: float
    idle_s: float
    soak_s: float
    final_s: float
    final_line: str
    extra_after_final: int
    unfinished_posts: int
    seed: int
    lease: float
    nonce_window: float
    total_s: float = 0.0
    exit_codes: list[int] = field(default_factory=list)  # of the runs to completion (baseline's two, final two)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return (all(r.passed for r in self.soak) and all(r.passed for r in self.baseline)
                and self.extra_after_final == 0 and self.unfinished_posts == 0 and not any(self.exit_codes))


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def soak(args: argparse.Namespace) -> Report:
    n = args.channels
    started = time.perf_counter()
    day = dt.datetime.now(ZONE).date()
    async with FakeProcess("discord", 2 * n, nonce_window=args.nonce_window) as discord, \
            FakeProcess("slack", 2 * n) as slack:
        fakes = {"discord": discord.info, "slack": slack.info}
        ids = {p: (f.info["channels"][:n], f.info["channels"][n:]) for p, f in (("discord", discord),
                                                                              ("slack", slack))}
        with tempfile.TemporaryDirectory(prefix="paperbot-soak-") as tmp:
            logs = Path(tmp)
            base_db, soak_db = logs / "baseline.db", logs / "soak.db"
            await make_db(base_db, {p: ids[p][0] for p in PLATFORMS}, day)
            expected = await make_db(soak_db, {p: ids[p][1] for p in PLATFORMS}, day)

            base = Runner(base_db, fakes, args.lease, logs)
            progress(f"baseline: one uninterrupted run to {n} + {n} channels …")
            notes, codes = [], []
            baseline_s, code, line = await base.run(600)
            progress(f"  {baseline_s:.1f} s, exit {code}: {line}")
            codes.append(code)
            if code != 0:
                notes.append(f"the baseline run exited {code}: {line}")
            idle_s, code, line = await base.run(600)
            progress(f"  again (must send nothing): {idle_s:.1f} s, exit {code}: {line}")
            codes.append(code)
            if code != 0:
                notes.append(f"baseline's second run exited {code}: {line}")

            rng = random.Random(args.seed)
            sending = max(1.0, baseline_s - idle_s)
            trials = []
            for i in range(args.trials):
                if rng.random() < STARTUP_SHARE:
                    trials.append(Trial(i + 1, "startup", round(rng.uniform(0.2, 1.2 * idle_s), 3)))
                else:  # for now a fraction of the window, set when the trial starts
                    trials.append(Trial(i + 1, "sending", rng.random()))
            total_parts = n * sum(expected.values())
            runner = Runner(soak_db, fakes, args.lease, logs)
            progress(f"soak: {args.trials} kills (start-up {idle_s:.1f} s, sending {sending:.1f} s) …")
            await discord.call("mark")
            await slack.call("mark")
            first_seen: dict[tuple[str, str, str], int] = {}
            t0 = time.perf_counter()
            for i, trial in enumerate(trials):
                if trial.phase == "sending":  # a fair share of the sending left, whatever the machine's load
                    left = 1 - ledger_counts(soak_db).get("sent", 0) / total_parts
                    share = sending * left / sum(1 for t in trials[i:] if t.phase == "sending")
                    trial.delay_s = round(trial.delay_s * 2 * share, 3)
                await runner.kill_after(trial)
                states = ledger_counts(soak_db)
                trial.in_flight, trial.sent_parts = states.get("claimed", 0), states.get("sent", 0)
                now = {p: await f.call("messages") for p, f in (("discord", discord), ("slack", slack))}
                on_platform = {str(m["nonce"]) for p in PLATFORMS for m in now[p]}
                trial.unrecorded = len(claimed_nonces(soak_db) & on_platform) if trial.in_flight else 0
                for platform in PLATFORMS:  # when a duplicate first appears: evidence for a bug report
                    for channel, got in received(platform, now[platform], ids[platform][1]).items():
                        for key, count in Counter(k for k, _, _, _ in got).items():
                            if count > 1:
                                first_seen.setdefault((platform, channel, key), trial.number)
                when = (f"{trial.delay_s:.2f} s after the start" if trial.phase == "startup" else
                        f"{trial.delay_s:.2f} s after its first send (at {trial.after_s} s)" if trial.after_s
                        else "with nothing to send")
                progress(f"  trial {trial.number:2d}: {'killed' if trial.killed else 'ended'} {when} "
                         f"(exit {trial.exit_code}); parts sent {trial.sent_parts}, left claimed {trial.in_flight} "
                         f"({trial.unrecorded} of them sent); duplicates so far {len(first_seen)}")
            final_s, code, final_line = await runner.run(600)
            progress(f"final run: {final_s:.1f} s, exit {code}: {final_line}")
            codes.append(code)
            if code != 0:
                notes.append(f"final run exited {code}: {final_line}")
            soak_s = time.perf_counter() - t0
            before = {p: len(await f.call("messages")) for p, f in (("discord", discord), ("slack", slack))}
            _, code, line = await runner.run(600)
            messages = {p: await f.call("messages") for p, f in (("discord", discord), ("slack", slack))}
            extra = sum(len(messages[p]) - before[p] for p in PLATFORMS)
            progress(f"one more run (must send nothing): exit {code}: {line}; {extra} new messages")
            codes.append(code)
            if code != 0:
                notes.append(f"the run after the final one exited {code}: {line}")
            left = unfinished(soak_db)
            requests = {"discord": Counter((m, r, s) for m, r, s, _ in (await discord.call("report"))["requests"]),
                        "slack": Counter((m, s) for m, s, _ in (await slack.call("report"))["requests"])}

    baseline, results = [], []
    for platform in PLATFORMS:
        base_channels = received(platform, messages[platform], ids[platform][0])
        parts = reference(base_channels)
        if len(parts) != expected[platform]:
            notes.append(f"{platform}: the baseline channels show {len(parts)} distinct parts; the renderer makes "
                         f"{expected[platform]}")
        b = PlatformResult(platform, n, expected[platform], reference_parts=len(parts))
        check(b, parts, base_channels)
        baseline.append(b)
        r = PlatformResult(platform, n, expected[platform], reference_parts=len(parts))
        check(r, parts, received(platform, messages[platform], ids[platform][1]), first_seen)
        results.append(r)
    discord_reads = sum(c for (m, r, _), c in requests["discord"].items()
                        if m == "GET" and r == "/channels/{channel_id}/messages")
    slack_reads = sum(c for (m, _), c in requests["slack"].items()
                      if m in ("conversations.history", "conversations.replies"))
    notes.insert(0, f"during the soak: {discord_reads} Discord history reads and {slack_reads} Slack "
                 "history/replies reads looking for an unconfirmed part's marker; 429s answered: Discord "
                 f"{sum(c for (_, _, s), c in requests['discord'].items() if s == 429)}, Slack "
                 f"{sum(c for (_, s), c in requests['slack'].items() if s == 429)}")
    report = Report(trials, baseline, results, baseline_s, idle_s, soak_s, final_s, final_line, extra, left,
                    args.seed, args.lease, args.nonce_window, exit_codes=codes, notes=notes)
    report.total_s = time.perf_counter() - started
    return report


# -- output ------------------------------------------------------------------------------------------------------
def table(report: Report) -> Table:
    t = Table(title=f"Crash soak: kill -9 of `paperbot deliver --now` at {len(report.trials)} random moments, "
                    "each followed by a restart (real transports → fakes on 127.0.0.1)")
    t.add_column("platform")
    t.add_column("run")
    for name in ("trials", "channels", "expected msgs", "delivered", "duplicates", "losses", "unexpected",
                 "verdict"):
        t.add_column(name, justify="right")
    for label, rows, trials in (("uninterrupted", report.baseline, 0), ("crash soak", report.soak,
                                                                         len(report.trials))):
        for r in rows:
            verdict = "[green]PASS[/]" if r.passed else "[red]FAIL[/]"
            t.add_row(r.platform, label, str(trials), str(r.channels), str(r.expected), str(r.delivered),
                      str(r.duplicates), str(r.losses), str(r.unexpected), verdict)
    killed = sum(t.killed for t in report.trials)
    hit = sum(1 for t in report.trials if t.in_flight)
    t.caption = (f"{killed} of {len(report.trials)} runs killed while running ({hit} left parts claimed: "
                 f"{sum(t.in_flight for t in report.trials)} summed over the trials, of which "
                 f"{sum(t.unrecorded for t in report.trials)} were on the platform but not recorded as sent); "
                 f"seed {report.seed}, lease {report.lease:g} s, Discord nonce window {report.nonce_window:g} s. "
                 "Target: 0 duplicates, 0 losses.")
    return t


def summary_lines(report: Report) -> list[str]:
    ratio = report.soak_s / report.baseline_s if report.baseline_s else float("inf")
    lines = [
        f"baseline: one uninterrupted run {report.baseline_s:.1f} s (a run with nothing to send "
        f"{report.idle_s:.1f} s); soak: {len(report.trials)} kills + restarts + the final run "
        f"{report.soak_s:.1f} s = {ratio:.1f}× the uninterrupted run; the final run {report.final_s:.1f} s "
        f"({report.final_line})",
        f"after the final run: {report.unfinished_posts} unfinished posts in the ledger; one more run sent "
        f"{report.extra_after_final} messages; total wall time {report.total_s:.1f} s",
    ]
    lines += report.notes
    evidence = [e for r in report.baseline + report.soak for e in r.evidence]
    if evidence:
        lines.append(f"EVIDENCE ({len(evidence)}):")
        lines += [f"  {e}" for e in evidence[:200]]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.crash_soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--channels", type=int, default=100, help="channels per platform")
    parser.add_argument("--seed", type=int, default=1, help="seed of the kill moments")
    parser.add_argument("--lease", type=float, default=1.5, help="PAPERBOT_LEASE_SECONDS of every run")
    parser.add_argument("--nonce-window", type=float, default=0.0,
                        help="seconds the Discord fake answers a repeated nonce with the first message")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args(argv)
    if args.trials < 1 or args.channels < 1:
        parser.error("--trials and --channels must be at least 1")
    progress(raise_nofile(4096))
    report = asyncio.run(soak(args))
    rows = [row("kills + restarts + final run", report.soak_s, "s", baseline=report.baseline_s)]
    for r in report.soak:
        rows += [row(f"{r.platform}: delivered of {r.expected:,} expected", r.delivered, "messages",
                     target=f"{r.expected:,}", ok=r.delivered == r.expected),
                 row(f"{r.platform}: duplicates / losses", r.duplicates + r.losses, "", target="0",
                     ok=r.passed)]
    save("crash_soak", f"Crash soak: {len(report.trials)} kills of `paperbot deliver --now`, {args.channels} channels"
         " per platform", "python -m bench.crash_soak " + " ".join(sys.argv[1:] if argv is None else argv), rows,
         notes=summary_lines(report))
    if args.json:
        print(json.dumps({**dataclasses.asdict(report), "pass": report.passed}, indent=2, ensure_ascii=False))
    else:
        console = Console(width=200)
        console.print(table(report))
        for line in summary_lines(report):
            console.print(line, markup=False, highlight=False)
    return 0 if report.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
