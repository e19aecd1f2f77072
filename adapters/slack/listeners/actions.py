"""Buttons on paper cards: ``show_paper`` (the full card, just for the clicker) and ``subscribe_author``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.listeners.commands import PLATFORM
from adapters.slack.listeners.reply import ReplyTarget, send_reply
from adapters.slack.locale import UserLocales
from adapters.slack.render import render
from bot.app import PaperBot
from bot.commands import Request
from bot.messages import SHOW_DETAILS, SUBSCRIBE_AUTHOR
from bot.topics import topic_text


def action_request(body: dict[str, Any], command: str, args: str) -> Request:
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or ""
    return Request(PLATFORM, str(body["user"]["id"]), str(channel), command, args,
                   workspace=str((body.get("team") or {}).get("id") or ""))


def author_topic(name: str) -> str:
    return topic_text("author", name)


def register(app: AsyncApp, bot: PaperBot, locales: UserLocales) -> None:
    async def run(respond: AsyncRespond, client: AsyncWebClient, request: Request) -> None:
        request = replace(request, locale=await locales.locale(client, request.user))  # the clicker's language
        reply = await bot.commands.handle(request)
        target = ReplyTarget(respond, client, request.channel, request.user)
        await send_reply(target, render(reply.messages), replace_original=False)

    @app.action(SHOW_DETAILS)
    async def show_paper(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond,
                         client: AsyncWebClient) -> None:
        await ack()
        await run(respond, client, action_request(body, "show", str(action.get("value") or "")))

    @app.action(SUBSCRIBE_AUTHOR)
    async def subscribe_author(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond,
                               client: AsyncWebClient) -> None:
        await ack()
        request = action_request(body, "subscribe", author_topic(str(action.get("value") or "")))
        await run(respond, client, request)
