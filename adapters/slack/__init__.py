"""Slack adapter: Block Kit rendering, the bolt app (Socket Mode or HTTP), posting digests.

Entry point for the CLI: :func:`run` (``paperbot run --adapter slack``); posts go through
:mod:`adapters.slack.transport` and the delivery ledger. See ``README.md`` here for setting up the Slack app.
"""

from __future__ import annotations

from adapters.slack.app import build_app, run
from adapters.slack.client import SlackConfigError, make_client
from adapters.slack.render import render

__all__ = ["SlackConfigError", "build_app", "make_client", "render", "run"]
