"""Topic alerts by direct message on Slack in each reader's Slack language (``users.info`` with ``include_locale``)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.transport import SlackTransport
from bot import alerts
from bot.delivery import Deliverer
from bot.i18n import Lang
from tests.fakes.slack import FakeSlack


def transport(slack: FakeSlack) -> SlackTransport:
    return SlackTransport(AsyncWebClient(token=slack.bot_token, base_url=slack.api_url), post_interval=0)


async def test_alert_dms_speak_each_readers_slack_language(seeded: Any, seed_digest: Any) -> None:
    async with FakeSlack() as slack:
        slack.users["UKO"] = {"locale": "ko-KR"}  # UEN: Slack's default, en-US
        for who in ("UKO", "UEN"):
            await seeded.add_subscription("slack", f"user:{who}", "keyword", "추론")
        await seeded.add_subscription("slack", "channel:C1", "keyword", "추론")
        run = await alerts.run_alerts(seeded, Deliverer(seeded, {"slack": transport(slack)}), seed_digest.date,
                                      seed_digest.papers, language=Lang("en"))
        assert [r.outcome for r in run.results] == ["sent"] * 3
        korean, english = (slack.messages_in(slack.dm_channel(u))[0].text for u in ("UKO", "UEN"))
        assert korean.startswith("🔔 알림 주제의 새 논문 2편 — 2024년 6월 28일 (금)")
        assert english.startswith("🔔 2 new papers for your alerts — Fri, Jun 28, 2024")
        assert slack.messages_in("C1")[0].text.startswith("🔔 2 new papers")  # a channel: its language
        assert sorted(c.body["user"] for c in slack.calls("users.info")) == ["UEN", "UKO"]


async def test_without_users_read_alert_dms_use_paperbot_language(seeded: Any, seed_digest: Any,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    async with FakeSlack(scopes="chat:write,commands,im:write") as slack:
        slack.users["UKO"] = {"locale": "ko-KR"}
        await seeded.add_subscription("slack", "user:UKO", "keyword", "추론")
        with caplog.at_level(logging.WARNING, logger="adapters.slack"):
            await alerts.run_alerts(seeded, Deliverer(seeded, {"slack": transport(slack)}), seed_digest.date,
                                    seed_digest.papers, language=Lang("en"))
        assert slack.messages_in(slack.dm_channel("UKO"))[0].text.startswith("🔔 2 new papers")
        assert "users.info failed (missing_scope)" in caplog.text
