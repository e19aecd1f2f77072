"""``run(bot)`` end to end, ``paperbot post`` through the ledger (in process and as a subprocess), the invite URL."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from adapters.discord import cli as discord_cli
from adapters.discord.app import run
from adapters.discord.invite import PERMISSIONS, invite_url
from bot.app import PaperBot
from bot.commands import Commands
from bot.models import Digest
from bot.store import Schedule
from storage.sqlite import SQLiteStore
from tests.adapters.discord.conftest import TODAY, TOKEN, make_settings
from tests.fakes.discord import FakeDiscord, P

ROOT = Path(__file__).resolve().parents[3]


def with_settings(bot: PaperBot, fake: FakeDiscord, **overrides: Any) -> PaperBot:
    return PaperBot(make_settings(fake, **overrides), bot.store, Commands(bot.store, today=lambda: TODAY))


# -- run ------------------------------------------------------------------------------
async def test_run_syncs_answers_and_stops_when_cancelled(bot: PaperBot, fake: FakeDiscord,
                                                          caplog: pytest.LogCaptureFixture,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    task = asyncio.create_task(run(bot, guild_ready_timeout=0.05))
    session = await fake.wait_ready()
    assert session.intents == 1  # GUILDS only: nothing privileged
    assert fake.find_command("papers", fake.guild_id) is not None  # synced before the gateway connected
    interaction = fake.slash_command("papers", subcommand="search", options={"query": "추론"})
    await fake.invoke(interaction)
    callback = await fake.wait_callback(interaction["id"])
    assert callback["type"] == 4 and callback["data"]["embeds"]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)
    await fake.wait_until(lambda: session.conn is None)
    out, err = capsys.readouterr()
    assert TOKEN not in caplog.text + out + err
    assert "Bot " + TOKEN not in caplog.text


async def test_run_global_sync_without_guild_id(bot: PaperBot, fake: FakeDiscord) -> None:
    task = asyncio.create_task(run(with_settings(bot, fake, DISCORD_GUILD_ID=None), guild_ready_timeout=0.05))
    try:
        await fake.wait_ready()
        assert fake.find_command("papers") is not None and fake.guild_id not in fake.commands
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_run_with_a_bad_token_exits_2_without_the_token(bot: PaperBot, fake: FakeDiscord,
                                                               capsys: pytest.CaptureFixture[str],
                                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "WRONG.token.value-that-must-not-leak"
    assert await run(with_settings(bot, fake, DISCORD_TOKEN=wrong)) == 2  # configuration, as Slack's
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "401" in err and "DISCORD_TOKEN" in err
    assert wrong not in err + caplog.text


async def test_run_without_a_token(bot: PaperBot, fake: FakeDiscord, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    assert await run(with_settings(bot, fake, DISCORD_TOKEN=None)) == 2
    assert "no Discord token" in capsys.readouterr().err


# -- paperbot post (in process: the CLI in a thread, against the fake on this loop) -------------
async def post_cli(fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch, db: Path, *argv: str,
                   token: str = TOKEN) -> int:
    import bot.logs
    from bot.cli import main

    monkeypatch.setattr(bot.logs, "configure", lambda *a, **k: None)  # pytest owns logging here
    for name, value in {"DISCORD_TOKEN": token, "DISCORD_API_BASE": fake.api_base, "PAPERBOT_DB": str(db)}.items():
        monkeypatch.setenv(name, value)
    return await asyncio.to_thread(main, ["post", "--adapter", "discord", *argv])


@pytest.fixture
async def db(seeded: SQLiteStore) -> Path:
    return Path(seeded.path)


async def test_post_sends_the_digest_with_its_thread_once(db: Path, fake: FakeDiscord,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    channel = str(fake.papers_channel_id)
    assert await post_cli(fake, monkeypatch, db, "--channel", channel) == 0
    post_message, *replies = fake.messages
    assert post_message.channel_id == fake.papers_channel_id and "Fri, Jun 28, 2024" in post_message.embeds[0]["title"]
    assert {m.channel_id for m in replies} == {post_message.id}
    assert fake.channels[post_message.id]["name"] == "Daily Papers — Fri, Jun 28, 2024"[:100] or \
        "Fri, Jun 28, 2024" in fake.channels[post_message.id]["name"]
    assert not fake.sessions  # REST only: no gateway connection
    assert "posted the 2024-06-28 digest" in capsys.readouterr().out
    # the same post again is the same ledger post: nothing is sent twice …
    assert await post_cli(fake, monkeypatch, db, "--channel", channel) == 0
    assert len(fake.messages) == 3 and "already posted" in capsys.readouterr().out
    # … unless asked for on purpose
    assert await post_cli(fake, monkeypatch, db, "--channel", channel, "--again") == 0
    assert len(fake.messages) == 6


async def test_post_applies_the_channel_schedule(db: Path, seeded: SQLiteStore, fake: FakeDiscord,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    channel = str(fake.papers_channel_id)
    await seeded.set_schedule(Schedule("discord", channel, dt.time(9), "UTC", (0, 1, 2, 3, 4), top_n=2))
    assert await post_cli(fake, monkeypatch, db, "--channel", channel, "--date", TODAY.isoformat()) == 0
    post_message, *replies = fake.messages
    assert "top 2 of 9 papers" in post_message.embeds[0]["description"]
    assert sum(len(m.embeds) for m in replies) == 2


@pytest.mark.parametrize(("setup", "expected", "code"), [
    ("forbidden", "403 Missing Access, code 50001", 1),
    ("unknown", "404 Unknown Channel, code 10003", 1),
    ("bad-token", "401 Unauthorized", 1),
    ("not-an-id", "must be a Discord channel id", 2),
    ("no-digest", "no digest stored for 2001-01-01", 1),
])
async def test_post_failures_are_one_clear_line(db: Path, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str],
                                                caplog: pytest.LogCaptureFixture, setup: str, expected: str,
                                                code: int) -> None:
    caplog.set_level(logging.DEBUG)
    argv, token = ["--channel", str(fake.papers_channel_id)], TOKEN
    if setup == "forbidden":
        fake.fail_channel(fake.papers_channel_id, 403)
    elif setup == "unknown":
        argv = ["--channel", "1234567890123"]
    elif setup == "bad-token":
        token = "nope-" + TOKEN[::-1]
    elif setup == "not-an-id":
        argv = ["--channel", "#papers"]
    else:
        argv += ["--date", "2001-01-01"]
    assert await post_cli(fake, monkeypatch, db, *argv, token=token) == code
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1, err
    assert err.startswith("paperbot") and expected in err
    assert TOKEN not in err + caplog.text and TOKEN[::-1] not in err + caplog.text
    assert not fake.messages


async def test_the_invite_permissions_are_enough_to_post(db: Path, fake: FakeDiscord,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    guild = fake.guilds[fake.guild_id]
    guild.roles[fake.bot_role_id]["permissions"] = str(PERMISSIONS.value)
    guild.roles[fake.guild_id]["permissions"] = "0"  # nothing from @everyone
    assert await post_cli(fake, monkeypatch, db, "--channel", str(fake.papers_channel_id)) == 0
    assert len(fake.messages) == 3 and len(fake.requests_to("POST", "/channels/{c}/messages/{m}/threads")) == 1


# -- invite ------------------------------------------------------------------------------
def test_invite_url_has_both_scopes_and_the_minimal_permissions() -> None:
    wanted = (P.VIEW_CHANNEL | P.SEND_MESSAGES | P.SEND_MESSAGES_IN_THREADS | P.CREATE_PUBLIC_THREADS | P.EMBED_LINKS
              | P.READ_MESSAGE_HISTORY)
    assert PERMISSIONS.value == wanted == 309237730304
    assert invite_url(1200000000000000001) == (
        "https://discord.com/oauth2/authorize?client_id=1200000000000000001"
        "&scope=bot+applications.commands&permissions=309237730304")
    assert invite_url(5, guild_id=7).endswith("&permissions=309237730304&guild_id=7")
    with pytest.raises(ValueError):
        invite_url(0)


async def test_invite_url_subcommand(bot: PaperBot, fake: FakeDiscord, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="paperbot")
    discord_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["discord", "invite-url", "--application-id", "42"])
    assert await discord_cli.handle(args, bot.settings) == 0
    assert capsys.readouterr().out.strip() == invite_url(42, guild_id=fake.guild_id)
    # without --application-id, it asks Discord which application the token belongs to
    args = parser.parse_args(["discord", "invite-url"])
    assert await discord_cli.handle(args, bot.settings) == 0
    assert f"client_id={fake.application_id}&" in capsys.readouterr().out
    bad = with_settings(bot, fake, DISCORD_TOKEN="wrong")
    assert await discord_cli.handle(args, bad.settings) == 1
    assert "401" in capsys.readouterr().err


# -- paperbot post as a subprocess ----------------------------------------------------------
async def run_cli(*argv: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *argv, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.fixture
async def cli_env(fake: FakeDiscord, seed_digest: Digest, tmp_path: Path) -> dict[str, str]:
    db = tmp_path / "cli.db"
    store = await SQLiteStore.open(db)
    await store.ingest(seed_digest, source="seed")
    await store.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "PAPERBOT_", "SLACK_"))}
    env.update(DISCORD_TOKEN=TOKEN, DISCORD_API_BASE=fake.api_base, PAPERBOT_DB=str(db),
               PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""))
    return env


async def test_paperbot_post_cli(fake: FakeDiscord, cli_env: dict[str, str], tmp_path: Path) -> None:
    code, out, err = await run_cli("post", "--adapter", "discord", "--channel", str(fake.papers_channel_id),
                                   "--date", "2024-06-28", env=cli_env, cwd=tmp_path)
    assert (code, err) == (0, "")
    assert "posted the 2024-06-28 digest" in out
    assert [m.channel_id for m in fake.messages][:1] == [fake.papers_channel_id] and len(fake.messages) == 3
    assert all(r.headers.get("Authorization") == f"Bot {TOKEN}" for r in fake.requests)

    fake.fail_channel(fake.channel_id, 403)
    code, out, err = await run_cli("post", "--adapter", "discord", "--channel", str(fake.channel_id),
                                   env=cli_env, cwd=tmp_path)
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [
        f"paperbot post: discord channel {fake.channel_id}: failed: 403 Missing Access, code 50001"]
    assert TOKEN not in out + err and len(fake.messages) == 3


async def test_paperbot_post_killed_mid_post_is_finished_by_the_next_post_exactly_once(
        fake: FakeDiscord, cli_env: dict[str, str], tmp_path: Path) -> None:
    env = {**cli_env, "PAPERBOT_LEASE_SECONDS": "1"}
    channel = str(fake.papers_channel_id)
    # the thread's creation is held up by a 429 for a while: the process is killed in the middle of the post
    fake.rate_limit_next(1, retry_after=5, method="POST", path_pattern="/channels/{c}/messages/{m}/threads")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "post", "--adapter", "discord", "--channel", channel, env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    for _ in range(400):  # kill -9 as soon as the post is out and before the thread is finished
        if fake.messages:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.3)
    proc.kill()
    await proc.wait()
    assert len(fake.messages) == 1  # the post is out, its thread is not
    code, _, err = await run_cli("post", "--adapter", "discord", "--channel", channel, env=env, cwd=tmp_path)
    assert code == 0, err
    post, *thread = fake.messages
    assert len(thread) == 2 and {m.channel_id for m in thread} == {post.id}
    cards = [e["url"] for m in thread for e in m.embeds]
    assert len(cards) == len(set(cards)) == 9
