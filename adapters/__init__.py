"""paperbot's platform adapters (console, Discord, Slack)."""

#: marks this top-level package as paperbot's (bot/cli/install.py checks it)
PAPERBOT_PACKAGE = True
