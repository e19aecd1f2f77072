"""The Slack transport's HTTP session and per-channel pacing, against the fake Slack's 1 message/s rule."""

from __future__ import annotations

import asyncio
import resource

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import client as slack_client
from adapters.slack.client import connection_limit, make_client, shared_session
from adapters.slack.transport import SlackTransport
from bot.config import Settings
from bot.payload import Payload
from tests.fakes.slack import FakeSlack


def test_connections_are_capped_at_half_the_open_file_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    for soft, expected in ((65536, 1000), (1024, 512), (150, 100), (resource.RLIM_INFINITY, 1000)):
        monkeypatch.setattr(slack_client.resource, "getrlimit", lambda _kind, soft=soft: (soft, soft))
        assert connection_limit() == expected, soft


async def test_the_shared_session_holds_the_connection_limit_and_is_closed_after() -> None:
    client = AsyncWebClient(token="xoxb-test")
    async with shared_session(client, connections=7):
        session = client.session
        assert session is not None and session.connector is not None
        assert session.connector.limit == 7
    assert client.session is None and session.closed


async def test_channels_sharing_few_connections_are_paced_without_a_429() -> None:
    """Twenty channels posting at once through two connections: requests wait for a connection, and each
    channel's second message still reaches Slack a second or more after its first."""
    async with FakeSlack(per_channel_per_second=1.0) as slack:
        client = make_client(Settings(_env_file=None, SLACK_BOT_TOKEN=slack.bot_token,
                                      SLACK_API_URL=slack.api_url))
        async with shared_session(client, connections=2):
            transport = SlackTransport(client)
            payload = Payload({"text": "hello"})

            async def two(channel: str) -> None:
                first = await transport.send(channel, payload, parent=None, nonce=f"{channel}-1", unknown=False)
                await transport.send(channel, payload, parent=first, nonce=f"{channel}-2", unknown=False)

            await asyncio.gather(*(two(f"C{i:03d}") for i in range(20)))
        assert [r.status for r in slack.calls("chat.postMessage")] == [200] * 40
        assert sorted({m.channel for m in slack.messages}) == [f"C{i:03d}" for i in range(20)]
        assert all(len(slack.messages_in(f"C{i:03d}")) == 2 for i in range(20))
