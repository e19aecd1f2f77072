"""Bolt listeners, one module per kind (as in slack-bolt's starter template): ``register(app, bot)``."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from adapters.slack.listeners import actions, commands
from adapters.slack.locale import UserLocales
from bot.app import PaperBot


def register(app: AsyncApp, bot: PaperBot, locales: UserLocales | None = None) -> None:
    """Every listener, sharing one cache of users' Slack locales."""
    locales = locales or UserLocales()
    commands.register(app, bot, locales)
    actions.register(app, bot, locales)
