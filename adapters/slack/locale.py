"""Each Slack user's language, for the replies only they see: ``users.info`` with ``include_locale``.

Slack says a user's language only when asked (``users.info?include_locale=true``, the
``users:read`` scope), as a locale such as ``ko-KR`` or ``en-US``. Answers are kept per user for
:data:`TTL_SECONDS`, so a busy user costs one call an hour; a lookup that fails (a missing scope, a
network error, a slow answer) leaves the reply in the channel's language, then ``PAPERBOT_LANGUAGE``,
and is logged once per cause, not once per command. The permission check's own ``users.info``
asks for the locale too and fills this cache, so a manager's command costs one call, not two.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.client import SEND_ERRORS, error_code

log = logging.getLogger(__name__)

TTL_SECONDS = 3600.0  # people rarely change Slack's language; an hour bounds how long a change goes unseen
FAILED_TTL_SECONDS = 300.0  # after a failure, try again after this long (a scope added, the network back)
LOOKUP_TIMEOUT = 2.0  # seconds a reply waits for the locale before it goes in the channel's language
MAX_USERS = 10_000  # entries kept; the oldest go first


class UserLocales:
    """Slack locales per user (``""``: unknown), cached with a TTL; shared by every listener of one app."""

    def __init__(self, *, ttl: float = TTL_SECONDS, failed_ttl: float = FAILED_TTL_SECONDS,
                 timeout: float = LOOKUP_TIMEOUT, max_users: int = MAX_USERS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.failed_ttl = failed_ttl
        self.timeout = timeout
        self.max_users = max_users
        self._clock = clock
        self._known: dict[str, tuple[float, str]] = {}  # user → (expires at, locale)
        self._logged: set[str] = set()  # failure causes already logged

    async def locale(self, client: AsyncWebClient, user: str) -> str:
        """``user``'s Slack locale (``ko-KR``), or ``""`` when Slack does not say or cannot be asked."""
        if not user:
            return ""
        cached = self._known.get(user)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        try:
            async with asyncio.timeout(self.timeout):
                response = await client.users_info(user=user, include_locale=True)
        except TimeoutError:
            return self._failed(user, "timeout")
        except SEND_ERRORS as exc:
            return self._failed(user, error_code(exc))
        return self.remember(user, response.get("user") or {})

    def remember(self, user: str, info: Mapping[str, Any]) -> str:
        """Keep the locale of a ``users.info`` answer (asked with ``include_locale``); the locale."""
        locale = str(info.get("locale") or "")
        self._put(user, locale, self.ttl)
        return locale

    def _failed(self, user: str, cause: str) -> str:
        if cause not in self._logged:
            self._logged.add(cause)
            hint = " (add the users:read scope and reinstall the app)" if cause == "missing_scope" else ""
            log.warning("Slack users.info failed (%s): private replies use the channel's language%s", cause, hint)
        self._put(user, "", self.failed_ttl)
        return ""

    def _put(self, user: str, locale: str, ttl: float) -> None:
        self._known.pop(user, None)
        while len(self._known) >= self.max_users:
            del self._known[next(iter(self._known))]
        self._known[user] = (self._clock() + ttl, locale)
