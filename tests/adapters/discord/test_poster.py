"""DiscordPoster over REST (a logged-in discord.py client) against the fake: threads, DMs, 429s, 403s."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest

from adapters.discord.app import rest_client
from adapters.discord.poster import THREAD_NOTE, DiscordPoster, thread_name
from adapters.discord.render import render
from bot.layout import digest_messages
from bot.messages import Message, Notice
from bot.payload import Payload
from tests.adapters.discord.conftest import TODAY, assert_within_limits
from tests.fakes.discord import DEFAULT_BOT_PERMISSIONS, CreatedMessage, FakeDiscord, P
from tests.fakes.discord import PUBLIC_THREAD as PUBLIC_THREAD_TYPE

NAME = thread_name(TODAY)


@pytest.fixture
async def rest(fake: FakeDiscord) -> AsyncIterator[discord.Client]:
    client = rest_client()
    await client.login(fake.token)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def digest(seeded: Any) -> list[Payload]:
    stored = await seeded.digest()
    assert stored is not None and stored.date == TODAY
    return render(digest_messages(stored))


def body_of(message: CreatedMessage) -> dict[str, Any]:
    return {"content": message.content, "embeds": message.request.get("embeds") or [],
            "allowed_mentions": message.allowed_mentions}


def same(message: CreatedMessage, payload: Payload) -> bool:
    return message.content == payload.body["content"] and [e.get("title") for e in message.embeds] == [
        e.get("title") for e in payload.body["embeds"]]


async def test_post_opens_a_thread_for_the_summaries(rest: discord.Client, fake: FakeDiscord,
                                                     digest: list[Payload]) -> None:
    assert [p.thread_of for p in digest] == [None, 0, 0]
    poster = DiscordPoster(rest)
    result = await poster.post(fake.papers_channel_id, digest, thread_name=NAME)
    assert result.ok and result.posted == 3

    post, *replies = fake.messages
    assert post.channel_id == fake.papers_channel_id and same(post, digest[0])
    (thread_request,) = fake.requests_to("POST", "/channels/{c}/messages/{m}/threads")
    assert thread_request.path == f"/channels/{fake.papers_channel_id}/messages/{post.id}/threads"
    assert thread_request.json["name"] == "Daily Papers 2024-06-28"
    assert thread_request.json["auto_archive_duration"] == 1440
    thread = fake.channels[post.id]
    assert thread["type"] == PUBLIC_THREAD_TYPE and thread["parent_id"] == str(fake.papers_channel_id)
    assert result.threads == {0: post.id}
    assert [m.channel_id for m in replies] == [post.id, post.id]
    assert all(same(m, p) for m, p in zip(replies, digest[1:], strict=True))
    for message in fake.messages:
        assert_within_limits(body_of(message))
        assert message.pings == {"users": [], "roles": [], "everyone": False}
        assert message.nonce is not None and message.enforce_nonce


async def test_dm_gets_every_payload_in_order(rest: discord.Client, fake: FakeDiscord,
                                              digest: list[Payload], caplog: pytest.LogCaptureFixture) -> None:
    poster = DiscordPoster(rest)
    result = await poster.send_dm(fake.user_id, digest)
    assert result.ok
    dm = fake.dm_channel(fake.user_id)
    assert [m.channel_id for m in fake.messages] == [dm, dm, dm]
    assert all(same(m, p) for m, p in zip(fake.messages, digest, strict=True))
    assert not fake.requests_to("POST", "/channels/{c}/messages/{m}/threads")

    fake.block_dms(fake.moderator_id)
    alert = render([Message((Notice("New paper for 추론"),), kind="alert")])
    caplog.set_level(logging.WARNING, "adapters.discord")
    blocked = await poster.send_dm(fake.moderator_id, alert)
    again = await poster.send_dm(fake.moderator_id, alert)
    assert blocked.unavailable and again.unavailable and not blocked.ok
    assert "50007" in poster.unreachable_users[fake.moderator_id]
    assert len([r for r in caplog.records if "direct messages" in r.getMessage()]) == 1
    assert len(fake.messages) == 3


async def test_rate_limits_are_retried_and_nothing_is_sent_twice(rest: discord.Client, fake: FakeDiscord,
                                                                 digest: list[Payload]) -> None:
    fake.rate_limit_next(2, retry_after=0.05, method="POST", path_pattern="/channels/*/messages")
    fake.rate_limit_next(1, retry_after=0.05, method="POST", path_pattern="/channels/*/messages/*/threads")
    fake.rate_limit_next(1, retry_after=0.05, global_=True, method="POST", path_pattern="/channels/*/messages")
    fake.rate_limit_next(1, retry_after=0.05, method="POST", path_pattern="/users/@me/channels")
    poster = DiscordPoster(rest)
    assert (await poster.post(fake.papers_channel_id, digest, thread_name=NAME)).ok
    assert (await poster.send_dm(fake.user_id, digest)).ok

    limited = [r for r in fake.requests if r.status == 429]
    assert len(limited) == 5 and all(r.response_headers["Via"] == "1.1 google" for r in limited)
    assert len(fake.messages) == 2 * len(digest)
    for payload in digest:
        assert sum(same(m, payload) for m in fake.messages) == 2  # once in the channel/thread, once by DM
    assert len(fake.requests_to("POST", "/channels/{c}/messages/{m}/threads")) == 2  # one 429, one created
    assert len({m.nonce for m in fake.messages}) == len(fake.messages)


@pytest.mark.parametrize("status", [403, 404])
async def test_a_refusing_channel_is_marked_unavailable_and_others_still_receive(
    rest: discord.Client, fake: FakeDiscord, digest: list[Payload], caplog: pytest.LogCaptureFixture, status: int
) -> None:
    caplog.set_level(logging.WARNING, "adapters.discord")
    fake.fail_channel(fake.channel_id, status)
    poster = DiscordPoster(rest)
    results = await poster.post_many([fake.channel_id, fake.papers_channel_id], digest, thread_name=NAME)
    assert results[fake.channel_id].unavailable and not results[fake.channel_id].ok
    assert results[fake.papers_channel_id].ok
    assert fake.channel_id in poster.unavailable and str(status) in poster.unavailable[fake.channel_id]
    assert not poster.is_available(fake.channel_id)
    assert {m.channel_id for m in fake.messages} == {fake.papers_channel_id, fake.messages[0].id}
    assert len(fake.messages) == len(digest)

    # the next run skips it without a request, and says nothing more about it
    tried = len(fake.requests_to("*", f"/channels/{fake.channel_id}/**"))
    again = await poster.post(fake.channel_id, digest, thread_name=NAME)
    assert again.unavailable and again.message_ids == [None] * len(digest)
    assert len(fake.requests_to("*", f"/channels/{fake.channel_id}/**")) == tried == 1
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and str(fake.channel_id) in lines[0] and "unavailable" in lines[0]
    assert fake.token not in caplog.text

    fake.clear_failures()
    poster.mark_available(fake.channel_id)
    assert (await poster.post(fake.channel_id, digest, thread_name=NAME)).ok


async def test_without_thread_permission_replies_go_in_the_channel(rest: discord.Client, fake: FakeDiscord,
                                                                    digest: list[Payload],
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    no_threads = fake.add_channel("no-threads", permission_overwrites=[
        fake.overwrite(fake.bot_role_id, deny=P.CREATE_PUBLIC_THREADS)])
    assert fake.permissions_for(fake.bot_user_id, no_threads) & DEFAULT_BOT_PERMISSIONS & P.SEND_MESSAGES
    caplog.set_level(logging.WARNING, "adapters.discord")
    poster = DiscordPoster(rest)
    result = await poster.post(no_threads, digest, thread_name=NAME)
    assert result.ok and result.threads == {}
    post, note, *replies = fake.messages
    assert note.content == THREAD_NOTE and note.channel_id == no_threads
    assert [m.channel_id for m in replies] == [no_threads, no_threads]
    assert all(m.message_reference and str(m.message_reference["message_id"]) == str(post.id) for m in replies)
    assert all(m.pings["users"] == [] for m in replies)  # replying pings no one
    # the note is said once per channel
    assert (await poster.post(no_threads, digest, thread_name=NAME)).ok
    assert sum(m.content == THREAD_NOTE for m in fake.messages) == 1
    assert len([r for r in caplog.records if "thread" in r.getMessage()]) == 1
