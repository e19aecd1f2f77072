from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from adapters.slack.app import EVENTS_PATH, build_app, start_http
from adapters.slack.client import make_client
from bot.app import PaperBot
from bot.commands import Commands
from bot.config import Settings
from tests.fakes.slack import FakeSlack, encode_form, interactive_form, signed_headers

SIGNING_SECRET = "test-signing-secret-123"
LISTED_ADMIN = "UBOSS"
TODAY = dt.date(2024, 6, 28)


def make_settings(slack: FakeSlack, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_APP_TOKEN": slack.app_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "PAPERBOT_ADMINS": LISTED_ADMIN,
        "PAPERBOT_HOST": "127.0.0.1",
        "PAPERBOT_PORT": 3000,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(autouse=True)
def _no_slack_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """bolt reads SLACK_* from the environment too; tests use only the settings they build."""
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
def bot(seeded: Any, slack: FakeSlack) -> PaperBot:
    return PaperBot(make_settings(slack), seeded, Commands(seeded, today=lambda: TODAY))


@dataclass
class HttpSlack:
    """Sends signed Slack requests to the bot's HTTP endpoint."""

    slack: FakeSlack
    http: aiohttp.ClientSession
    url: str

    async def post(self, body: bytes, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
                   ) -> tuple[int, str]:
        headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body, secret, timestamp)}
        async with self.http.post(self.url, data=body, headers=headers) as response:
            return response.status, await response.text()

    async def command(self, text: str, *, response_id: str = "r1", **kwargs: Any) -> tuple[int, str]:
        secret = kwargs.pop("secret", SIGNING_SECRET)
        timestamp = kwargs.pop("timestamp", None)
        form = self.slack.slash_command_form(text, response_url=self.slack.response_url(response_id), **kwargs)
        return await self.post(encode_form(form), secret=secret, timestamp=timestamp)

    async def click(self, action_id: str, value: str, *, response_id: str = "c1", **kwargs: Any) -> tuple[int, str]:
        payload = self.slack.block_actions_payload(action_id, value, response_url=self.slack.response_url(response_id),
                                                   **kwargs)
        return await self.post(encode_form(interactive_form(payload)))


@asynccontextmanager
async def serve_http(bot: PaperBot, slack: FakeSlack) -> AsyncIterator[HttpSlack]:
    app = build_app(bot, client=make_client(bot.settings))
    runner = await start_http(app, "127.0.0.1", 0)
    try:
        host, port = runner.addresses[0][:2]
        async with aiohttp.ClientSession() as http:
            yield HttpSlack(slack, http, f"http://{host}:{port}{EVENTS_PATH}")
    finally:
        await runner.cleanup()


@pytest.fixture
async def http_slack(bot: PaperBot, slack: FakeSlack) -> AsyncIterator[HttpSlack]:
    async with serve_http(bot, slack) as sender:
        yield sender


@pytest.fixture
def no_sleep_jitter(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """slack-sdk sleeps ``Retry-After + random()``; pin random() to 0 so 429 tests take no time."""
    import slack_sdk.http_retry.builtin_async_handlers as handlers

    monkeypatch.setattr(handlers.random, "random", lambda: 0.0)
    yield
