"""The delivery ledger's promise, over the real discord.py and slack-sdk against the loopback fakes:
a crash between any two ledger writes, then a restart, leaves every part in the channel exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.discord.transport import DiscordTransport
from adapters.slack.transport import SlackTransport
from bot.alerts import deliver_alerts
from bot.delivery import Deliverer, Outcome
from bot.scheduling import ChannelPoster, last_fire, trigger
from bot.store import Schedule
from storage.sqlite import SQLiteStore
from tests.bot.crashing import CrashingStore
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack

FRIDAY_0901_SEOUL = dt.datetime(2024, 6, 28, 0, 1, tzinfo=dt.UTC)
TOKEN = "MTIwMDAwMDAwMDAwMDAwMDAwMQ.SeCrEt.ledger-test-token"
#: open the post and claim its first part (one write), record each of its three parts sent (claiming the next
#: with it)
WRITES = 4


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(token=TOKEN) as fake, fake.patch_discord():
        yield fake


@pytest.fixture
async def rest(fake: FakeDiscord) -> AsyncIterator[discord.Client]:
    client = discord.Client(intents=discord.Intents(guilds=True), allowed_mentions=discord.AllowedMentions.none())
    await client.login(fake.token)
    yield client
    await client.close()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


def slack_client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=slack.api_url,
                          retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=5)])


def unpaced(slack: FakeSlack) -> dict[str, Any]:
    """Slack's transport without its per-channel pacing (tested on its own below), to keep tests quick."""
    return {"slack": SlackTransport(slack_client(slack), post_interval=0)}


def schedule(platform: str, channel: str, **kwargs: Any) -> Schedule:
    return Schedule(platform, channel, dt.time(9), "Asia/Seoul", (0, 1, 2, 3, 4),
                    since=dt.datetime(2024, 6, 1, tzinfo=dt.UTC), **kwargs)


def poster(store: Any, transports: dict[str, Any], at: dt.datetime, **kwargs: Any) -> ChannelPoster:
    clock = lambda: at  # noqa: E731
    return ChannelPoster(store, Deliverer(store, transports, clock=clock, **kwargs), clock=clock)


def discord_messages(fake: FakeDiscord, channel: int) -> list[Any]:
    """The channel's messages and those in threads started on them."""
    ids = {m.id for m in fake.messages if m.channel_id == channel}
    return [m for m in fake.messages if m.channel_id == channel or m.channel_id in ids]


def discord_parts(fake: FakeDiscord, channel: int) -> list[str]:
    """One entry per message: its first embed's title or URL (what a reader tells messages apart by)."""
    return [m.embeds[0].get("title") or m.embeds[0].get("url") for m in discord_messages(fake, channel)]


