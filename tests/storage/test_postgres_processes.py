"""Several paperbot processes on one PostgreSQL database: every part of every post exactly once,
even when one of them is killed with SIGKILL in the middle of the fan-out."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import signal
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.store import Schedule
from storage.postgres import PostgresStore
from tests.fakes.slack import FakeSlack

ROOT = Path(__file__).resolve().parents[2]
CHANNELS = [f"C{n:03d}" for n in range(24)]


async def deliver(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "deliver", "--now", env=env, cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)


async def test_three_processes_one_killed_still_deliver_every_part_exactly_once(pg_schema, seed_digest, tmp_path):
    url, schema = pg_schema
    today = dt.datetime.now(ZoneInfo("Asia/Seoul")).date()
    store = await PostgresStore.open(url, schema=schema)
    try:
        await store.ingest(dataclasses.replace(seed_digest, date=today), source="seed")
        for channel in CHANNELS:  # each post: the digest and two thread replies
            await store.set_schedule(Schedule("slack", channel, dt.time(9), "Asia/Seoul", tuple(range(7)), top_n=2,
                                              since=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)))
    finally:
        await store.close()
    async with FakeSlack() as slack:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "PAPERBOT_", "SLACK_"))}
        env.update(PAPERBOT_DB=f"{url}?schema={schema}", SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=slack.api_url,
                   PAPERBOT_LEASE_SECONDS="2", PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""))
        processes = [await deliver(env, tmp_path) for _ in range(3)]
        for _ in range(600):  # kill one as soon as the fan-out is under way
            if len(slack.messages) >= 10:
                break
            await asyncio.sleep(0.02)
        processes[0].send_signal(signal.SIGKILL)
        await processes[0].wait()
        for survivor in processes[1:]:
            _, err = await asyncio.wait_for(survivor.communicate(), 90)
            assert survivor.returncode == 0, err.decode()
        final = await deliver(env, tmp_path)  # whatever the dead one left, a later run finishes
        _, err = await asyncio.wait_for(final.communicate(), 90)
        assert final.returncode == 0, err.decode()
        for channel in CHANNELS:
            posts = [m for m in slack.messages if m.channel == channel]
            assert len(posts) == 3, (channel, [m.text[:40] for m in posts])
            parent = next(m for m in posts if m.thread_ts is None)
            assert [m.thread_ts for m in posts if m is not parent] == [parent.ts, parent.ts]
            assert len({m.args["metadata"]["event_payload"]["nonce"] for m in posts}) == 3
    store = await PostgresStore.open(url, schema=schema)
    try:
        assert await store.unfinished_posts() == []
    finally:
        await store.close()
