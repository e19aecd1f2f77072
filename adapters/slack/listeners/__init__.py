"""Bolt listeners, one module per kind (as in slack-bolt's starter template): ``register(app, bot)``."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from adapters.slack.listeners import actions, commands
from bot.app import PaperBot


def register(app: AsyncApp, bot: PaperBot) -> None:
    commands.register(app, bot)
    actions.register(app, bot)