@pytest.mark.parametrize("platform", ["discord", "slack"])
async def test_the_crash_tests_reach_every_ledger_write_of_a_post(seeded, fake, rest, slack, platform):
    """A post of three parts makes exactly WRITES ledger writes: the tests below crash around each of them."""
    if platform == "discord":  # as below: the post and two thread messages
        channel, options = str(fake.add_channel("daily-papers")), {}
        transports: dict[str, Any] = {"discord": DiscordTransport(rest)}
    else:
        channel, options, transports = "C1", {"top_n": 2}, unpaced(slack)
    await seeded.set_schedule(schedule(platform, channel, **options))
    counting = CrashingStore(seeded, -1, "never")
    result = await poster(counting, transports, FRIDAY_0901_SEOUL).run_due()
    assert result.count("sent") == 1 and counting.writes == WRITES


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("step", range(WRITES))
async def test_discord_crash_between_any_two_ledger_writes(seeded, fake, rest, step, when):
    channel = fake.add_channel("daily-papers")
    await seeded.set_schedule(schedule("discord", str(channel)))
    crashing = CrashingStore(seeded, step, when)
    with pytest.raises(asyncio.CancelledError):
        await poster(crashing, {"discord": DiscordTransport(rest)}, FRIDAY_0901_SEOUL).run_due()
    # the restart comes after the dead run's lease ran out: its claims are taken over, by looking first
    later = FRIDAY_0901_SEOUL + dt.timedelta(seconds=11)
    result = await poster(seeded, {"discord": DiscordTransport(rest)}, later).run_due()
    assert result.count("failed") == result.count("incomplete") == 0
    parts = discord_parts(fake, channel)
    assert len(parts) == 3 and len(set(parts)) == 3  # the post and two thread messages, none twice
    cards = [e["url"] for m in discord_messages(fake, channel) for e in m.embeds if e.get("url")]
    assert len(cards) == len(set(cards)) == 9
    post = discord_messages(fake, channel)[0]
    assert all(m.channel_id == post.id for m in discord_messages(fake, channel)[1:])  # in the post's thread
    assert await seeded.unfinished_posts() == []
    again = await poster(seeded, {"discord": DiscordTransport(rest)}, later + dt.timedelta(hours=1)).run_due()
    assert again.count("sent") == 0 and len(discord_messages(fake, channel)) == 3


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("step", range(WRITES))
async def test_slack_crash_between_any_two_ledger_writes(seeded, slack, step, when):
    await seeded.set_schedule(schedule("slack", "C1", top_n=2))  # the post and two replies
    crashing = CrashingStore(seeded, step, when)
    with pytest.raises(asyncio.CancelledError):
        await poster(crashing, unpaced(slack), FRIDAY_0901_SEOUL).run_due()
    later = FRIDAY_0901_SEOUL + dt.timedelta(seconds=11)
    result = await poster(seeded, unpaced(slack), later).run_due()
    assert result.count("failed") == result.count("incomplete") == 0
    posts = [m for m in slack.messages if m.channel == "C1"]
    assert len(posts) == 3
    parent = next(m for m in posts if m.thread_ts is None)
    assert [m.thread_ts for m in posts if m is not parent] == [parent.ts, parent.ts]
    assert len({m.args["metadata"]["event_payload"]["nonce"] for m in posts}) == 3
    assert await seeded.unfinished_posts() == []


async def test_a_restart_right_after_a_crash_waits_out_the_lease_and_finishes(seeded, slack):
    await seeded.set_schedule(schedule("slack", "C1", top_n=2))
    with pytest.raises(asyncio.CancelledError):
        await poster(CrashingStore(seeded, 1, "after"), unpaced(slack),
                     FRIDAY_0901_SEOUL, lease_seconds=1.0).run_due()  # part 1 claimed, then the process died
    (unfinished,) = await seeded.unfinished_posts()
    assert unfinished.missing == (1, 2)
    # a live run with the real clock: the dead run's lease (set on the crash's clock) has run out
    deliverer = Deliverer(seeded, unpaced(slack), lease_seconds=1.0)
    async with deliverer:
        results = await deliverer.resume_unfinished()
    assert [r.outcome for r in results] == [Outcome.SENT]
    assert len([m for m in slack.messages if m.channel == "C1"]) == 3


async def test_a_live_runs_claim_is_left_alone_by_a_second_process(seeded, slack, tmp_path):
    """Two processes (two connections, two leases) deliver the same channels at once: each part once."""
    for channel in ("C1", "C2", "C3"):
        await seeded.set_schedule(schedule("slack", channel, top_n=2))
    other = await SQLiteStore.open(Path(seeded.path))
    try:
        first = poster(seeded, unpaced(slack), FRIDAY_0901_SEOUL, lease_seconds=1.0)
        second = poster(other, unpaced(slack), FRIDAY_0901_SEOUL, lease_seconds=1.0)
        await asyncio.gather(first.run_due(), second.run_due())
    finally:
        await other.close()
    for channel in ("C1", "C2", "C3"):
        posts = [m for m in slack.messages if m.channel == channel]
        assert len(posts) == 3, channel
        assert len({m.args["metadata"]["event_payload"]["nonce"] for m in posts}) == 3
    assert await seeded.unfinished_posts() == []


