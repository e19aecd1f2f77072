"""Scheduled delivery over real discord.py against the fake: exactly once, even across crashes."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import discord
import pytest

from adapters.discord.transport import DiscordTransport
from bot.delivery import Deliverer
from bot.scheduling import ChannelPoster
from bot.store import Schedule
from tests.bot.crashing import CrashingTransport
from tests.fakes.discord import FakeDiscord

FRIDAY_0901_SEOUL = dt.datetime(2024, 6, 28, 0, 1, tzinfo=dt.UTC)


@pytest.fixture
async def rest(fake: FakeDiscord) -> AsyncIterator[discord.Client]:
    client = discord.Client(intents=discord.Intents(guilds=True), allowed_mentions=discord.AllowedMentions.none())
    await client.login(fake.token)
    yield client
    await client.close()


def schedule(channel: int, set_by: int | None = None) -> Schedule:
    return Schedule("discord", str(channel), dt.time(9), "Asia/Seoul", (0, 1, 2, 3, 4),
                    set_by=str(set_by or ""), since=dt.datetime(2024, 6, 1, tzinfo=dt.UTC))


def poster(store, transport, at: dt.datetime, *, wait_for_leases: bool = True) -> ChannelPoster:
    clock = lambda: at  # noqa: E731
    deliverer = Deliverer(store, {"discord": transport}, clock=clock, wait_for_leases=wait_for_leases)
    return ChannelPoster(store, deliverer, clock=clock)


def in_channel(fake: FakeDiscord, channel: int) -> list:
    """Messages in the channel and in threads started on its messages."""
    ids = {m.id for m in fake.messages if m.channel_id == channel}
    return [m for m in fake.messages if m.channel_id == channel or m.channel_id in ids]


@pytest.mark.parametrize(("part", "when"), [(0, "before"), (0, "after"), (1, "before"), (1, "after"), (2, "after")])
async def test_a_crash_at_any_step_never_duplicates_and_the_restart_completes(seeded, fake, rest, part, when):
    channel = fake.add_channel("daily-papers")
    await seeded.set_schedule(schedule(channel))
    with pytest.raises(asyncio.CancelledError):
        await poster(seeded, CrashingTransport(DiscordTransport(rest), part, when), FRIDAY_0901_SEOUL) \
            .run_channel(await seeded.schedule("discord", str(channel)))
    # a live run right after the crash must not touch the part in flight
    busy = await poster(seeded, DiscordTransport(rest), FRIDAY_0901_SEOUL + dt.timedelta(seconds=5),
                        wait_for_leases=False).run_due()
    assert busy.count("sent") == 0
    # restart ten minutes later: the dead run's claim is resolved by looking, the rest is sent
    later = FRIDAY_0901_SEOUL + dt.timedelta(minutes=10)
    result = await poster(seeded, DiscordTransport(rest), later).run_due()
    assert [r.outcome for r in result.results] == ["sent"]
    messages = in_channel(fake, channel)
    assert len(messages) == 3  # the post and two thread messages carrying nine cards
    assert len({m.nonce for m in messages}) == 3
    urls = [e["url"] for m in messages for e in m.embeds if e.get("url")]
    assert len(urls) == len(set(urls)) == 9
    again = await poster(seeded, DiscordTransport(rest), later + dt.timedelta(hours=1)).run_due()
    assert again.count("sent") == 0 and len(in_channel(fake, channel)) == 3


async def test_a_forbidden_channel_is_disabled_and_reported_once_while_others_are_delivered(seeded, fake, rest):
    good, bad = fake.add_channel("papers-a"), fake.add_channel("papers-b")
    fake.fail_channel(bad, 403)
    await seeded.set_schedule(schedule(good))
    await seeded.set_schedule(schedule(bad, set_by=fake.owner_id))
    first = await poster(seeded, DiscordTransport(rest), FRIDAY_0901_SEOUL).run_due()
    outcomes = {r.target: r.outcome for r in first.results}
    assert outcomes == {str(good): "sent", str(bad): "failed"}
    assert len(in_channel(fake, good)) == 3 and in_channel(fake, bad) == []
    assert str(bad) in await seeded.unavailable("discord")
    dm = [m for m in fake.messages if m.channel_id == fake.dm_channel(fake.owner_id)]
    assert len(dm) == 1 and f"can't post the daily papers to channel {bad}" in dm[0].content
    second = await poster(seeded, DiscordTransport(rest), FRIDAY_0901_SEOUL + dt.timedelta(days=3)).run_due()
    assert {r.target: r.detail for r in second.results}[str(bad)] == "channel unavailable"
    assert len([m for m in fake.messages if m.channel_id == fake.dm_channel(fake.owner_id)]) == 1


async def test_rate_limited_posts_arrive_exactly_once(seeded, fake, rest):
    channels = [fake.add_channel(f"papers-{i}") for i in range(4)]
    for channel in channels:
        await seeded.set_schedule(schedule(channel))
    fake.rate_limit_next(3, retry_after=0.05)
    result = await poster(seeded, DiscordTransport(rest), FRIDAY_0901_SEOUL).run_due()
    assert result.count("sent") == 4
    for channel in channels:
        assert len(in_channel(fake, channel)) == 3
    assert any(r.status == 429 for r in fake.requests)
