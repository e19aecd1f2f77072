"""chat.postMessage through the shared session (adapters/slack/post.py) against the fake Slack: what Slack
receives is what slack-sdk's own chat_postMessage sends, and slack-sdk's retry handlers still decide retries."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.client import make_client, shared_session
from adapters.slack.post import accepted
from adapters.slack.transport import METADATA_EVENT, SlackTransport
from bot.config import Settings
from bot.delivery import PartRejected, SentRef
from bot.payload import Payload
from tests.fakes.slack import FakeSlack

PAYLOAD = Payload({
    "text": "1. 시각-언어 모델의 추론 (Reasoning in VLMs)",
    "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*1. 시각-언어 모델* — \"quoted\" <https://arxiv.org|arXiv>"},
         "accessory": {"type": "image", "image_url": "https://example.org/thumb.png", "alt_text": "thumbnail"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "👍 42 · 2024-06-28"}]},
    ],
    "unfurl_links": False,
})


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


def new_client(slack: FakeSlack) -> AsyncWebClient:
    return make_client(Settings(_env_file=None, SLACK_BOT_TOKEN=slack.bot_token,  # type: ignore[call-arg]
                                SLACK_API_URL=slack.api_url))


@pytest.fixture
async def shared(slack: FakeSlack) -> AsyncIterator[SlackTransport]:
    """The transport as paperbot runs it: one HTTP session for every call."""
    async with shared_session(new_client(slack)) as client:
        yield SlackTransport(client, post_interval=0)


def metadata(nonce: str) -> dict[str, Any]:
    return {"event_type": METADATA_EVENT, "event_payload": {"nonce": nonce}}


async def test_slack_receives_what_slack_sdks_chat_post_message_sends(slack: FakeSlack,
                                                                      shared: SlackTransport) -> None:
    assert shared.poster.ready()  # posts bypass chat_postMessage
    plain = new_client(slack)  # slack-sdk's own call, a session of its own
    await plain.chat_postMessage(channel="C1", thread_ts="1700000000.000100", metadata=metadata("n-1"),
                                 **PAYLOAD.body)
    await shared.send("C1", PAYLOAD, parent=SentRef("1700000000.000100", "1700000000.000100"), nonce="n-1",
                      unknown=False)
    theirs, ours = slack.calls("chat.postMessage")
    assert ours.body == theirs.body
    assert (ours.http_method, ours.path, ours.query) == (theirs.http_method, theirs.path, theirs.query)
    for header in ("Content-Type", "User-Agent", "Authorization"):
        assert ours.headers[header] == theirs.headers[header], header
    assert ours.token == slack.bot_token
    assert [m.blocks for m in slack.messages] == [PAYLOAD.body["blocks"]] * 2


async def test_one_payload_to_many_channels_carries_each_channels_own_thread_and_nonce(
        slack: FakeSlack, shared: SlackTransport) -> None:
    channels = [f"C{i}" for i in range(6)]
    firsts = await asyncio.gather(*(shared.send(c, PAYLOAD, parent=None, nonce=f"{c}-a", unknown=False)
                                    for c in channels))
    await asyncio.gather(*(shared.send(c, PAYLOAD, parent=first, nonce=f"{c}-b", unknown=False)
                           for c, first in zip(channels, firsts, strict=True)))
    for channel, first in zip(channels, firsts, strict=True):
        top, reply = slack.messages_in(channel)
        assert (top.ts, top.thread_ts, reply.thread_ts) == (first.message_id, None, first.message_id)
        assert [m.args["metadata"]["event_payload"]["nonce"] for m in (top, reply)] == [f"{channel}-a",
                                                                                        f"{channel}-b"]
        assert top.blocks == reply.blocks == PAYLOAD.body["blocks"] and top.text == PAYLOAD.body["text"]
        assert reply.args["unfurl_links"] is False


async def test_a_429_is_waited_out_by_the_clients_handler_and_the_message_arrives_once(
        slack: FakeSlack, shared: SlackTransport) -> None:
    slack.rate_limit_next(2, retry_after=0)
    sent = await shared.send("C1", PAYLOAD, parent=None, nonce="n-1", unknown=False)
    assert [r.status for r in slack.calls("chat.postMessage")] == [429, 429, 200]
    assert [m.ts for m in slack.messages] == [sent.message_id]


async def test_a_server_error_page_is_retried_and_the_message_arrives_once(slack: FakeSlack,
                                                                             shared: SlackTransport) -> None:
    slack.server_error_next(1, status=503)
    sent = await shared.send("C1", PAYLOAD, parent=None, nonce="n-1", unknown=False)
    assert [r.status for r in slack.calls("chat.postMessage")] == [503, 200]
    assert [m.ts for m in slack.messages] == [sent.message_id]


@pytest.mark.parametrize("session", ["shared", "per call"])
async def test_invalid_blocks_are_sent_once_more_without_images_then_reported_rejected(
        slack: FakeSlack, shared: SlackTransport, session: str) -> None:
    transport = shared if session == "shared" else SlackTransport(new_client(slack), post_interval=0)
    slack.fail_channel("C1", "invalid_blocks")
    with pytest.raises(PartRejected, match="invalid_blocks"):
        await transport.send("C1", PAYLOAD, parent=None, nonce="n-1", unknown=False)
    first, second = slack.calls("chat.postMessage")
    assert "accessory" in first.body["blocks"][0] and "accessory" not in second.body["blocks"][0]
    assert second.body["metadata"] == first.body["metadata"] == metadata("n-1")
    assert slack.messages == []


async def test_with_debug_logging_the_call_goes_through_slack_sdk_and_its_debug_lines(
        slack: FakeSlack, shared: SlackTransport, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger=shared.client.logger.name):
        await shared.send("C1", PAYLOAD, parent=None, nonce="n-1", unknown=False)
    assert any("chat.postMessage" in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)
    assert len(slack.messages) == 1


@pytest.mark.parametrize("answer", [
    # Slack's reference example (compact), and json.dumps' spacing (the fake)
    b'{"ok":true,"channel":"C123ABC456","ts":"1503435956.000247","message":{"text":"x","ts":"1503435956.000247"}}',
    b'{"ok": true, "channel": "C123ABC456", "ts": "1503435956.000247", "message": {"ts": "1.2"}}',
])
def test_the_start_of_slacks_answer_to_a_message_it_took_gives_ok_channel_and_ts(answer: bytes) -> None:
    assert accepted(answer) == {"ok": True, "channel": "C123ABC456", "ts": "1503435956.000247"}


@pytest.mark.parametrize("answer", [
    b'{"ok":false,"error":"not_in_channel"}',
    b'{"ok":true,"warning":"missing_charset","channel":"C1","ts":"1.2","message":{}}',  # another order
    b'{"ok":true,"ts":"1.2","channel":"C1","message":{}}',
    b'{"ok":true,"message":{"channel":"C1","ts":"1.2"}}',
    rb'{"ok":true,"channel":"C1","ts":"1.2\u0022","message":{}}',
    b'<html>Service Unavailable</html>',
])
def test_any_other_answer_is_left_to_be_decoded_whole(answer: bytes) -> None:
    assert accepted(answer) is None
