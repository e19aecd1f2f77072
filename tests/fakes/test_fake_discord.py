"""Real discord.py 2.7 against the fake Discord (real sockets on 127.0.0.1, no blind sleeps)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from tests.fakes.discord import FakeDiscord, P

FAST = {"guild_ready_timeout": 0.05}


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake, fake.patch_discord():
        yield fake


def test_patch_restores_discord_globals() -> None:
    base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    fake = FakeDiscord()
    fake.port = 1234
    with fake.patch_discord():
        assert discord.http.Route.BASE == "http://127.0.0.1:1234/api/v10"
        assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:1234/gateway"
        assert isinstance(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, type(gateway))
    assert discord.http.Route.BASE == base
    assert discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY == gateway


# --------------------------------------------------------------------------- 1. gateway


async def test_plain_client_connects_gets_ready_and_sees_guild(fake: FakeDiscord) -> None:
    client = discord.Client(intents=discord.Intents.default(), **FAST)
    ready = asyncio.Event()

    @client.event
    async def on_ready() -> None:
        ready.set()

    task = asyncio.create_task(client.start("test-token"))
    session = await fake.wait_ready()
    await asyncio.wait_for(ready.wait(), 5)
    assert client.latency != float("inf")  # our HEARTBEAT_ACK answered discord.py's first heartbeat

    assert client.user is not None and client.user.id == fake.bot_user_id
    assert client.application_id == fake.application_id
    guild = client.get_guild(fake.guild_id)
    assert guild is not None and guild.name == "Paper Lab"
    assert guild.owner_id == fake.owner_id
    assert {c.name for c in guild.text_channels} == {"general", "papers", "mod-only"}
    assert guild.me is not None and guild.me.guild_permissions.embed_links
    mod_only = guild.get_channel(fake.mod_channel_id)
    assert isinstance(mod_only, discord.TextChannel)
    assert not mod_only.permissions_for(guild.default_role).view_channel
    assert mod_only.permissions_for(guild.me).send_messages

    assert session is fake.sessions[0]
    assert session.intents == discord.Intents.default().value
    assert session.conn is not None
    assert session.conn.query == {"v": "10", "encoding": "json", "compress": "zlib-stream"}
    assert session.conn.received[0] == {"op": 1, "d": None}  # discord.py heartbeats right after HELLO
    assert [e["t"] for e in session.events[:2]] == ["READY", "GUILD_CREATE"]

    await client.close()
    await asyncio.wait_for(task, 5)
    assert task.exception() is None
    await fake.wait_until(lambda: session.conn is None)


async def test_zlib_stream_frames_are_accepted() -> None:
    async with FakeDiscord(zlib_stream=True) as fake, fake.patch_discord():
        client = discord.Client(intents=discord.Intents.default(), **FAST)
        async with fake.running(client):
            assert client.get_guild(fake.guild_id) is not None
            assert fake.sessions[0].conn is not None and fake.sessions[0].conn.compressed


async def test_bad_token_and_disallowed_intents() -> None:
    async with FakeDiscord(privileged_intents=0) as fake, fake.patch_discord():
        client = discord.Client(intents=discord.Intents.default())
        with pytest.raises(discord.LoginFailure):
            await client.login("wrong-token")
        await client.close()
        assert fake.requests_to("GET", "/users/@me")[-1].status == 401

        client = discord.Client(intents=discord.Intents.all())
        with pytest.raises(discord.PrivilegedIntentsRequired):
            await asyncio.wait_for(client.start("test-token"), 5)
        await client.close()


async def test_op7_reconnect_resumes_on_resume_gateway_url(fake: FakeDiscord) -> None:
    client = discord.Client(intents=discord.Intents.default(), **FAST)
    resumed = asyncio.Event()

    @client.event
    async def on_resumed() -> None:
        resumed.set()

    async with fake.running(client):
        await fake.request_reconnect()
        session = await fake.wait_resumed()
        await asyncio.wait_for(resumed.wait(), 5)
        assert session.conn is not None and session.conn.path == "/gateway-resume"
        assert len(fake.sessions) == 1  # no second IDENTIFY


async def test_user_messages_respect_message_content_intent(fake: FakeDiscord) -> None:
    client = discord.Client(intents=discord.Intents.default(), **FAST)  # no message_content intent
    seen: asyncio.Queue[discord.Message] = asyncio.Queue()

    @client.event
    async def on_message(message: discord.Message) -> None:
        if not message.author.bot:
            await seen.put(message)

    async with fake.running(client):
        await fake.user_message("hello there")
        await fake.user_message(f"<@{fake.bot_user_id}> papers please")
        plain = await asyncio.wait_for(seen.get(), 5)
        mention = await asyncio.wait_for(seen.get(), 5)
    assert plain.content == ""
    assert mention.content.endswith("papers please")
    assert isinstance(mention.author, discord.Member) and mention.author.id == fake.user_id


# --------------------------------------------------------------------------- 2. app commands


class Bot:
    """A small CommandTree bot like paperbot's: /papers echo|search|slow and /papers schedule set."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.client = discord.Client(
            intents=discord.Intents.default(), allowed_mentions=discord.AllowedMentions.none(), **FAST
        )
        self.tree = app_commands.CommandTree(self.client)
        self.results: asyncio.Queue[Any] = asyncio.Queue()
        self.guild = discord.Object(fake.guild_id)

        papers = app_commands.Group(name="papers", description="Paper commands")
        schedule = app_commands.Group(name="schedule", description="Digest schedule", parent=papers)

        @papers.command(name="echo", description="Echo text back")
        @app_commands.describe(text="Text to echo")
        async def echo(interaction: discord.Interaction, text: str) -> None:
            embed = discord.Embed(title="Echo", description=text)
            resp = await interaction.response.send_message(embed=embed, ephemeral=True)
            await self.results.put(resp)

        @papers.command(name="search", description="Search papers")
        async def search(interaction: discord.Interaction, query: str) -> None:
            await interaction.response.send_message(f"searching {query}")

        @search.autocomplete("query")
        async def search_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            return [app_commands.Choice(name=f"{current} paper {i}", value=f"{current}-{i}") for i in range(2)]

        @papers.command(name="slow", description="Deferred answer")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            followup = await interaction.followup.send("done", ephemeral=True, wait=True)
            edited = await interaction.edit_original_response(content="done (edited)")
            fetched = await interaction.original_response()
            await self.results.put((followup, edited, fetched))

        @schedule.command(name="set", description="Set the digest hour")
        @app_commands.checks.has_permissions(manage_guild=True)
        async def schedule_set(
            interaction: discord.Interaction,
            hour: app_commands.Range[int, 0, 23],
            channel: discord.TextChannel | None = None,
        ) -> None:
            where = channel.name if channel else "here"
            await interaction.response.send_message(f"hour={hour} channel={where}", ephemeral=True)

        @self.tree.error
        async def on_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
            if isinstance(error, app_commands.MissingPermissions):
                await interaction.response.send_message("You need Manage Server.", ephemeral=True)
            else:  # pragma: no cover - makes failures visible
                await self.results.put(error)

        self.tree.add_command(papers, guild=self.guild)


