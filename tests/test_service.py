"""paperbot as a service process, driven as an operator would: subprocesses, signals, pipes, logs."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.digest_markdown import parse_file
from bot.store import Schedule
from storage.sqlite import SQLiteStore
from tests.conftest import ROOT, SEED
from tests.fakes.discord import FakeDiscord

TOKEN = "MTIwMDAwMDAwMDAwMDAwMDAwMQ.SeCrEt.paperbot-service-token-x9Z"
PLATFORM_VARS = ("DISCORD_TOKEN", "DISCORD_TOKEN_FILE", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET")


def service_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERBOT_") and k not in PLATFORM_VARS}
    env |= {"PAPERBOT_DB": str(tmp_path / "service.db"), "COLUMNS": "120", "PYTHONPATH": str(ROOT)}
    return env | extra


def paperbot(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot.cli", *args]


def wait_for(stream: IO[str], needle: str, timeout: float = 20.0) -> str:
    """Read ``stream`` until a line holds ``needle``; fails after ``timeout`` even if the process is silent."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in iter(stream.readline, "")], daemon=True).start()
    deadline = time.monotonic() + timeout
    seen = ""
    while needle not in seen:
        try:
            seen += lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no {needle!r} within {timeout} s; got {seen!r}") from None
    return seen


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_console_stops_on_sigterm_and_ctrl_c_at_once_with_exit_0(tmp_path, sig):
    """stdin stays open (a terminal nobody types into): the stop must not wait for a line."""
    env = service_env(tmp_path, PAPERBOT_LOG_LEVEL="INFO")
    with subprocess.Popen(paperbot("run", "--adapter", "console"), env=env, cwd=tmp_path, text=True,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None and proc.stdin is not None
        wait_for(proc.stdout, "Summaries:")  # started: the daily post is shown, waiting for input
        time.sleep(0.3)  # and past start-up
        sent = time.monotonic()
        proc.send_signal(sig)
        code = proc.wait(timeout=10)
        took = time.monotonic() - sent
        rest = proc.stderr.read()
        proc.stdin.close()
    assert code == 0, rest
    assert f"paperbot stopped on {sig.name}" in rest and "Traceback" not in rest
    assert took < 10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_a_fresh_discord_deployment_is_ready_with_todays_papers_and_stops_on_sigterm(tmp_path):
    """Health and metrics served, today's digest fetched at once from a folder source, every log line JSON,
    and SIGTERM → exit 0 within 10 s."""
    today = dt.datetime.now(dt.UTC).date()
    folder = tmp_path / "digests"
    folder.mkdir()
    (folder / f"daily-papers-{today.isoformat()}.md").write_text(
        SEED.read_text(encoding="utf-8").replace("2024-06-28", today.isoformat()), encoding="utf-8")
    port = free_port()
    async with FakeDiscord(token=TOKEN) as fake:
        env = service_env(tmp_path, DISCORD_TOKEN=TOKEN, DISCORD_API_BASE=fake.api_base,
                          DISCORD_GATEWAY_URL=fake.gateway_url, DISCORD_GUILD_ID=str(fake.guild_id),
                          PAPERBOT_LOG_FORMAT="json", PAPERBOT_LOG_LEVEL="INFO", PAPERBOT_HEALTH_PORT=str(port),
                          PAPERBOT_SOURCES=str(folder), PAPERBOT_FETCH_TIMEZONE="UTC",
                          PAPERBOT_FETCH_CATCHUP_DAYS="2")
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(*paperbot("run"), env=env, cwd=tmp_path,
                                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                                    stderr=subprocess.PIPE)
        assert proc.stderr is not None
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2) as http:
                ready = await _poll_ready(http, deadline=30)
                ready_after = time.monotonic() - started
                live = await http.get("/healthz")
                text = (await http.get("/metrics")).text
            sent = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            async with asyncio.timeout(10):
                log = (await proc.stderr.read()).decode()
                code = await proc.wait()
            took = time.monotonic() - sent
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "platform": "ok", "fetch": "ok"}
    assert live.json() == {"status": "ok"}
    families = {f.name: f for f in text_string_to_metric_families(text)}
    fetched = {(s.labels["source"], s.labels["status"]): s.value for s in families["paperbot_fetches"].samples}
    assert fetched[(str(folder), "ingested")] == 1
    assert families["paperbot_last_fetch_age_seconds"].samples[0].value < 60
    print(f"ready (connected, today's papers fetched) {ready_after:.1f} s after start; stopped in {took:.1f} s")
    assert code == 0, log
    assert took < 10
    records = [json.loads(line) for line in log.splitlines()]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    messages = [r["message"] for r in records]
    assert any(m.startswith("paperbot stopped on SIGTERM") for m in messages), messages
    assert not any("voice will NOT be supported" in m for m in messages)
    assert TOKEN not in log
    # the fresh deployment's first `/papers today` has papers: today's digest is stored
    async with await SQLiteStore.open(tmp_path / "service.db") as store:
        stored = await store.digest()
    assert stored is not None and stored.date == today and len(stored.papers) == 9


async def _poll_ready(http: httpx.AsyncClient, deadline: float) -> httpx.Response:
    end = time.monotonic() + deadline
    last: httpx.Response | None = None
    while time.monotonic() < end:
        try:
            last = await http.get("/readyz")
            if last.status_code == 200:
                return last
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    assert last is not None, "the health server never answered"
    return last


