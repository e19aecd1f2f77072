"""The Slack adapter's entry points: the bolt app and ``run(bot)`` (posts go through the ledger's transport).

``run`` connects with Socket Mode when ``SLACK_APP_TOKEN`` is set (no public URL needed), else
serves HTTP on ``PAPERBOT_HOST:PAPERBOT_PORT`` at ``/slack/events`` with bolt's aiohttp
adapter, which verifies every request's signature (``SLACK_SIGNING_SECRET``) and timestamp.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from aiohttp import web
from aiohttp.typedefs import Handler
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.client import SEND_ERRORS, SlackConfigError, error_code, make_client, secret, shared_session
from adapters.slack.listeners import register
from adapters.slack.locale import UserLocales
from adapters.slack.transport import SlackTransport
from bot import health
from bot.app import PaperBot
from bot.config import Settings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
Mode = Literal["socket", "http"]


class _QuietTokenWarning(logging.Filter):
    """bolt warns that ``SLACK_BOT_TOKEN`` from the environment is unused when ``client=`` is given; it is the
    same token (the client carries it, with our retry handlers), so the warning would only alarm operators."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


bolt_logger = logging.getLogger("adapters.slack.bolt")
bolt_logger.addFilter(_QuietTokenWarning())

__all__ = ["EVENTS_PATH", "build_app", "connection_mode", "run", "start_http"]


def build_app(bot: PaperBot, *, client: AsyncWebClient | None = None, signing_secret: str | None = None,
              locales: UserLocales | None = None) -> AsyncApp:
    """The bolt app with every paperbot listener; ``signing_secret`` defaults to the settings'; ``locales``
    (users' Slack languages, cached) a fresh cache."""
    if signing_secret is None:
        signing_secret = secret(bot.settings.slack_signing_secret) or ""
    app = AsyncApp(
        client=client or make_client(bot.settings),
        signing_secret=signing_secret,
        logger=bolt_logger,
    )
    register(app, bot, locales)
    return app


def connection_mode(settings: Settings) -> Mode:
    if secret(settings.slack_app_token):
        return "socket"
    if secret(settings.slack_signing_secret):
        return "http"
    raise SlackConfigError("Set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode) to run on Slack.")


@web.middleware
async def malformed_is_400(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A body bolt cannot parse (even a correctly signed one) is the sender's error: 400 and one log line."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError) as exc:
        log.warning("Slack: rejected a request body that could not be read (%s)", type(exc).__name__)
        return web.Response(status=400, text="malformed request body")


async def start_http(app: AsyncApp, host: str, port: int) -> web.AppRunner:
    """Serve ``app`` at ``http://host:port/slack/events``; the caller cleans the runner up."""
    web_app = app.web_app(path=EVENTS_PATH)
    web_app.middlewares.append(malformed_is_400)
    runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def check_token(client: AsyncWebClient) -> None:
    try:
        await client.auth_test()
    except SEND_ERRORS as exc:
        raise SlackConfigError(f"Slack did not accept SLACK_BOT_TOKEN (auth.test: {error_code(exc)}).") from None


async def run(bot: PaperBot, *, mode: Mode | None = None, background: bool = True) -> None:
    """Answer ``/papers`` and buttons until cancelled. Raises :class:`SlackConfigError` on bad settings."""
    settings = bot.settings
    mode = mode or connection_mode(settings)
    async with shared_session(make_client(settings)) as client:  # one HTTP session for every Web API call
        await serve(bot, client, mode, background)


async def serve(bot: PaperBot, client: AsyncWebClient, mode: Mode, background: bool) -> None:
    settings = bot.settings
    await check_token(client)
    transport = SlackTransport(client)
    app = build_app(bot, client=client, locales=transport.locales)  # one cache of users' languages
    if background:  # daily posts, the daily fetch and alerts, delivered over this client
        await bot.start("slack", {"slack": transport})
    if mode == "socket":
        app_token = secret(settings.slack_app_token)
        if app_token is None:
            raise SlackConfigError("SLACK_APP_TOKEN (xapp-…, with connections:write) is needed for Socket Mode.")
        handler = AsyncSocketModeHandler(app, app_token=app_token)
        await handler.connect_async()  # type: ignore[no-untyped-call]  # slack-bolt leaves it unannotated
        health.connected(handler.client.is_connected)  # for GET /readyz
        log.info("Slack: connected with Socket Mode")
        try:
            await asyncio.Event().wait()
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]  # slack-bolt leaves it unannotated
            bot.stop_background()
    else:
        if not secret(settings.slack_signing_secret):
            raise SlackConfigError("SLACK_SIGNING_SECRET is needed for HTTP mode.")
        runner = await start_http(app, settings.host, settings.port)
        health.connected(lambda: True)  # listening: Slack's requests can reach us
        log.info("Slack: listening on http://%s:%d%s", settings.host, settings.port, EVENTS_PATH)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()
            bot.stop_background()