async def test_slash_command_sync_and_ephemeral_embed_reply(fake: FakeDiscord) -> None:
    bot = Bot(fake)
    async with fake.running(bot.client):
        synced = await bot.tree.sync(guild=bot.guild)
        puts = fake.requests_to("PUT", "/applications/{app_id}/guilds/{guild_id}/commands")
        assert len(puts) == 1 and puts[0].path == f"/applications/{fake.application_id}/guilds/{fake.guild_id}/commands"
        assert puts[0].json == [
            {
                "name": "papers",
                "description": "Paper commands",
                "type": 1,
                "options": [
                    {
                        "name": "schedule",
                        "description": "Digest schedule",
                        "type": 2,
                        "options": [
                            {
                                "name": "set",
                                "description": "Set the digest hour",
                                "type": 1,
                                "options": [
                                    # undocumented parameters get discord.py's placeholder description "…"
                                    {
                                        "type": 4,
                                        "name": "hour",
                                        "description": "…",
                                        "required": True,
                                        "min_value": 0,
                                        "max_value": 23,
                                    },
                                    {
                                        "type": 7,
                                        "name": "channel",
                                        "description": "…",
                                        "required": False,
                                        "channel_types": [0, 5],
                                    },
                                ],
                            }
                        ],
                    },
                    {
                        "name": "echo",
                        "description": "Echo text back",
                        "type": 1,
                        "options": [{"type": 3, "name": "text", "description": "Text to echo", "required": True}],
                    },
                    {
                        "name": "search",
                        "description": "Search papers",
                        "type": 1,
                        "options": [
                            {"type": 3, "name": "query", "description": "…", "required": True, "autocomplete": True}
                        ],
                    },
                    {"name": "slow", "description": "Deferred answer", "type": 1, "options": []},
                ],
                "nsfw": False,
                "dm_permission": True,
                "default_member_permissions": None,
                "contexts": None,
                "integration_types": None,
            }
        ]
        assert [c.id for c in synced] == [int(fake.commands[fake.guild_id][0]["id"])]
        assert synced[0].guild_id == fake.guild_id

        interaction = fake.slash_command("papers", subcommand="echo", options={"text": "추론 @everyone"})
        assert interaction["data"]["options"] == [
            {"name": "echo", "type": 1, "options": [{"name": "text", "type": 3, "value": "추론 @everyone"}]}
        ]
        await fake.invoke(interaction)
        callback = await fake.wait_callback(interaction["id"])
        assert callback["type"] == 4
        assert callback["data"]["flags"] == 64
        assert callback["data"]["embeds"][0]["title"] == "Echo"
        assert callback["data"]["embeds"][0]["description"] == "추론 @everyone"
        assert callback["data"]["allowed_mentions"] == {"parse": []}
        (request,) = fake.requests_to("POST", "/interactions/{id}/{token}/callback")
        assert request.query == {"with_response": "1"} and "Authorization" not in request.headers

        response = await asyncio.wait_for(bot.results.get(), 5)
        assert isinstance(response, discord.InteractionCallbackResponse)
        assert response.is_ephemeral()
        assert isinstance(response.resource, discord.InteractionMessage)
        assert response.resource.embeds[0].title == "Echo"
        assert fake.original_response(interaction)["flags"] == 64  # type: ignore[index]


