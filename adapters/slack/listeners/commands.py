"""The ``/papers`` slash command: ack at once, run the core command, respond with the rendered reply in the
user's language (:mod:`adapters.slack.locale`)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.listeners.permissions import can_manage_channel, needs_permission
from adapters.slack.listeners.reply import ReplyTarget, send_reply
from adapters.slack.locale import UserLocales
from adapters.slack.render import render
from bot.app import PaperBot
from bot.commands import COMMAND, Request, parse_line
from bot.commands.names import is_korean

PLATFORM = "slack"


async def command_request(bot: PaperBot, command: dict[str, Any], client: AsyncWebClient,
                          locales: UserLocales) -> Request:
    """The core request for a slash command payload (permission looked up only when it matters; the user's
    language from Slack unless the command was typed in Korean, which is answered in Korean anyway)."""
    name, args = parse_line(command.get("text") or "")
    user = str(command["user_id"])
    manage = needs_permission(name, args) and await can_manage_channel(client, bot.settings, user, locales)
    locale = "" if is_korean(name) else await locales.locale(client, user)
    return Request(PLATFORM, user, str(command["channel_id"]), name, args,
                   workspace=str(command.get("team_id") or ""), can_manage_channel=manage, locale=locale)


def register(app: AsyncApp, bot: PaperBot, locales: UserLocales) -> None:
    @app.command(COMMAND)
    async def papers(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        await ack()
        request = await command_request(bot, command, client, locales)
        reply = await bot.commands.handle(request)
        await send_reply(ReplyTarget(respond, client, request.channel, request.user), render(reply.messages))
