"""The sample digest bundled with paperbot (the quick start's papers)."""

#: marks this top-level package as paperbot's (bot/cli/install.py checks it)
PAPERBOT_PACKAGE = True