async def test_subcommand_group_permissions_autocomplete_and_defer(fake: FakeDiscord) -> None:
    bot = Bot(fake)
    async with fake.running(bot.client):
        await bot.tree.sync(guild=bot.guild)

        # alice has only @everyone: member.permissions lacks MANAGE_GUILD, so has_permissions() fails
        denied = fake.slash_command("papers", subcommand="schedule set", options={"hour": 9})
        assert not int(denied["member"]["permissions"]) & P.MANAGE_GUILD
        await fake.invoke(denied)
        assert (await fake.wait_callback(denied["id"]))["data"]["content"] == "You need Manage Server."

        allowed = fake.slash_command(
            "papers",
            subcommand="schedule set",
            options={"hour": 9, "channel": fake.papers_channel_id},
            user_id=fake.moderator_id,
        )
        group = allowed["data"]["options"][0]
        assert (group["type"], group["name"], group["options"][0]["name"]) == (2, "schedule", "set")
        assert group["options"][0]["options"][0] == {"name": "hour", "type": 4, "value": 9}
        await fake.invoke(allowed)
        assert (await fake.wait_callback(allowed["id"]))["data"]["content"] == "hour=9 channel=papers"

        override = fake.slash_command(
            "papers", subcommand="schedule set", options={"hour": 7}, member_permissions=P.MANAGE_GUILD
        )
        await fake.invoke(override)
        assert (await fake.wait_callback(override["id"]))["data"]["content"] == "hour=7 channel=here"

        ac = fake.autocomplete("papers", subcommand="search", options={"query": "추론"}, focused="query")
        await fake.invoke(ac)
        callback = await fake.wait_callback(ac["id"])
        assert callback == {
            "type": 8,
            "data": {
                "choices": [
                    {"name": "추론 paper 0", "value": "추론-0"},
                    {"name": "추론 paper 1", "value": "추론-1"},
                ]
            },
        }

        slow = fake.slash_command("papers", subcommand="slow")
        await fake.invoke(slow)
        assert await fake.wait_callback(slow["id"]) == {"type": 5, "data": {"flags": 64}}
        followup, edited, fetched = await asyncio.wait_for(bot.results.get(), 5)
        assert (
            followup.id == edited.id == fetched.id
        )  # the first followup after a defer replaces the "thinking" message
        original = fake.original_response(slow)
        assert original is not None and original["content"] == "done (edited)" and original["flags"] == 64


