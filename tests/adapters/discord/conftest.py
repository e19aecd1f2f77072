from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest

from adapters.discord import limits
from adapters.discord.client import PaperClient
from bot.app import PaperBot
from bot.commands import Commands
from bot.config import Settings
from tests.fakes.discord import FakeDiscord

#: distinctive, so that a leak into logs or stderr is easy to spot
TOKEN = "MTIwMDAwMDAwMDAwMDAwMDAwMQ.SeCrEt.paperbot-test-token-x9Z"
TODAY = dt.date(2024, 6, 28)
FAST: dict[str, Any] = {"guild_ready_timeout": 0.05}


def make_settings(fake: FakeDiscord, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "DISCORD_TOKEN": fake.token,
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "DISCORD_GUILD_ID": fake.guild_id,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(token=TOKEN) as fake, fake.patch_discord():
        yield fake


@pytest.fixture
def bot(seeded: Any, fake: FakeDiscord) -> PaperBot:
    return PaperBot(make_settings(fake), seeded, Commands(seeded, today=lambda: TODAY))


@pytest.fixture
async def client(bot: PaperBot, fake: FakeDiscord) -> AsyncIterator[PaperClient]:
    """The bot connected to the fake gateway, ``/papers`` synced to the fake's guild."""
    paper_client = PaperClient(bot, guild_id=fake.guild_id, **FAST)
    async with fake.running(paper_client):
        yield paper_client


def assert_within_limits(body: dict[str, Any]) -> None:
    """A Discord message body paperbot sent: no pings, every length within Discord's limits."""
    assert body["allowed_mentions"] == {"parse": []}
    assert len(body.get("content") or "") <= limits.CONTENT
    assert body.get("content") or body.get("embeds")
    embeds = body.get("embeds") or []
    assert len(embeds) <= limits.EMBEDS_PER_MESSAGE
    total = 0
    for data in embeds:
        total += len(discord.Embed.from_dict(data))
        assert len(data.get("title", "")) <= limits.TITLE
        assert len(data.get("description", "")) <= limits.DESCRIPTION
        assert len(data.get("fields", [])) <= limits.FIELDS
        for field in data.get("fields", []):
            assert 0 < len(field["name"]) <= limits.FIELD_NAME and 0 < len(field["value"]) <= limits.FIELD_VALUE
        assert len(data.get("footer", {}).get("text", "")) <= limits.FOOTER
    assert total <= limits.EMBED_TOTAL
