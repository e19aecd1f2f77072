"""The running bot's background work end to end: scheduled fetch → store → alerts → late post."""

from __future__ import annotations

import datetime as dt
import io

from aiohttp import web
from rich.console import Console

from adapters.console.transport import ConsoleTransport
from bot.app import PaperBot
from bot.commands import Commands, Request
from bot.config import Settings
from bot.fetch import JOB_ID
from bot.store import Schedule
from tests.bot.sources.conftest import load


async def test_the_scheduled_fetch_stores_alerts_and_posts_a_late_digest(store, tmp_path):
    items = load("daily_papers_2024-06-28.json")

    async def daily_papers(request: web.Request) -> web.Response:
        return web.json_response(items if request.query.get("p", "0") == "0" else [])

    app = web.Application()
    app.router.add_get("/api/daily_papers", daily_papers)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}/api"
    settings = Settings(_env_file=None, PAPERBOT_SOURCES="hf", PAPERBOT_HF_API=base,  # type: ignore[call-arg]
                        PAPERBOT_FETCH_TIME="06:00", PAPERBOT_FETCH_TIMEZONE="UTC")
    bot = PaperBot(settings, store, Commands(store))
    out = io.StringIO()
    try:
        first = items[0]["paper"]
        term = first["title"].split()[0]
        await bot.commands.handle(Request("console", "U1", "console", "subscribe", term))
        # a channel whose time today has passed: there was nothing to post, so it got a note
        await store.set_schedule(Schedule("console", "console", dt.time(0, 0), "UTC", tuple(range(7)),
                                          set_by="U1", since=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)))
        await bot.start("console", {"console": ConsoleTransport(Console(file=out, width=120, color_system=None))})
        assert "No new papers today." in out.getvalue()
        job = bot.scheduler.get_job(JOB_ID)
        assert job is not None and "(hour='6', minute='0', timezone='UTC')" in repr(job.trigger)
        await job.func(*job.args)  # what the scheduler runs at 06:00
        text = out.getvalue()
        assert "new paper" in text and f"matched: {term}" in text  # the alert, once
        assert text.count("📰 Daily Papers") == 2  # the note, then today's digest, posted late
        assert first["title"].split("\n")[0][:20] in text
        await job.func(*job.args)  # the same day again: nothing new, nothing twice
        assert out.getvalue() == text
    finally:
        bot.stop_background()
        await runner.cleanup()


class FlakyConsole(ConsoleTransport):
    """The console transport whose first ``fail`` sends fail as a platform outage would (outcome unknown)."""

    def __init__(self, console: Console, fail: int) -> None:
        super().__init__(console)
        self.fail = fail

    async def send(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.fail:
            self.fail -= 1
            raise ConnectionResetError("platform outage")
        return await super().send(*args, **kwargs)


async def test_the_running_bot_retries_an_unfinished_post_until_it_is_finished(seeded, tmp_path):
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    bot = PaperBot(settings, seeded, Commands(seeded))
    out = io.StringIO()
    await seeded.set_schedule(Schedule("console", "console", dt.time(0, 0), "UTC", tuple(range(7)), quiet=False,
                                       since=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)))
    try:
        await bot.start("console", {"console": FlakyConsole(Console(file=out, width=120, color_system=None), 1)})
        (unfinished,) = await seeded.unfinished_posts()
        assert unfinished.attempts == 1 and unfinished.last_error == "ConnectionResetError on part 0"
        assert out.getvalue() == ""
        await bot.retry_unfinished()  # the back-off has not run out: nothing yet
        assert out.getvalue() == ""
        await seeded.note_attempt("console", "console", unfinished.post_key, "test",
                                  dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))  # … now it has
        await bot.retry_unfinished()
        assert out.getvalue().count("No new papers today.") == 1
        assert await seeded.unfinished_posts() == []
    finally:
        await bot.close()