async def test_interaction_callback_errors(fake: FakeDiscord) -> None:
    client = discord.Client(intents=discord.Intents.none())
    await client.login("test-token")
    try:
        interaction = fake.slash_command("papers", subcommand="echo", options={"text": "x"})
        url = f"{fake.api_base}/interactions/{interaction['id']}/{interaction['token']}/callback"
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json={"type": 4, "data": {"content": "hi"}}) as resp:
                assert resp.status == 204
            async with session.post(url, json={"type": 4, "data": {"content": "again"}}) as resp:
                assert resp.status == 400 and (await resp.json())["code"] == 40060
            async with session.post(url.replace(interaction["token"], "nope"), json={"type": 4}) as resp:
                assert resp.status == 404 and (await resp.json())["code"] == 10062
    finally:
        await client.close()


# --------------------------------------------------------------------------- 3. REST only


async def test_rest_send_with_rate_limits_and_failures(fake: FakeDiscord) -> None:
    client = discord.Client(intents=discord.Intents.none())
    await client.login("test-token")
    try:
        channel = await client.fetch_channel(fake.papers_channel_id)
        assert isinstance(channel, discord.TextChannel) and channel.name == "papers"

        fake.rate_limit_next(2, retry_after=0.05)
        embed = discord.Embed(title="추론 논문", url="https://arxiv.org/abs/2401.00001", description="3 new papers")
        message = await channel.send("Today's digest", embed=embed)

        posts = fake.requests_to("POST", "/channels/{channel_id}/messages")
        assert [r.status for r in posts] == [429, 429, 200]
        assert posts[0].response == {"message": "You are being rate limited.", "retry_after": 0.05, "global": False}
        limited = posts[0].response_headers
        assert limited["Via"] == "1.1 google" and limited["Retry-After"] == "1"
        assert limited["X-RateLimit-Remaining"] == "0" and limited["X-RateLimit-Scope"] == "user"
        assert posts[2].response_headers["X-RateLimit-Limit"] == "50"
        assert len({r.json["nonce"] for r in posts}) == 1  # discord.py resends the same payload
        assert len(fake.messages) == 1
        sent = fake.messages[0]
        assert message.id == sent.id and sent.channel_id == fake.papers_channel_id
        assert sent.content == "Today's digest" and sent.embeds[0]["title"] == "추론 논문"
        assert sent.enforce_nonce is True and sent.nonce is not None
        assert message.embeds[0].url == "https://arxiv.org/abs/2401.00001"

        fake.fail_channel(fake.papers_channel_id, 403)
        with pytest.raises(discord.Forbidden) as forbidden:
            await channel.send("nope")
        assert forbidden.value.code == 50001
        fake.fail_channel(fake.channel_id, 404)
        with pytest.raises(discord.NotFound) as not_found:
            await client.fetch_channel(fake.channel_id)
        assert not_found.value.code == 10003
        assert len(fake.messages) == 1
    finally:
        await client.close()


