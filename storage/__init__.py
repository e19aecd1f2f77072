"""paperbot's stores (SQLite, PostgreSQL) behind the core's store protocols."""

#: marks this top-level package as paperbot's (bot/cli/install.py checks it)
PAPERBOT_PACKAGE = True
