"""The ledger's post keys: one place that names every kind of post.

A key is unique per (platform, target): posting the same key twice is the same post.
"""

from __future__ import annotations

import datetime as dt
import uuid

DIGEST = "digest:"
EMPTY = "empty:"
ALERT = "alert:"
MANUAL = "manual:"
NOTICE = "unavailable:"


def digest(day: dt.date) -> str:
    """A day's digest in a scheduled channel."""
    return f"{DIGEST}{day.isoformat()}"


def empty(day: dt.date) -> str:
    """The "no new papers today" note of a local day."""
    return f"{EMPTY}{day.isoformat()}"


def manual(day: dt.date, *, again: bool = False, now: dt.datetime | None = None) -> str:
    """``paperbot post``: once per digest and channel, or once more on purpose with ``again``."""
    key = f"{MANUAL}{day.isoformat()}"
    if again:
        key += ":" + (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%S%f")
    return key


def alert(day: dt.date) -> str:
    """A new alert batch (its papers are claimed under this key, so a crash can resume it)."""
    return f"{ALERT}{day.isoformat()}:{uuid.uuid4().hex[:12]}"


def alert_date(key: str) -> dt.date:
    return dt.date.fromisoformat(key.removeprefix(ALERT)[:10])


def unavailable(target: str) -> str:
    """The note telling a schedule's owner that its channel can't be posted to."""
    return f"{NOTICE}{target}"
