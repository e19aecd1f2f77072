"""A paper's video is linked ("▶ video") on every platform, and hostile text around it stays inert."""

from __future__ import annotations

import datetime as dt

from adapters.console.render import render as console_render
from adapters.discord.render import render as discord_render
from bot.layout import digest_messages
from bot.models import Digest, Paper
from tests.bot.strategies import stored

VIDEO = "https://cdn-uploads.huggingface.co/production/uploads/flow(1).mp4"
DAY = Digest(dt.date(2025, 1, 20), (
    Paper("2501.08331", "https://arxiv.org/abs/2501.08331", "Go-with-the-Flow @everyone", votes=18,
          sections=(("What's New", "구조화된 잠재 노이즈로 움직임을 제어합니다."),), media=VIDEO),
))


def test_discord_card_links_the_video():
    _, reply = digest_messages(stored(DAY))
    (payload,) = discord_render([reply])
    (embed,) = payload.body["embeds"]
    assert "[▶ video](https://cdn-uploads.huggingface.co/production/uploads/flow%281%29.mp4)" in embed["description"]
    assert "@everyone" not in embed["title"]  # the title is still escaped
    assert payload.body["allowed_mentions"]["parse"] == []


def test_console_card_shows_the_video():
    _, reply = digest_messages(stored(DAY))
    (payload,) = console_render([reply])
    assert f"▶ video {VIDEO}" in payload.body["text"]