async def test_a_message_discord_rejects_is_recorded_and_the_post_goes_on(seeded, fake, rest, caplog):
    channel = fake.add_channel("daily-papers")
    await seeded.set_schedule(schedule("discord", str(channel)))
    fake.fail_next("POST", "/channels/{c}/messages", 400, code=50035, message="Invalid Form Body", times=1)
    caplog.set_level(logging.WARNING)
    result = await poster(seeded, {"discord": DiscordTransport(rest)}, FRIDAY_0901_SEOUL).run_due()
    (only,) = result.results
    # the post itself was rejected: its thread replies have nothing to hang off, and nothing is retried forever
    assert only.rejected == 1 and "50035" in only.detail
    assert await seeded.unfinished_posts() == []
    assert "rejected" in caplog.text
    again = poster(seeded, {"discord": DiscordTransport(rest)}, FRIDAY_0901_SEOUL + dt.timedelta(hours=1))
    assert (await again.run_due()).count("sent") == 0


async def test_a_rejected_thread_reply_does_not_stop_the_others(seeded, fake, rest):
    channel = fake.add_channel("daily-papers")
    await seeded.set_schedule(schedule("discord", str(channel)))
    transport = DiscordTransport(rest)
    send = transport.send
    calls = 0

    async def send_rejecting_the_first_reply(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:  # the first thread message: Discord answers 400 Invalid Form Body
            fake.fail_next("POST", "/channels/{c}/messages", 400, code=50035, message="Invalid Form Body")
        return await send(*args, **kwargs)

    transport.send = send_rejecting_the_first_reply  # type: ignore[method-assign]
    (result,) = (await poster(seeded, {"discord": transport}, FRIDAY_0901_SEOUL).run_due()).results
    assert (result.outcome, result.sent, result.rejected) == (Outcome.SENT, 2, 1)
    assert len(discord_messages(fake, channel)) == 2  # the post and the second thread message
    assert await seeded.unfinished_posts() == []


async def test_discord_down_does_not_stop_slack(seeded, slack, monkeypatch, capsys):
    import bot.logs
    from bot.cli import main

    await seeded.set_schedule(schedule("slack", "C1", top_n=2))
    await seeded.set_schedule(schedule("discord", "123456789012345678"))
    monkeypatch.setattr(bot.logs, "configure", lambda *a, **k: None)
    monkeypatch.setenv("PAPERBOT_DB", seeded.path)
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.setenv("DISCORD_API_BASE", "http://127.0.0.1:9/api/v10")  # nothing listens there
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    code = await asyncio.to_thread(main, ["deliver", "--now"])
    out, err = capsys.readouterr()
    assert code == 1
    assert err.strip().splitlines() == ["paperbot: discord skipped: cannot reach Discord at "
                                        "http://127.0.0.1:9/api/v10 (ClientConnectorError)"]
    # today has no digest in the window: the Slack channel gets its "no new papers" note all the same
    (note,) = [m for m in slack.messages if m.channel == "C1"]
    assert "No new papers today" in note.text and "sent=1" in out
    assert TOKEN not in out + err


async def test_an_alert_claimed_before_a_crash_is_sent_after_the_restart_exactly_once(seeded, seed_digest, slack):
    from bot.commands import Commands, Request

    await Commands(seeded).handle(Request("slack", "U7", "C1", "subscribe", "세그멘테이션"))
    transports = unpaced(slack)
    papers = list(seed_digest.papers)
    with pytest.raises(asyncio.CancelledError):  # the papers were claimed; the process died before the post
        crashing = CrashingStore(seeded, 0, "before")
        await deliver_alerts(crashing, Deliverer(crashing, transports), seed_digest.date, papers)
    assert [m for m in slack.messages if m.channel == slack.dm_channel("U7")] == []
    results = await deliver_alerts(seeded, Deliverer(seeded, transports), seed_digest.date, papers)
    assert [r.outcome for r in results] == [Outcome.SENT]
    results = await deliver_alerts(seeded, Deliverer(seeded, transports), seed_digest.date, papers)
    assert results == []
    (alert,) = [m for m in slack.messages if m.channel == slack.dm_channel("U7")]
    assert "세그멘테이션" in str(alert.args)


@pytest.mark.parametrize("day", ["2024-03-10", "2024-11-03"])
@pytest.mark.parametrize("at", [dt.time(1, 30), dt.time(2, 30), dt.time(9)])
def test_the_last_due_time_is_the_triggers_own_on_dst_days(day, at):
    rule = Schedule("discord", "1", at, "America/New_York", tuple(range(7)))
    start = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), tzinfo=dt.UTC)
    fires = []
    nxt = trigger(rule).get_next_fire_time(None, start - dt.timedelta(days=2))
    while nxt is not None and nxt < start + dt.timedelta(days=2):
        fires.append(nxt)
        nxt = trigger(rule).get_next_fire_time(nxt, nxt + dt.timedelta(seconds=1))
    for minutes in range(0, 48 * 60, 20):
        now = start + dt.timedelta(minutes=minutes)
        expected = max((f for f in fires if f <= now), default=None)
        assert last_fire(rule, now) == expected, now


