"""The same listeners over Socket Mode envelopes, and ``run()`` in both connection modes."""

from __future__ import annotations

import asyncio
import pathlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

import adapters.slack
from adapters.slack.app import EVENTS_PATH, build_app, connection_mode, run
from adapters.slack.client import SlackConfigError, make_client
from bot.app import PaperBot
from bot.commands import Commands
from tests.adapters.slack.checks import assert_within_limits
from tests.adapters.slack.conftest import LISTED_ADMIN, SIGNING_SECRET, TODAY, make_settings
from tests.fakes.slack import FakeSlack, encode_form, signed_headers


@pytest.fixture
async def socket_app(bot: PaperBot, slack: FakeSlack) -> AsyncIterator[AsyncSocketModeHandler]:
    handler = AsyncSocketModeHandler(build_app(bot, client=make_client(bot.settings)), app_token=slack.app_token)
    await handler.connect_async()
    await slack.wait_socket_connected()
    try:
        yield handler
    finally:
        await handler.close_async()


async def envelope_command(slack: FakeSlack, text: str, response_id: str, **kwargs: Any) -> dict[str, Any]:
    form = slack.slash_command_form(text, response_url=slack.response_url(response_id), **kwargs)
    envelope_id = await slack.send_envelope("slash_commands", form)
    assert await slack.wait_ack(envelope_id) == {"envelope_id": envelope_id}  # acked at once, empty
    await slack.wait_for(lambda: any(r.id == response_id for r in slack.responses))
    [body] = [r.body for r in slack.responses if r.id == response_id]
    assert_within_limits(body)
    return body


@pytest.mark.parametrize(("text", "expected"), [
    ("today", "Daily Papers — Fri, Jun 28, 2024"),
    ("search 추론", "🔎"),
    ("author Juanzi Li", "Juanzi Li"),
    ("show 2406.18629", "*Performance Highlights*"),
    ("subscriptions", "No alerts yet"),
    ("schedule show", "No daily post"),
    ("help", "subscribe &lt;topic&gt;"),
])
async def test_lookups_over_socket_mode(socket_app: AsyncSocketModeHandler, slack: FakeSlack, text: str,
                                        expected: str) -> None:
    body = await envelope_command(slack, text, "sock")
    assert body["response_type"] == "ephemeral" and expected in str(body)


async def test_changes_over_socket_mode(socket_app: AsyncSocketModeHandler, slack: FakeSlack, bot: PaperBot) -> None:
    body = await envelope_command(slack, "subscribe author:\"Juanzi Li\"", "a", user_id="U5")
    assert 'Following author:"Juanzi Li"' in body["text"]
    body = await envelope_command(slack, "schedule set 08:30 UTC", "b", user_id="U5")
    assert "Only people who can manage" in str(body) and await bot.store.schedule("slack", "C1") is None
    body = await envelope_command(slack, "schedule set 08:30 UTC", "c", user_id=LISTED_ADMIN)
    assert body["response_type"] == "in_channel"
    assert (await bot.store.schedule("slack", "C1")).timezone == "UTC"  # type: ignore[union-attr]


async def test_buttons_over_socket_mode(socket_app: AsyncSocketModeHandler, slack: FakeSlack, bot: PaperBot) -> None:
    click = slack.block_actions_payload("show_paper", "2406.14909", response_url=slack.response_url("show"))
    envelope_id = await slack.send_envelope("interactive", click)
    assert await slack.wait_ack(envelope_id) == {"envelope_id": envelope_id}
    [response] = await slack.wait_responses(1)
    assert response.body["replace_original"] is False and "MoA: Mixture of Sparse Attention" in str(response.body)

    follow = slack.block_actions_payload("subscribe_author", "Xuefei Ning", user_id="U8",
                                         response_url=slack.response_url("follow"))
    await slack.wait_ack(await slack.send_envelope("interactive", follow))
    await slack.wait_responses(2)
    assert [s.term for s in await bot.store.subscriptions("slack", "user:U8")] == ["Xuefei Ning"]


# -- run() ---------------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_run_uses_socket_mode_when_the_app_token_is_set(bot: PaperBot, slack: FakeSlack) -> None:
    assert connection_mode(bot.settings) == "socket"
    task = asyncio.create_task(run(bot))
    try:
        await slack.wait_socket_connected()
        body = await envelope_command(slack, "today", "run")
        assert "Daily Papers" in body["text"]
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    await slack.wait_for(lambda: not slack.socket_connected)
    assert slack.calls("auth.test")[0].token == slack.bot_token


async def test_run_serves_http_mode_with_the_signing_secret(seeded: Any, slack: FakeSlack) -> None:
    settings = make_settings(slack, SLACK_APP_TOKEN=None, PAPERBOT_PORT=free_port())
    bot = PaperBot(settings, seeded, Commands(seeded, today=lambda: TODAY))
    assert connection_mode(settings) == "http"
    task = asyncio.create_task(run(bot))
    url = f"http://127.0.0.1:{settings.port}{EVENTS_PATH}"
    try:
        body = encode_form(slack.slash_command_form("help", response_url=slack.response_url("h")))
        async with aiohttp.ClientSession() as http:
            for _ in range(100):  # until the server is up
                try:
                    async with http.post(url, data=body, headers=signed_headers(body, SIGNING_SECRET)) as resp:
                        assert resp.status == 200
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.02)
        [response] = await slack.wait_responses(1)
        assert "paperbot — daily AI papers" in response.body["text"]
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_run_refuses_incomplete_or_rejected_settings(seeded: Any, slack: FakeSlack) -> None:
    neither = make_settings(slack, SLACK_APP_TOKEN=None, SLACK_SIGNING_SECRET=None)
    with pytest.raises(SlackConfigError, match=r"SLACK_APP_TOKEN \(Socket Mode\) or SLACK_SIGNING_SECRET"):
        await run(PaperBot(neither, seeded, Commands(seeded)))
    with pytest.raises(SlackConfigError, match="SLACK_BOT_TOKEN is not set"):
        await run(PaperBot(make_settings(slack, SLACK_BOT_TOKEN=None), seeded, Commands(seeded)))
    wrong = make_settings(slack, SLACK_BOT_TOKEN="xoxb-wrong-token")
    with pytest.raises(SlackConfigError, match="invalid_auth") as exc:
        await run(PaperBot(wrong, seeded, Commands(seeded)))
    assert "xoxb-wrong-token" not in str(exc.value)


async def test_no_token_warning_when_the_token_is_in_the_environment(
        bot: PaperBot, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.bot_token)
    build_app(bot)
    assert "`token` will be unused" not in caplog.text


def test_manifest_declares_what_the_adapter_uses() -> None:
    manifest = (pathlib.Path(adapters.slack.__file__).parent / "manifest.yml").read_text(encoding="utf-8")
    lines = [line.split("#")[0].strip() for line in manifest.splitlines()]
    scopes = {line.removeprefix("- ") for line in lines[lines.index("bot:") + 1:lines.index("settings:")]} - {""}
    assert scopes == {"chat:write", "chat:write.public", "commands", "im:write", "users:read",
                      "channels:history", "groups:history", "im:history"}  # history: unconfirmed-send lookup
    assert "- command: /papers" in lines and any(line.startswith("usage_hint:") for line in lines)
    assert "socket_mode_enabled: true" in lines and "is_enabled: true" in lines
