"""Discord's global limit is the bot's: processes on one PostgreSQL database pace on one shared timeline.

Each ``open_transport`` here is what one ``paperbot deliver`` process opens (its own discord.py client, its own
database connection). Counts per second are asserted with slack, never how fast a loaded machine is.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging

import discord

from adapters.discord.pacing import Pacer
from adapters.discord.transport import DiscordTransport, open_transport
from bot.app import PaperBot
from bot.shared_rate import SharedPacer
from storage.postgres import PostgresStore
from tests.adapters.discord.conftest import TOKEN, make_settings
from tests.fakes.discord import FakeDiscord

RATE = 10.0  # DISCORD_REST_RATE: the bot's requests per second, all processes together
PROCESSES = 3
EACH = 10  # messages each process sends


def max_per_second(times: list[float]) -> int:
    ordered = sorted(times)
    return max((bisect.bisect_left(ordered, t + 1.0) - i for i, t in enumerate(ordered)), default=0)


async def test_three_processes_on_one_database_send_at_the_bots_rate_together(pg_schema):
    url, schema = pg_schema
    await (await PostgresStore.open(url, schema=schema)).close()
    async with FakeDiscord(token=TOKEN) as fake:
        channels = [fake.add_channel(f"papers-{i}") for i in range(PROCESSES * EACH)]
        settings = make_settings(fake, PAPERBOT_DB=f"{url}?schema={schema}", DISCORD_REST_RATE=RATE)
        async with contextlib.AsyncExitStack() as stack:
            transports = [await stack.enter_async_context(open_transport(settings)) for _ in range(PROCESSES)]
            assert all(isinstance(t, DiscordTransport) and isinstance(t.pacer, SharedPacer) for t in transports)
            loop = asyncio.get_running_loop()
            start = loop.time()

            async def post(transport: DiscordTransport, mine: list[int]) -> None:
                for channel in mine:
                    await transport.client.get_partial_messageable(channel).send(f"digest for {channel}")

            await asyncio.gather(*(post(t, channels[i::PROCESSES]) for i, t in enumerate(transports)  # type: ignore[arg-type]
                                   if t is not None))
            elapsed = loop.time() - start
        sends = [r.time for r in fake.requests_to("POST", "/channels/*/messages")]
        assert sorted(m.channel_id for m in fake.messages) == sorted(channels)  # each message once
    assert len(sends) == PROCESSES * EACH
    # alone, each would send at RATE: three times as many a second. Shared, each may add one late slot and the
    # next together after a stall, and one it sent before the stall that the fake answers after it
    assert max_per_second(sends) <= RATE + 3 * PROCESSES
    assert elapsed >= (PROCESSES * EACH - 2 * PROCESSES - 1) / RATE


async def test_on_sqlite_the_one_process_paces_itself(tmp_path):
    async with FakeDiscord(token=TOKEN) as fake:
        settings = make_settings(fake, PAPERBOT_DB=str(tmp_path / "paperbot.db"))
        async with open_transport(settings) as transport:
            assert transport is not None and isinstance(transport.pacer, Pacer)


async def test_a_running_bot_on_postgresql_paces_its_discord_requests_on_the_shared_timeline(pg_schema, caplog):
    caplog.set_level(logging.INFO, logger="adapters.discord.pacing")
    url, schema = pg_schema
    async with FakeDiscord(token=TOKEN) as fake:
        settings = make_settings(fake, PAPERBOT_DB=f"{url}?schema={schema}", PAPERBOT_SOURCES="")
        bot = await PaperBot.open(settings)
        client = discord.Client(intents=discord.Intents(guilds=True))
        try:
            transport = DiscordTransport(client)
            await bot.start("discord", {"discord": transport})
            assert isinstance(transport.pacer, SharedPacer) and transport.pacer.timeline is bot.timeline
            # the operator is told the rate is the bot's now (DISCORD_REST_RATE was once each process's)
            assert "48 REST requests/s for the whole bot" in caplog.text
        finally:
            await bot.close()
            await client.close()


async def test_discords_retry_after_a_429_takes_a_slot_of_its_own(pg_schema):
    url, schema = pg_schema
    await (await PostgresStore.open(url, schema=schema)).close()
    async with FakeDiscord(token=TOKEN) as fake:
        channel = fake.add_channel("papers")
        settings = make_settings(fake, PAPERBOT_DB=f"{url}?schema={schema}")
        async with open_transport(settings) as transport:
            assert transport is not None and isinstance(transport.pacer, SharedPacer)
            before = transport.pacer.taken
            fake.rate_limit_next(2, retry_after=0.05, global_=True, method="POST")
            await transport.client.get_partial_messageable(channel).send("digest")
            attempts = fake.requests_to("POST", "/channels/*/messages")
            assert [r.status for r in attempts] == [429, 429, 200]
            assert transport.pacer.taken - before == len(attempts)  # each attempt waited for a slot of the bot's
        assert [m.channel_id for m in fake.messages] == [channel]