async def test_nonce_dedupe_validation_threads_and_dms(fake: FakeDiscord) -> None:
    client = discord.Client(intents=discord.Intents.none())
    await client.login("test-token")
    try:
        channel = await client.fetch_channel(fake.channel_id)
        assert isinstance(channel, discord.TextChannel)
        first = await channel.send("once", nonce="paper-2401.00001")
        second = await channel.send("once", nonce="paper-2401.00001")
        assert first.id == second.id and len(fake.messages) == 1

        with pytest.raises(discord.HTTPException) as bad:
            await channel.send(embed=discord.Embed(title="x", url="arxiv.org/abs/1"))
        assert bad.value.status == 400 and bad.value.code == 50035
        with pytest.raises(discord.HTTPException) as too_long:
            await channel.send("x" * 2001)
        assert too_long.value.code == 50035

        upload = await channel.send("digest attached", file=discord.File(io.BytesIO(b"# Papers\n"), "digest.md"))
        multipart = fake.requests_to("POST", f"/channels/{fake.channel_id}/messages")[-1]
        assert multipart.json["content"] == "digest attached"  # parsed from payload_json
        assert multipart.files[0]["filename"] == "digest.md" and multipart.files[0]["data"] == b"# Papers\n"
        assert upload.attachments[0].filename == "digest.md" and upload.attachments[0].size == 9

        thread = await first.create_thread(name="Discussion")
        assert isinstance(thread, discord.Thread) and thread.id == first.id and thread.type.value == 11
        in_thread = await thread.send("thread reply")
        assert in_thread.channel.id == thread.id and fake.messages[-1].channel_id == thread.id
        standalone = await channel.create_thread(name="Weekly", type=discord.ChannelType.public_thread)
        assert standalone.parent_id == fake.channel_id
        assert (await client.fetch_channel(standalone.id)).type == discord.ChannelType.public_thread

        user = await client.fetch_user(fake.user_id)
        dm = await user.create_dm()
        assert isinstance(dm, discord.DMChannel) and dm.recipient is not None and dm.recipient.id == fake.user_id
        await dm.send("Your alert matched 2 papers")
        assert fake.messages[-1].channel_id == dm.id
        fake.block_dms(fake.user_id)
        with pytest.raises(discord.Forbidden) as blocked:
            await dm.send("again")
        assert blocked.value.code == 50007
    finally:
        await client.close()


async def test_global_rate_limit_is_retried_by_discord_py() -> None:
    async with FakeDiscord(global_rate_per_second=10) as fake, fake.patch_discord():
        client = discord.Client(intents=discord.Intents.none())
        await client.login("test-token")
        try:
            await asyncio.gather(*(client.http.send_message(fake.channel_id, params=_params(i)) for i in range(12)))
        finally:
            await client.close()
        limited = [r for r in fake.requests if r.status == 429]
        assert limited and all(r.headers.get("Authorization") for r in limited)
        assert all(r.response["global"] is True for r in limited)
        assert sorted(m.content for m in fake.messages) == sorted(f"msg {i}" for i in range(12))


def _params(i: int) -> Any:
    return discord.http.handle_message_parameters(content=f"msg {i}").__enter__()


async def test_json_content_type_is_exact(fake: FakeDiscord) -> None:
    async with aiohttp.ClientSession(headers={"Authorization": "Bot test-token"}) as session:
        async with session.get(f"{fake.api_base}/users/@me") as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "application/json"
            assert resp.headers["X-RateLimit-Bucket"] and resp.headers["X-RateLimit-Remaining"] == "49"
        async with session.get(f"{fake.api_base}/nope") as resp:
            assert resp.status == 404 and await resp.json() == {"message": "404: Not Found", "code": 0}
