"""Scaling out on one PostgreSQL database: Discord shards over processes, Slack HTTP replicas.

Each test runs real ``paperbot run`` processes (or two HTTP-mode apps) against the loopback fakes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from tests.fakes.discord import FakeDiscord

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "MTIwMDAwMDAwMDAwMDAwMDAwMQ.SeCrEt.shard-test-token"


def base_env(url: str, schema: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "PAPERBOT_", "SLACK_"))}
    env.update(PAPERBOT_DB=f"{url}?schema={schema}", PAPERBOT_SOURCES="", PAPERBOT_HEALTH_PORT="0",
               PAPERBOT_LEADER_RETRY_SECONDS="0.5", PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""))
    return env


@contextlib.asynccontextmanager
async def processes(envs: list[dict[str, str]], cwd: Path) -> AsyncIterator[list[asyncio.subprocess.Process]]:
    """``paperbot run`` once per environment; stopped (SIGTERM, then SIGKILL) at the end."""
    procs = [await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env, cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE) for env in envs]
    try:
        yield procs
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def stderr_of(proc: asyncio.subprocess.Process) -> str:
    assert proc.stderr is not None
    return (await proc.stderr.read()).decode()


async def test_two_discord_processes_each_answer_the_servers_of_their_shard(pg_schema, tmp_path):
    url, schema = pg_schema
    async with FakeDiscord(token=TOKEN, shard_count=2) as fake:
        first = fake.guild_id
        # a second server, on the other shard (a snowflake's shard is (id >> 22) % count)
        second = fake.add_guild("Other Lab", guild_id=first + (1 << 22))
        assert {fake.shard_of(first), fake.shard_of(second)} == {0, 1}
        fake.add_member(fake.user_id, guild_id=second)
        fake.add_member(fake.bot_user_id, guild_id=second)
        channel = fake.add_channel("papers", guild_id=second)
        envs = []
        for shard in (0, 1):
            env = base_env(url, schema)
            env.update(DISCORD_TOKEN=TOKEN, DISCORD_API_BASE=fake.api_base, DISCORD_GATEWAY_URL=fake.gateway_url,
                       DISCORD_SHARD_COUNT="2", DISCORD_SHARD_IDS=str(shard))
            envs.append(env)
        async with processes(envs, tmp_path) as procs:
            try:
                await fake.wait_until(lambda: len(fake.sessions) == 2 and fake.commands, timeout=60)
            except TimeoutError:
                for proc in procs:
                    if proc.returncode is None:
                        proc.send_signal(signal.SIGTERM)
                raise AssertionError("both processes did not connect: " + " | ".join(
                    [(await stderr_of(p))[-2000:] for p in procs])) from None
            shards = sorted(tuple(s.shard or ()) for s in fake.sessions)
            assert shards == [(0, 2), (1, 2)]  # one gateway session per process, each its own shard
            by_shard = {s.shard[0]: s for s in fake.sessions if s.shard}
            for guild, cid in ((first, fake.channel_id), (second, channel)):
                iid = await fake.invoke(fake.slash_command("papers", subcommand="help", channel_id=cid))
                answer = await fake.wait_callback(iid, timeout=30)
                assert answer["type"] in (4, 5)
                got = [shard for shard, s in by_shard.items()
                       if any(e["t"] == "INTERACTION_CREATE" and int(e["d"]["id"]) == iid for e in s.events)]
                assert got == [fake.shard_of(guild)]  # only the process owning the server's shard got it
                callbacks = [r for r in fake.requests if r.path.startswith(f"/interactions/{iid}/")]
                assert len(callbacks) == 1  # answered once
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            logs = [await stderr_of(p) for p in procs]
    assert "connects shards 0 of 2" in logs[0] and "connects shards 1 of 2" in logs[1]
    assert sum("now leads" in log for log in logs) == 1  # one leader for the schedules
    assert sum("follows" in log for log in logs) == 1
    assert ("synced /papers" in logs[0]) and ("synced /papers" not in logs[1])  # shard 0's process registers it


async def test_two_slack_http_replicas_share_subscriptions_and_schedules(pg_schema, seed_digest, monkeypatch):
    """Behind a load balancer any replica gets any request: what one stores, the other sees and acts on."""
    import dataclasses
    import datetime as dt

    from adapters.slack.client import make_client
    from adapters.slack.transport import SlackTransport
    from bot.app import PaperBot
    from bot.commands import Commands
    from bot.scheduling import job_id
    from storage.postgres import PostgresStore
    from tests.adapters.slack.conftest import LISTED_ADMIN, make_settings, serve_http
    from tests.fakes.slack import FakeSlack

    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)  # bolt reads these too
    url, schema = pg_schema
    async with FakeSlack() as slack:
        stores = [await PostgresStore.open(url, schema=schema) for _ in range(2)]  # two replicas' pools
        replicas = [PaperBot(make_settings(slack, PAPERBOT_LEADER_RETRY_SECONDS="0.5"), s, Commands(s))
                    for s in stores]
        a, b = replicas
        try:
            for bot in (b, a):  # b starts first: it leads
                await bot.start("slack", {"slack": SlackTransport(make_client(bot.settings))})
            assert b.leading() and not a.leading()
            async with serve_http(a, slack) as via_a, serve_http(b, slack) as via_b:
                async def ask(replica, text: str, rid: str, **kwargs) -> str:  # type: ignore[no-untyped-def]
                    assert await replica.command(text, response_id=rid, **kwargs) == (200, "")
                    await slack.wait_for(lambda: any(r.id == rid for r in slack.responses))
                    return " ".join(str(r.body) for r in slack.responses if r.id == rid)

                assert "추론" in await ask(via_a, "subscribe 추론", "r1", user_id="U1")
                assert "추론" in await ask(via_b, "subscriptions", "r2", user_id="U1")
                assert "Daily post set: 09:00 UTC" in await ask(
                    via_a, "schedule set 09:00 UTC", "r3", user_id=LISTED_ADMIN, channel_id="C9")
                assert "09:00" in await ask(via_b, "schedule show", "r4", user_id="U2", channel_id="C9")

                # the leader (b) times the schedule set through a, and alerts the subscriber made through a
                await b.sync_schedules()
                job = b.scheduler.get_job(job_id("slack", "C9"))
                assert job is not None
                today = dt.datetime.now(dt.UTC).date()
                report = await stores[1].ingest(dataclasses.replace(seed_digest, date=today), source="seed")
                await b.after_ingest(report)  # what b's daily fetch does with new papers
                dm = slack.dm_channel("U1")
                assert any("추론" in str(m.args) for m in slack.messages_in(dm))  # the alert
                assert await a.channels.fire("slack", "C9") is None  # type: ignore[union-attr]  # a follows
                fire_at = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(9, 0), tzinfo=dt.UTC)
                result = await job.func(*job.args, now=fire_at)  # what b's timer runs at 09:00
                assert result is not None and result.outcome == "sent"
                assert len([m for m in slack.messages_in("C9") if m.thread_ts is None]) == 1
        finally:
            for bot in replicas:
                await bot.close()
