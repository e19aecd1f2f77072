"""Posting digests over the Web API: threads, rate limits, unavailable channels, DMs, secrets kept out of logs."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from slack_bolt.context.respond.async_respond import AsyncRespond

from adapters.slack.client import make_client, redact
from adapters.slack.listeners.reply import ReplyTarget, send_reply
from adapters.slack.poster import SlackPoster
from adapters.slack.publish import post
from adapters.slack.render import render
from bot.app import PaperBot
from bot.layout import digest_messages
from bot.messages import Message, Text
from bot.payload import Payload
from bot.store import Schedule
from tests.adapters.slack.checks import assert_within_limits
from tests.adapters.slack.conftest import SIGNING_SECRET, serve_http
from tests.fakes.slack import FakeSlack


def simple(*texts: str, thread_of: int | None = None, ephemeral: bool = False) -> list[Payload]:
    return render([Message((Text(t),), thread_of=thread_of if i else None, ephemeral=ephemeral)
                   for i, t in enumerate(texts)])


async def test_post_digest_then_thread_replies(bot: PaperBot, slack: FakeSlack) -> None:
    assert await post(bot, "C1", None) == 0
    parent, *replies = slack.messages
    assert parent.thread_ts is None and parent.channel == "C1"
    assert parent.blocks is not None and parent.blocks[0]["type"] == "header"
    assert len(replies) == 9 and all(m.thread_ts == parent.ts for m in replies)
    assert [m.blocks[0]["text"]["text"].split(".")[0] for m in replies if m.blocks] == [str(i) for i in range(1, 10)]
    for message in slack.messages:
        assert_within_limits({"text": message.text, "blocks": message.blocks})
    assert slack.calls("conversations.history") == []  # never searched for the parent


async def test_post_applies_the_channel_schedule(bot: PaperBot, slack: FakeSlack) -> None:
    await bot.store.set_schedule(Schedule("slack", "C2", dt.time(9), "UTC", (0,), top_n=3))
    assert await post(bot, "C2", dt.date(2024, 6, 28)) == 0
    assert len(slack.messages) == 1 + 3
    assert "top 3 of 9 papers" in slack.messages[0].text


async def test_post_without_a_digest_fails_clearly(bot: PaperBot, slack: FakeSlack,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert await post(bot, "C1", dt.date(2020, 1, 1)) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no digest stored for 2020-01-01" in err
    assert slack.messages == []


async def test_rate_limited_posts_arrive_exactly_once(bot: PaperBot, slack: FakeSlack, no_sleep_jitter: None) -> None:
    slack.rate_limit_next(3, retry_after=0)
    assert await post(bot, "C1", None) == 0
    calls = slack.calls("chat.postMessage")
    assert [c.status for c in calls[:4]] == [429, 429, 429, 200] and len(calls) == 10 + 3
    texts = [m.text for m in slack.messages]
    assert len(texts) == 10 and len(set(texts)) == 10
    assert all(m.thread_ts == slack.messages[0].ts for m in slack.messages[1:])


async def test_rate_limit_mid_thread(bot: PaperBot, slack: FakeSlack, no_sleep_jitter: None) -> None:
    poster = SlackPoster(make_client(bot.settings))
    payloads = simple("parent", "one", "two", thread_of=0)
    first = await poster.post("C1", payloads[:1])
    slack.rate_limit_next(2, retry_after=0)
    rest = await poster.post("C1", [payloads[0], *payloads[1:]])
    assert first.ok and rest.ok
    assert [m.text for m in slack.messages] == ["parent", "parent", "one", "two"]
    assert slack.messages[2].thread_ts == slack.messages[3].thread_ts == rest.ts[0]


async def test_unavailable_channel_is_marked_and_others_still_receive(
        bot: PaperBot, slack: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="adapters.slack")
    slack.fail_channel("CKICKED", "not_in_channel")
    slack.fail_channel("CGONE", "channel_not_found")
    poster = SlackPoster(make_client(bot.settings))
    payloads = simple("parent", "reply", thread_of=0)

    kicked = await poster.post("CKICKED", payloads)
    gone = await poster.post("CGONE", payloads)
    fine = await poster.post("C2", payloads)
    again = await poster.post("CKICKED", payloads)  # skipped: no API call, no second log line

    assert kicked.unavailable and gone.unavailable and again.unavailable and fine.ok
    assert poster.unavailable == {"CKICKED": "not_in_channel", "CGONE": "channel_not_found"}
    assert not poster.is_available("CKICKED") and poster.is_available("C2")
    assert [m.channel for m in slack.messages] == ["C2", "C2"]
    assert len([c for c in slack.calls("chat.postMessage") if c.body["channel"] == "CKICKED"]) == 1
    lines = [r for r in caplog.records if "CKICKED" in r.getMessage()]
    assert len(lines) == 1 and "not_in_channel" in lines[0].getMessage()

    slack.clear_channel_failure("CKICKED")
    poster.mark_available("CKICKED")
    assert (await poster.post("CKICKED", payloads)).ok


async def test_post_to_an_unavailable_channel_returns_1(bot: PaperBot, slack: FakeSlack,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    slack.fail_channel("CKICKED", "not_in_channel")
    assert await post(bot, "CKICKED", None) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "CKICKED: not_in_channel" in err


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
async def test_other_errors_skip_the_payload_and_its_replies(bot: PaperBot, slack: FakeSlack) -> None:
    poster = SlackPoster(make_client(bot.settings))
    broken = Payload({"text": "", "blocks": []})  # Slack answers no_text
    result = await poster.post("C1", [broken, *simple("orphan", "orphan 2", thread_of=0)[1:],
                                      *simple("independent")])
    assert not result.ok and result.ts[0] is None and result.ts[-1] is not None
    assert "payload 0: no_text" in (result.error or "")
    assert [m.text for m in slack.messages] == ["independent"]


async def test_direct_messages(bot: PaperBot, slack: FakeSlack) -> None:
    poster = SlackPoster(make_client(bot.settings))
    result = await poster.send_dm("U7", simple("alert"))
    assert result.ok and result.channel == slack.dm_channel("U7")
    assert slack.calls("conversations.open")[0].body["users"] == "U7"
    assert slack.messages[0].channel == slack.dm_channel("U7")
    slack.users["UGONE"] = None
    missing = await poster.send_dm("UGONE", simple("alert"))
    assert not missing.ok and len(slack.messages) == 1


async def test_long_replies_continue_after_the_response_url_budget(bot: PaperBot, slack: FakeSlack,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    client = make_client(bot.settings)
    target = ReplyTarget(AsyncRespond(response_url=slack.response_url("long")), client, "C1", "U1")
    payloads = simple(*(f"part {i}" for i in range(7)), ephemeral=True)
    assert await send_reply(target, payloads) == 7
    assert [r.body["text"] for r in slack.responses] == [f"part {i}" for i in range(5)]
    assert [e.text for e in slack.ephemerals] == ["part 5", "part 6"] and slack.ephemerals[0].user == "U1"

    slack.fail_response_url("dead", 404, "expired_url")
    dead = ReplyTarget(AsyncRespond(response_url=slack.response_url("dead")), client, "C1", "U1")
    assert await send_reply(dead, payloads) == 0
    assert "HTTP 404 expired_url" in caplog.text and slack.response_url("dead") not in caplog.text


async def test_secrets_never_reach_logs_or_errors(bot: PaperBot, slack: FakeSlack, no_sleep_jitter: None,
                                                  caplog: pytest.LogCaptureFixture,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)  # everything: ours, bolt's, slack-sdk's request logs
    slack.rate_limit_next(1, retry_after=0)
    slack.fail_channel("CKICKED", "not_in_channel")
    assert await post(bot, "C1", None) == 0
    assert await post(bot, "CKICKED", None) == 1
    async with serve_http(bot, slack) as http_slack:
        await http_slack.command("today", response_id="t")
        await http_slack.command("schedule set 09:00", response_id="u", user_id="U1")
        await http_slack.click("show_paper", "2406.18629", response_id="v")
        await slack.wait_responses(3)
    async with FakeSlack(bot_token="xoxb-another-real-looking-token") as other:  # our token is rejected there
        bot.settings.slack_api_url = other.api_url
        assert await post(bot, "C1", None) == 1
        assert len(other.calls("chat.postMessage")) == 1  # invalid_auth stops the post at once
    secrets: list[str] = [slack.bot_token, slack.app_token, SIGNING_SECRET]
    out = capsys.readouterr()
    assert "invalid_auth" in out.err
    for value in secrets:
        assert value not in caplog.text
        assert value not in out.err and value not in out.out
    assert "Bearer" not in caplog.text


def test_redact() -> None:
    assert redact("token xoxb-123-abc and xapp-1-A-2 and s3cret", ["s3cret"]) == \
        "token [redacted] and [redacted] and [redacted]"
    assert redact("nothing here", [None, ""]) == "nothing here"


def test_payload_bodies_match_chat_post_message_arguments() -> None:
    [payload] = render(digest_messages(None, date=dt.date(2024, 6, 28)))
    assert set(payload.body) == {"text", "blocks"} and "No papers for 2024-06-28" in payload.body["text"]


class ImageRefusingSlack(FakeSlack):
    """Slack answers ``invalid_blocks`` when it cannot download a message's image."""

    def _api_chat_postMessage(self, args: dict[str, Any]) -> Any:
        if any("accessory" in block for block in args.get("blocks") or []):
            return {"ok": False, "error": "invalid_blocks", "errors": ["downloading image failed"]}
        return super()._api_chat_postMessage(args)


async def test_a_message_whose_image_slack_refuses_goes_without_it(bot: PaperBot) -> None:
    async with ImageRefusingSlack() as slack:
        bot.settings.slack_api_url = slack.api_url
        assert await post(bot, "C1", None) == 0
        assert len(slack.messages) == 10
        assert not any("accessory" in b for m in slack.messages for b in m.blocks or [])
        assert len(slack.calls("chat.postMessage")) == 10 + 8  # 8 of the 9 cards had a PNG thumbnail
