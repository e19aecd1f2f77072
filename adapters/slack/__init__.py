"""Slack adapter: Block Kit rendering, the bolt app (Socket Mode or HTTP), posting digests.

Entry points for the CLI: :func:`run` (``paperbot run --adapter slack``) and :func:`post`
(``paperbot post --adapter slack``). See ``README.md`` here for setting up the Slack app.
"""

from __future__ import annotations

from adapters.slack.app import build_app, run
from adapters.slack.client import SlackConfigError, make_client
from adapters.slack.poster import PostResult, SlackPoster
from adapters.slack.publish import post
from adapters.slack.render import render

__all__ = ["PostResult", "SlackConfigError", "SlackPoster", "build_app", "make_client", "post", "render", "run"]
