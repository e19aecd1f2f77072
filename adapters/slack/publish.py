"""``post(bot, channel, date)``: post a stored digest to a channel now, over the Web API only.

The post goes first (``chat.postMessage``); each paper's summary then goes into its thread
with ``thread_ts`` = the ``ts`` the post returned. When the channel has a daily-post
schedule, its ``top N`` / ``min votes`` apply. Returns 0, or 1 after printing one clear line
to stderr (never a token).
"""

from __future__ import annotations

import datetime as dt
import sys

from adapters.slack.client import SlackConfigError, make_client, redact, settings_secrets
from adapters.slack.listeners.commands import PLATFORM
from adapters.slack.poster import SlackPoster
from adapters.slack.render import render
from bot.app import PaperBot
from bot.layout import DigestOptions, digest_messages

EXIT_OK, EXIT_FAILED = 0, 1


async def post(bot: PaperBot, channel: str, date: dt.date | None) -> int:
    try:
        poster = SlackPoster(make_client(bot.settings))
        stored = await bot.store.digest(date)
        if stored is None:
            return fail(bot, f"no digest stored {'for ' + date.isoformat() if date else 'yet'}; nothing posted.")
        schedule = await bot.store.schedule(PLATFORM, channel)
        options = DigestOptions(top_n=schedule.top_n, min_votes=schedule.min_votes) if schedule else DigestOptions()
        result = await poster.post(channel, render(digest_messages(stored, options)))
    except SlackConfigError as exc:
        return fail(bot, str(exc))
    if result.unavailable:
        code = poster.unavailable.get(channel, "unavailable")
        return fail(bot, f"cannot post to {channel}: {code} (invite the app to the channel: /invite @paperbot).")
    if not result.ok:
        posted = sum(ts is not None for ts in result.ts)
        return fail(bot, f"posted {posted} of {len(result.ts)} messages to {channel}: {result.error}.")
    return EXIT_OK


def fail(bot: PaperBot, message: str) -> int:
    print(redact(f"paperbot post --adapter slack: {message}", settings_secrets(bot.settings)), file=sys.stderr)
    return EXIT_FAILED
