"""Who may change a channel's daily post: workspace admins/owners (``users.info``) or listed admins.

Only asked for the commands that need it, so ordinary lookups cost no extra API call.
"""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.client import SEND_ERRORS, error_code
from adapters.slack.locale import UserLocales
from bot.commands import KOREAN_SCHEDULE_ACTIONS, canonical
from bot.config import Settings

log = logging.getLogger(__name__)

MANAGING_SCHEDULE_ACTIONS = frozenset({"set", "off", "on"})


def needs_permission(name: str, args: str) -> bool:
    """``schedule set|off|on`` (``일정 설정|끄기|켜기``), setting the channel's ``language``, and subscribing
    or unsubscribing the whole channel (``--channel``)."""
    words = args.split()
    name = canonical(name)
    if name == "schedule":
        return bool(words) and KOREAN_SCHEDULE_ACTIONS.get(words[0], words[0].lower()) in MANAGING_SCHEDULE_ACTIONS
    if name == "language":
        return bool(words)
    if name in ("subscribe", "unsubscribe"):
        return bool(words) and words[0] == "--channel"
    return False


async def can_manage_channel(client: AsyncWebClient, settings: Settings, user: str,
                             locales: UserLocales | None = None) -> bool:
    """Asked afresh each time (a demoted admin loses the right at once); the answer's locale fills ``locales``."""
    if user in settings.admin_ids():
        return True
    try:
        response = await client.users_info(user=user, include_locale=True)
    except SEND_ERRORS as exc:
        log.warning("users.info for %s failed (%s): treating them as a regular member", user, error_code(exc))
        return False
    info = response.get("user") or {}
    if locales is not None:
        locales.remember(user, info)
    return bool(info.get("is_admin") or info.get("is_owner") or info.get("is_primary_owner"))
