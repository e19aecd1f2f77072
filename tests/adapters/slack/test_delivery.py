"""Scheduled delivery over slack-sdk against the fake Slack: the ledger, crashes, 429s, gone channels."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable

import pytest
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.client import new_session
from adapters.slack.transport import SlackTransport
from bot.delivery import Deliverer
from bot.scheduling import ChannelPoster
from bot.store import Schedule
from tests.bot.crashing import CrashingTransport
from tests.fakes.slack import FakeSlack

FRIDAY_0901_SEOUL = dt.datetime(2024, 6, 28, 0, 1, tzinfo=dt.UTC)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=slack.api_url,
                          retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=5)])


@pytest.fixture(params=["session per call", "shared session"])
async def unpaced(request: pytest.FixtureRequest, slack: FakeSlack) -> AsyncIterator[Callable[[], SlackTransport]]:
    """Slack's transports without their per-channel pacing (tested in tests/adapters/test_ledger_crashes.py),
    with slack-sdk's session per call or one shared session (as paperbot runs, adapters/slack/post.py)."""
    sessions = []

    def make() -> SlackTransport:
        web = client(slack)
        if request.param == "shared session":
            web.session = new_session(web)
            sessions.append(web.session)
        return SlackTransport(web, post_interval=0)

    yield make
    for session in sessions:
        await session.close()


def schedule(channel: str, set_by: str = "") -> Schedule:
    return Schedule("slack", channel, dt.time(9), "Asia/Seoul", (0, 1, 2, 3, 4), set_by=set_by,
                    since=dt.datetime(2024, 6, 1, tzinfo=dt.UTC))


def poster(store, transport, at: dt.datetime, *, wait_for_leases: bool = True) -> ChannelPoster:
    clock = lambda: at  # noqa: E731
    deliverer = Deliverer(store, {"slack": transport}, clock=clock, wait_for_leases=wait_for_leases)
    return ChannelPoster(store, deliverer, clock=clock)


@pytest.mark.parametrize(("part", "when"), [(0, "before"), (0, "after"), (4, "before"), (4, "after")])
async def test_a_crash_at_any_step_never_duplicates_and_the_restart_completes(seeded, slack, part, when, unpaced):
    await seeded.set_schedule(schedule("C1"))
    with pytest.raises(asyncio.CancelledError):
        await poster(seeded, CrashingTransport(unpaced(), part, when), FRIDAY_0901_SEOUL) \
            .run_channel(await seeded.schedule("slack", "C1"))
    later = FRIDAY_0901_SEOUL + dt.timedelta(minutes=10)
    result = await poster(seeded, unpaced(), later).run_due()
    assert [r.outcome for r in result.results] == ["sent"]
    posts = [m for m in slack.messages if m.channel == "C1"]
    assert len(posts) == 10  # the post and one thread reply per paper, none twice
    parent = next(m for m in posts if m.thread_ts is None)
    assert all(m.thread_ts == parent.ts for m in posts if m is not parent)
    assert len({m.args["metadata"]["event_payload"]["nonce"] for m in posts}) == 10


async def test_rate_limited_posts_arrive_exactly_once_in_thread_order(seeded, slack, unpaced):
    await seeded.set_schedule(schedule("C1"))
    await seeded.set_schedule(schedule("C2"))
    slack.rate_limit_next(3, retry_after=0)
    result = await poster(seeded, unpaced(), FRIDAY_0901_SEOUL).run_due()
    assert result.count("sent") == 2
    for channel in ("C1", "C2"):
        posts = [m for m in slack.messages if m.channel == channel]
        assert len(posts) == 10
        titles = [m.text for m in posts[1:]]
        assert titles[0].startswith("1.") and titles[-1].startswith("9.")


async def test_a_channel_the_bot_left_is_disabled_and_reported_once(seeded, slack, unpaced):
    slack.fail_channel("C9", "not_in_channel")
    await seeded.set_schedule(schedule("C1"))
    await seeded.set_schedule(schedule("C9", set_by="U7"))
    first = await poster(seeded, unpaced(), FRIDAY_0901_SEOUL).run_due()
    assert {r.target: r.outcome for r in first.results} == {"C1": "sent", "C9": "failed"}
    dm = [m for m in slack.messages if m.channel == slack.dm_channel("U7")]
    assert len(dm) == 1
    assert "can't post the daily papers to channel C9: not_in_channel" in dm[0].text.replace("\u200b", "")
    await poster(seeded, unpaced(), FRIDAY_0901_SEOUL + dt.timedelta(days=3)).run_due()
    assert len([m for m in slack.messages if m.channel == slack.dm_channel("U7")]) == 1
    assert [m for m in slack.messages if m.channel == "C9"] == []