async def test_slack_posts_are_paced_per_channel_so_slack_never_says_429(seeded):
    """Slack allows about one message a second per channel; the transport keeps to it, channels in parallel."""
    async with FakeSlack(per_channel_per_second=1.0) as strict:
        for channel in ("C1", "C2"):
            await seeded.set_schedule(schedule("slack", channel, top_n=2))
        result = await poster(seeded, {"slack": SlackTransport(slack_client(strict))}, FRIDAY_0901_SEOUL).run_due()
        assert result.count("sent") == 2
        assert [r.status for r in strict.calls("chat.postMessage")] == [200] * 6
        for channel in ("C1", "C2"):
            assert len([m for m in strict.messages if m.channel == channel]) == 3


async def test_discord_requests_are_paced_under_the_global_limit(seeded, fake, rest):
    channels = [fake.add_channel(f"papers-{i}") for i in range(3)]
    for channel in channels:
        await seeded.set_schedule(schedule("discord", str(channel)))
    transport = DiscordTransport(rest, requests_per_second=5)
    result = await poster(seeded, {"discord": transport}, FRIDAY_0901_SEOUL).run_due()
    assert result.count("sent") == 3
    posts = sorted(r.time for r in fake.requests if r.method == "POST")
    assert len(posts) == 12  # per channel: the post, the thread, two thread messages
    # paced at five a second though three channels were due at once: twelve requests take eleven 0.2 s slots,
    # one of which the pacer may make up after a stall (unpaced, all twelve arrive within a fraction of a
    # second). A lower bound only: a loaded machine makes the run slower, never faster.
    assert posts[-1] - posts[0] >= 10 * 0.2 - 0.05


async def test_deliveries_are_counted_in_the_metrics(seeded, slack):
    from prometheus_client.parser import text_string_to_metric_families

    from bot import metrics

    def value(name: str) -> float:
        for family in text_string_to_metric_families(metrics.generate_latest(metrics.REGISTRY).decode()):
            for sample in family.samples:
                if sample.name == name and sample.labels.get("platform") == "slack":
                    return sample.value
        return 0.0

    parts, posts = value("paperbot_parts_sent_total"), value("paperbot_posts_sent_total")
    await seeded.set_schedule(schedule("slack", "C1", top_n=2))
    await poster(seeded, unpaced(slack), FRIDAY_0901_SEOUL).run_due()
    assert value("paperbot_parts_sent_total") - parts == 3
    assert value("paperbot_posts_sent_total") - posts == 1
    assert value("paperbot_delivery_lag_seconds_count") >= 1
