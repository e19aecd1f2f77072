"""``/papers`` and buttons over HTTP mode: real bolt behind a real socket, signed requests, the fake Slack."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest

from bot.app import PaperBot
from tests.adapters.slack.checks import assert_within_limits, foreign_markup
from tests.adapters.slack.conftest import LISTED_ADMIN, HttpSlack
from tests.fakes.slack import FakeSlack, encode_form, interactive_form

SEED_URLS = {f"https://arxiv.org/abs/{i}" for i in ("2406.18629", "2406.19389", "2406.19226", "2406.19215",
                                                     "2406.19227", "2406.19263", "2406.14909", "2406.08316",
                                                     "2406.14629")}


async def command(http_slack: HttpSlack, text: str, response_id: str, **kwargs: Any) -> list[dict[str, Any]]:
    """Send a signed ``/papers`` command; check the ack; the response_url posts it caused."""
    status, ack = await http_slack.command(text, response_id=response_id, **kwargs)
    assert (status, ack) == (200, "")  # an empty ack at once; the answer comes through respond()
    slack = http_slack.slack
    await slack.wait_for(lambda: any(r.id == response_id for r in slack.responses))
    await asyncio.sleep(0.05)  # let any further parts arrive
    bodies = [r.body for r in slack.responses if r.id == response_id]
    for body in bodies:
        assert_within_limits(body)
        assert foreign_markup(body, SEED_URLS) == []
    return bodies


def all_text(body: dict[str, Any]) -> str:
    return str(body)


@pytest.mark.parametrize(("text", "expected"), [
    ("today", "Daily Papers — Fri, Jun 28, 2024"),
    ("today 2024-07-01", "No digest for Mon, Jul 1, 2024"),
    ("search 추론", "🔎"),
    ("author Juanzi Li", "Juanzi Li"),
    ("show 2406.18629", "*Technical Details*"),
    ("show 1234", "is not an arXiv id"),
    ("subscriptions", "No alerts yet"),
    ("schedule show", "No daily post in this channel yet"),
    ("schedule", "No daily post in this channel yet"),
    ("help", "/papers search &lt;words&gt;"),
    ("", "paperbot — daily AI papers"),
    ("frobnicate", "Unknown command"),
])
async def test_every_lookup_answers_ephemerally(http_slack: HttpSlack, slack: FakeSlack, text: str,
                                                expected: str) -> None:
    [body] = await command(http_slack, text, "r-" + (text.split(" ")[0] or "empty"))
    assert body["response_type"] == "ephemeral"
    assert expected in all_text(body)
    # one question about the user: their language (users.info with include_locale), never their permissions
    assert [(c.body["user"], c.body["include_locale"]) for c in slack.calls("users.info")] == [("U1", "1")]
    assert slack.messages == []  # answers go through the response_url only


async def test_today_lists_every_paper_with_links(http_slack: HttpSlack) -> None:
    [body] = await command(http_slack, "today", "today")
    listing = next(b for b in body["blocks"] if "1. ▲14" in b.get("text", {}).get("text", ""))
    for url in SEED_URLS:
        assert f"<{url}|" in listing["text"]["text"]


async def test_subscribe_and_unsubscribe(http_slack: HttpSlack, bot: PaperBot) -> None:
    [body] = await command(http_slack, "subscribe 추론", "sub", user_id="U7")
    assert body["response_type"] == "ephemeral"
    assert ":white_check_mark: Following 추론" in body["blocks"][0]["text"]["text"]
    [sub] = await bot.store.subscriptions("slack", "user:U7")
    assert (sub.kind, sub.term) == ("keyword", "추론")
    [listing] = await command(http_slack, "subscriptions", "list", user_id="U7")
    assert "• 추론" in all_text(listing)
    [body] = await command(http_slack, "unsubscribe 추론", "unsub", user_id="U7")
    assert "Stopped following 추론" in all_text(body)
    assert await bot.store.subscriptions("slack", "user:U7") == []


async def test_user_text_is_escaped(http_slack: HttpSlack) -> None:
    [body] = await command(http_slack, "author <!channel> <@U123> <https://evil.example|x> *b*", "esc")
    text = body["blocks"][0]["text"]["text"]
    assert "&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|x&gt;" in text
    assert "&lt;!channel&gt;" in body["text"] and "<!channel>" not in body["text"]


async def test_schedule_change_by_a_member_is_refused(http_slack: HttpSlack, slack: FakeSlack, bot: PaperBot) -> None:
    [body] = await command(http_slack, "schedule set 09:00 Asia/Seoul mon-fri", "s1", user_id="U1")
    assert "Only people who can manage this channel" in all_text(body)
    assert await bot.store.schedule("slack", "C1") is None
    assert [c.body["user"] for c in slack.calls("users.info")] == ["U1"]


async def test_users_info_failure_means_no_permission(http_slack: HttpSlack, slack: FakeSlack, bot: PaperBot,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    slack.users["UGHOST"] = None  # users.info answers user_not_found
    [body] = await command(http_slack, "schedule off", "g", user_id="UGHOST")
    assert "Only people who can manage" in all_text(body)
    assert "users.info for UGHOST failed (user_not_found)" in caplog.text


@pytest.mark.parametrize(("user", "profile"), [("UADM", {"is_admin": True}), ("UOWN", {"is_owner": True}),
                                               (LISTED_ADMIN, None)])
async def test_schedule_change_by_an_admin_is_stored(http_slack: HttpSlack, slack: FakeSlack, bot: PaperBot,
                                                     user: str, profile: dict[str, Any] | None) -> None:
    if profile:
        slack.users[user] = profile
    [body] = await command(http_slack, "schedule set 09:00 Asia/Seoul mon-fri top=5", "s2", user_id=user,
                           channel_id="C9")
    assert body["response_type"] == "in_channel" and "Daily post set: 09:00 Asia/Seoul" in all_text(body)
    schedule = await bot.store.schedule("slack", "C9")
    assert schedule is not None and schedule.top_n == 5 and schedule.set_by == user and schedule.workspace == "T1"
    assert len(slack.calls("users.info")) == 1  # the permission check's answer gave the language too

    [off] = await command(http_slack, "schedule off", "s3", user_id="U2", channel_id="C9")  # a member: refused
    assert "Only people who can manage" in all_text(off)
    assert (await bot.store.schedule("slack", "C9")).enabled  # type: ignore[union-attr]


async def test_channel_subscription_needs_permission(http_slack: HttpSlack, slack: FakeSlack, bot: PaperBot) -> None:
    [refused] = await command(http_slack, "subscribe --channel 추론", "c1", user_id="U1")
    assert "Only channel managers" in all_text(refused)
    [ok] = await command(http_slack, "subscribe --channel 추론", "c2", user_id=LISTED_ADMIN)
    assert "this channel" in all_text(ok)
    assert [s.term for s in await bot.store.subscriptions("slack", "channel:C1")] == ["추론"]


@pytest.mark.parametrize("case", ["bad signature", "stale timestamp"])
async def test_unsigned_requests_are_rejected_without_side_effects(http_slack: HttpSlack, slack: FakeSlack,
                                                                   bot: PaperBot, case: str) -> None:
    kwargs: dict[str, Any] = {"secret": "wrong-secret"} if case == "bad signature" else \
        {"timestamp": int(time.time()) - 5 * 60 - 10}
    for i, text in enumerate(["subscribe 추론", "schedule set 09:00", "today"]):
        status, _ = await http_slack.command(text, response_id=f"x{i}", user_id=LISTED_ADMIN, **kwargs)
        assert status == 401
    payload = slack.block_actions_payload("subscribe_author", "Juanzi Li", response_url=slack.response_url("x9"))
    status, _ = await http_slack.post(encode_form(interactive_form(payload)), **kwargs)
    assert status == 401
    await asyncio.sleep(0.2)
    assert slack.responses == [] and slack.messages == [] and slack.calls("users.info") == []
    assert await bot.store.subscriptions("slack", f"user:{LISTED_ADMIN}") == []
    assert await bot.store.subscriptions("slack", "user:U1") == []
    assert await bot.store.schedule("slack", "C1") is None


async def test_show_details_button(http_slack: HttpSlack, slack: FakeSlack) -> None:
    status, ack = await http_slack.click("show_paper", "2406.19263", response_id="b1", user_id="U3")
    assert (status, ack) == (200, "")
    [response] = await slack.wait_responses(1)
    body = response.body
    assert body["response_type"] == "ephemeral" and body["replace_original"] is False
    assert_within_limits(body)
    assert body["blocks"][0]["text"]["text"].startswith("*<https://arxiv.org/abs/2406.19263|Read Anywhere Pointed")
    assert "accessory" not in body["blocks"][0]  # the SVG avatar is not shown
    assert sum(b["type"] == "section" for b in body["blocks"]) == 4  # title + three summary sections


async def test_follow_author_button(http_slack: HttpSlack, slack: FakeSlack, bot: PaperBot) -> None:
    status, _ = await http_slack.click("subscribe_author", "Juanzi Li", response_id="b2", user_id="U4")
    assert status == 200
    [response] = await slack.wait_responses(1)
    assert response.body["response_type"] == "ephemeral"
    assert 'Following author:"Juanzi Li"' in response.body["text"]
    [sub] = await bot.store.subscriptions("slack", "user:U4")
    assert (sub.kind, sub.term) == ("author", "Juanzi Li")


@pytest.mark.parametrize("body", [b"payload=%7Bnot-json", b"payload=%5B1%2C2%5D", b"payload=%FF%FE%00"])
async def test_a_malformed_signed_body_gets_400_not_a_traceback(http_slack: HttpSlack, body: bytes,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    status, text = await http_slack.post(body)
    assert status == 400 and "Traceback" not in text
    assert "Traceback" not in caplog.text
