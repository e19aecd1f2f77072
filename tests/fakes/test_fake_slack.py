"""The fake Slack works with the real slack-sdk / slack-bolt clients, over real sockets on 127.0.0.1."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack import (
    FakeSlack,
    block_actions_payload,
    encode_form,
    interactive_form,
    signed_headers,
    slash_command_form,
)

SIGNING_SECRET = "test-signing-secret"
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Attention Is All You Need*"}}]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


def bolt_app(slack: FakeSlack, **kwargs: Any) -> AsyncApp:
    # NB: when `client=` is given, bolt ignores `token=` (and logs a warning) -> the token goes on the client.
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
    return AsyncApp(client=client, logger=logging.getLogger("test-bolt"), **kwargs)


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


# --------------------------------------------------------------------------------------------------------------------
# Web API
# --------------------------------------------------------------------------------------------------------------------


async def test_web_client_auth_test_and_post_message(slack: FakeSlack) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)

    auth = await client.auth_test()
    assert auth["ok"] is True
    assert auth["user_id"] == slack.bot_user_id and auth["bot_id"] == slack.bot_id
    assert auth["team_id"] == slack.team_id and auth["team"] and auth["url"].startswith("https://")
    assert auth.headers.get("x-oauth-scopes")

    first = await client.chat_postMessage(channel="C1", text="digest", blocks=BLOCKS)
    second = await client.chat_postMessage(channel="C1", text="reply", thread_ts=first["ts"])
    assert first["ok"] and first["channel"] == "C1"
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["blocks"] == BLOCKS and first["message"]["bot_id"] == slack.bot_id

    assert [m.text for m in slack.messages] == ["digest", "reply"]
    assert slack.messages[0].blocks == BLOCKS  # decoded, not a JSON string
    assert slack.messages[0].ts == first["ts"]
    assert slack.messages[1].thread_ts == first["ts"]
    call = slack.calls("chat.postMessage")[0]
    assert call.headers["Authorization"] == "Bearer xoxb-test"
    assert call.body["blocks"] == BLOCKS


async def test_form_encoded_blocks_are_decoded(slack: FakeSlack) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
    await client.api_call("chat.postMessage", data={"channel": "C9", "text": "t", "blocks": json.dumps(BLOCKS)})
    assert slack.messages[0].blocks == BLOCKS
    assert slack.calls("chat.postMessage")[0].content_type == "application/x-www-form-urlencoded"


async def test_auth_errors_and_unknown_method(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as bad:
        await AsyncWebClient(token="xoxb-wrong", base_url=slack.api_url).auth_test()
    assert bad.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as missing:
        await AsyncWebClient(base_url=slack.api_url).chat_postMessage(channel="C1", text="x")
    assert missing.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as unknown:
        await AsyncWebClient(token="xoxb-test", base_url=slack.api_url).api_call("reactions.add")
    assert unknown.value.response["error"] == "unknown_method"
    with pytest.raises(SlackApiError) as wrong_type:
        await AsyncWebClient(token="xoxb-test", base_url=slack.api_url).apps_connections_open(app_token="xoxb-test")
    assert wrong_type.value.response["error"] == "not_allowed_token_type"
    assert slack.messages == []


async def test_other_methods(slack: FakeSlack) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
    slack.users["UADMIN"] = {"is_admin": True}
    slack.users["UGONE"] = None

    assert (await client.users_info(user="UADMIN"))["user"]["is_admin"] is True
    plain = (await client.users_info(user="U2"))["user"]
    assert plain["is_admin"] is False and plain["is_owner"] is False
    with pytest.raises(SlackApiError, match="user_not_found"):
        await client.users_info(user="UGONE")

    dm = (await client.conversations_open(users="U2"))["channel"]["id"]
    assert dm.startswith("D") and dm == slack.dm_channel("U2")
    posted = await client.chat_postMessage(channel="U2", text="dm")  # a user id posts into the DM
    assert posted["channel"] == dm

    eph = await client.chat_postEphemeral(channel="C1", user="U2", text="only you")
    assert eph["message_ts"] and slack.ephemerals[0].user == "U2"

    updated = await client.chat_update(channel=dm, ts=posted["ts"], text="edited")
    assert updated["ok"] and slack.messages[0].text == "edited" and slack.messages[0].edited

    conn = await client.apps_connections_open(app_token="xapp-test")
    assert conn["url"].startswith(f"ws://127.0.0.1:{slack.port}/socket?")


async def test_channel_failures(slack: FakeSlack) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
    slack.fail_channel("CGONE", "channel_not_found")
    slack.fail_channel("CKICKED", "not_in_channel")
    for channel, error in [("CGONE", "channel_not_found"), ("CKICKED", "not_in_channel")]:
        with pytest.raises(SlackApiError) as exc:
            await client.chat_postMessage(channel=channel, text="x")
        assert exc.value.response.status_code == 200
        assert exc.value.response["error"] == error
    assert slack.messages == []
    assert len(slack.calls("chat.postMessage")) == 2


# --------------------------------------------------------------------------------------------------------------------
# Rate limiting
# --------------------------------------------------------------------------------------------------------------------


async def test_rate_limit_next_with_sdk_retry_handler(slack: FakeSlack) -> None:
    # slack-sdk sleeps int(Retry-After) + random() per retry; Retry-After: 0 keeps this well under 2 s.
    client = AsyncWebClient(
        token="xoxb-test",
        base_url=slack.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=3)],
    )
    slack.rate_limit_next(2, retry_after=0)

    resp = await client.chat_postMessage(channel="C1", text="eventually")

    assert resp["ok"] is True
    assert [c.status for c in slack.calls("chat.postMessage")] == [429, 429, 200]
    assert slack.calls("chat.postMessage")[0].response == {"ok": False, "error": "ratelimited"}
    assert len(slack.messages) == 1 and slack.messages[0].text == "eventually"


async def test_rate_limit_without_retry_handler_raises_with_retry_after(slack: FakeSlack) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url, retry_handlers=[])
    slack.rate_limit_next(1)
    with pytest.raises(SlackApiError) as exc:
        await client.chat_postMessage(channel="C1", text="x")
    assert exc.value.response.status_code == 429
    assert exc.value.response.headers["Retry-After"] == "1"
    assert exc.value.response["error"] == "ratelimited"
    assert slack.messages == []
    with pytest.raises(ValueError, match="int"):
        slack.rate_limit_next(1, retry_after=0.5)  # type: ignore[arg-type]


async def test_per_channel_limiter() -> None:
    async with FakeSlack(per_channel_per_second=1.0) as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url, retry_handlers=[])
        await client.chat_postMessage(channel="C1", text="one")
        await client.chat_postMessage(channel="C2", text="other channel is fine")
        with pytest.raises(SlackApiError) as exc:
            await client.chat_postMessage(channel="C1", text="too fast")
        assert exc.value.response.status_code == 429
        assert exc.value.response.headers["Retry-After"] == "1"
        assert [m.text for m in slack.messages] == ["one", "other channel is fine"]


# --------------------------------------------------------------------------------------------------------------------
# response_url and payload helpers
# --------------------------------------------------------------------------------------------------------------------


async def test_response_url_records_posts(slack: FakeSlack) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(slack.response_url("r1"), json={"text": "hi", "response_type": "ephemeral"}) as resp:
            assert resp.status == 200
            assert await resp.text() == "ok"
    assert slack.responses[0].id == "r1"
    assert slack.responses[0].body == {"text": "hi", "response_type": "ephemeral"}


def test_payload_helpers() -> None:
    form = slash_command_form("help")
    assert list(form) == [
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    ]
    assert form["command"] == "/papers" and form["text"] == "help" and form["is_enterprise_install"] == "false"

    body = encode_form(form)
    headers = signed_headers(body, SIGNING_SECRET)
    assert SignatureVerifier(SIGNING_SECRET).is_valid_request(body, headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)

    payload = block_actions_payload("subscribe", "topic:llm", user_id="U7")
    assert payload["type"] == "block_actions" and payload["actions"][0]["value"] == "topic:llm"
    assert json.loads(interactive_form(payload)["payload"]) == payload


# --------------------------------------------------------------------------------------------------------------------
# slack-bolt: Socket Mode
# --------------------------------------------------------------------------------------------------------------------


async def test_bolt_socket_mode_slash_command(slack: FakeSlack) -> None:
    app = bolt_app(slack)
    seen: list[dict[str, Any]] = []

    @app.command("/papers")
    async def papers(ack, respond, command) -> None:
        seen.append(command)
        await ack()
        await respond(f"help for {command['user_id']}")

    @app.action("subscribe")
    async def subscribe(ack, respond, body) -> None:
        await ack()
        await respond(text=f"subscribed to {body['actions'][0]['value']}", replace_original=False)

    handler = AsyncSocketModeHandler(app, app_token=slack.app_token)
    try:
        await handler.connect_async()
        await slack.wait_socket_connected()
        assert slack.calls("apps.connections.open")[0].token == "xapp-test"

        form = slack.slash_command_form("help", user_id="U5", response_url=slack.response_url("cmd-1"))
        envelope_id = await slack.send_envelope("slash_commands", form)
        ack = await slack.wait_ack(envelope_id)
        assert ack == {"envelope_id": envelope_id}
        [response] = await slack.wait_responses(1)
        assert response.id == "cmd-1" and response.body["text"] == "help for U5"
        assert seen[0]["text"] == "help"
        assert slack.calls("auth.test")  # bolt's single-team authorization

        click = slack.block_actions_payload("subscribe", "topic:llm", response_url=slack.response_url("click-1"))
        click_id = await slack.send_envelope("interactive", click)
        assert await slack.wait_ack(click_id) == {"envelope_id": click_id}
        await slack.wait_responses(2)
        assert slack.responses[1].body["text"] == "subscribed to topic:llm"
    finally:
        await handler.close_async()
    await slack.wait_for(lambda: not slack.socket_connected)


async def test_bolt_socket_mode_ack_payload(slack: FakeSlack) -> None:
    app = bolt_app(slack)

    @app.command("/papers")
    async def papers(ack) -> None:
        await ack("pong")

    handler = AsyncSocketModeHandler(app, app_token=slack.app_token)
    try:
        await handler.connect_async()
        await slack.wait_socket_connected()
        envelope_id = await slack.send_envelope("slash_commands", slack.slash_command_form("ping"))
        ack = await slack.wait_ack(envelope_id)
        assert ack["payload"]["text"] == "pong"
    finally:
        await handler.close_async()


# --------------------------------------------------------------------------------------------------------------------
# slack-bolt: HTTP mode
# --------------------------------------------------------------------------------------------------------------------


async def test_bolt_http_mode_signed_slash_command(slack: FakeSlack) -> None:
    app = bolt_app(slack, signing_secret=SIGNING_SECRET)

    @app.command("/papers")
    async def papers(ack, respond, say) -> None:
        await ack("working on it")
        await respond("here you go")
        await say("public digest")

    async with serve(app.web_app(path="/slack/events")) as base, aiohttp.ClientSession() as http:
        url = f"{base}/slack/events"
        body = encode_form(slack.slash_command_form("help", channel_id="C3", response_url=slack.response_url("h1")))
        headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body, SIGNING_SECRET)}

        async with http.post(url, data=body, headers=headers) as resp:
            assert resp.status == 200
            assert await resp.text() == "working on it"

        [response] = await slack.wait_responses(1)
        assert response.id == "h1" and response.body["text"] == "here you go"
        [message] = await slack.wait_messages(1)
        assert message.channel == "C3" and message.text == "public digest"

        bad = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body, "wrong-secret")}
        async with http.post(url, data=body, headers=bad) as resp:
            assert resp.status == 401

        stale = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body, SIGNING_SECRET, 1)}
        async with http.post(url, data=body, headers=stale) as resp:
            assert resp.status == 401  # timestamp older than 5 minutes

        click = encode_form(interactive_form(block_actions_payload("noop", "x")))
        async with http.post(url, data=click, headers=signed_headers(click, SIGNING_SECRET)) as resp:
            assert resp.status == 404  # no @app.action("noop") listener: bolt answers 404, signature was fine