def test_a_closed_pipe_ends_quietly(tmp_path):
    env = service_env(tmp_path)
    assert subprocess.run(paperbot("ingest", str(SEED)), env=env, cwd=tmp_path, capture_output=True).returncode == 0
    read, write = os.pipe()
    os.close(read)  # the reader (`head`) has gone before paperbot writes
    with subprocess.Popen(paperbot("digest", "--json"), env=env, cwd=tmp_path, stdout=write,
                          stderr=subprocess.PIPE, text=True) as proc:
        os.close(write)
        _, err = proc.communicate(timeout=30)
    assert (proc.returncode, err) == (0, "")


async def test_sigterm_during_a_fan_out_exits_0_and_the_restart_finishes_every_post_once(tmp_path):
    """24 channels due now; SIGTERM once the first posts are out; the next start finishes the rest from the
    ledger, and no channel gets anything twice."""
    today = dt.datetime.now(dt.UTC).date()
    digest = tmp_path / f"daily-papers-{today.isoformat()}.md"
    digest.write_text(SEED.read_text(encoding="utf-8").replace("2024-06-28", today.isoformat()), encoding="utf-8")
    async with FakeDiscord(token=TOKEN) as fake:
        channels = [fake.add_channel(f"papers-{n}") for n in range(24)]
        async with await SQLiteStore.open(tmp_path / "service.db") as store:
            result = parse_file(digest)
            assert result.digest is not None
            await store.ingest(result.digest, source=str(digest))
            for channel in channels:  # due since midnight UTC, every day
                await store.set_schedule(Schedule("discord", str(channel), dt.time(0, 0), "UTC", tuple(range(7)),
                                                  set_by="ops", since=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)))
        env = service_env(tmp_path, DISCORD_TOKEN=TOKEN, DISCORD_API_BASE=fake.api_base,
                          DISCORD_GATEWAY_URL=fake.gateway_url, DISCORD_GUILD_ID=str(fake.guild_id),
                          PAPERBOT_LOG_LEVEL="INFO", PAPERBOT_HEALTH_PORT="0", PAPERBOT_FETCH_CATCHUP_DAYS="0")

        def posts() -> dict[int, list]:
            found: dict[int, list] = {c: [] for c in channels}
            threads = {m.id: m.channel_id for m in fake.messages if m.channel_id in found}
            for m in fake.messages:
                owner = m.channel_id if m.channel_id in found else threads.get(m.channel_id)
                if owner is not None:
                    found[owner].append(m)
            return found

        async def run_until(done: Callable[[], bool], *, deadline: float) -> tuple[int, float, str]:
            proc = await asyncio.create_subprocess_exec(*paperbot("run"), env=env, cwd=tmp_path,
                                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                                        stderr=subprocess.PIPE)
            assert proc.stderr is not None
            try:
                async with asyncio.timeout(deadline):
                    while True:  # the fake runs in this loop: poll what it has received
                        if done():
                            break
                        await asyncio.sleep(0.02)
                sent = time.monotonic()
                proc.send_signal(signal.SIGTERM)
                async with asyncio.timeout(10):
                    log = (await proc.stderr.read()).decode()
                    code = await proc.wait()
                return code, time.monotonic() - sent, log
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()

        code, took, log = await run_until(lambda: sum(bool(m) for m in posts().values()) >= 3, deadline=30)
        assert code == 0 and took < 10, log
        assert "paperbot stopped on SIGTERM" in log and "Traceback" not in log
        cut = posts()
        assert sum(len(m) == 3 for m in cut.values()) < len(channels), "the fan-out ended before the signal"
        t0 = time.monotonic()
        code, _, log = await run_until(lambda: all(len(m) >= 3 for m in posts().values()), deadline=60)
        restart = time.monotonic() - t0
        assert code == 0, log
        await asyncio.sleep(0.5)  # anything sent twice would arrive now
        final = posts()
    assert {len(m) for m in final.values()} == {3}  # the post and its thread's two messages, everywhere, once
    assert all(len({m.nonce for m in messages}) == 3 for messages in final.values())
    print(f"SIGTERM after {sum(bool(m) for m in cut.values())} of {len(channels)} channels started; "
          f"stopped in {took:.1f} s; the restart finished the rest in {restart:.1f} s")


async def test_a_slack_socket_mode_bot_is_ready_once_connected_and_stops_on_sigterm(tmp_path):
    from tests.fakes.slack import FakeSlack

    port = free_port()
    async with FakeSlack() as slack:
        env = service_env(tmp_path, SLACK_BOT_TOKEN=slack.bot_token, SLACK_APP_TOKEN=slack.app_token,
                          SLACK_API_URL=slack.api_url, PAPERBOT_HEALTH_PORT=str(port), PAPERBOT_SOURCES="")
        proc = await asyncio.create_subprocess_exec(*paperbot("run"), env=env, cwd=tmp_path,
                                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                                    stderr=subprocess.PIPE)
        assert proc.stderr is not None
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2) as http:
                ready = await _poll_ready(http, deadline=30)
            proc.send_signal(signal.SIGTERM)
            async with asyncio.timeout(10):
                log = (await proc.stderr.read()).decode()
                code = await proc.wait()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "platform": "ok"}  # no sources: the fetch is no condition
    assert code == 0 and "paperbot stopped on SIGTERM" in log and "Traceback" not in log
