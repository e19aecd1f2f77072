"""Channel schedules as users type them: ``09:00 Asia/Seoul mon-fri top=5 min-votes=3``.

The one place that knows time, time-zone and weekday syntax.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.store import Schedule

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ALIASES = {"daily": "mon-sun", "everyday": "mon-sun", "weekdays": "mon-fri", "weekends": "sat-sun",
            "weekend": "sat-sun", "all": "mon-sun"}
_TIME = re.compile(r"^(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm)?$", re.IGNORECASE)
EXAMPLE = "`schedule set 09:00 Asia/Seoul mon-fri` (optional: `top=5`, `min-votes=3`, `quiet`)"


class ScheduleError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    time: dt.time
    timezone: str
    weekdays: tuple[int, ...]
    top_n: int | None = None
    min_votes: int | None = None
    quiet: bool = False


def parse_time(text: str) -> dt.time:
    m = _TIME.match(text.strip())
    if not m:
        raise ScheduleError(f"{text!r} is not a time: use HH:MM, e.g. 09:00 or 18:30.")
    hour, minute = int(m.group("h")), int(m.group("m") or 0)
    if m.group("ampm"):
        if not 1 <= hour <= 12:
            raise ScheduleError(f"{text!r} is not a time.")
        hour = hour % 12 + (12 if m.group("ampm").lower() == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ScheduleError(f"{text!r} is not a time of day.")
    return dt.time(hour, minute)


def parse_timezone(text: str) -> str:
    name = text.strip()
    if name.upper() in ("UTC", "Z", "GMT"):
        return "UTC"
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"{name!r} is not a time zone: use an IANA name such as Asia/Seoul, "
                            "Europe/Berlin or America/New_York.") from None
    return name


def parse_weekdays(text: str) -> tuple[int, ...]:
    spec = _ALIASES.get(text.strip().lower(), text.strip().lower())
    days: set[int] = set()
    for part in spec.split(","):
        part = part.strip()[:3] if "-" not in part else part.strip()
        if "-" in part:
            start, _, end = part.partition("-")
            a, b = _day(start), _day(end)
            days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        elif part:
            days.add(_day(part))
    if not days:
        raise ScheduleError("Say which days, e.g. mon-fri, daily or mon,wed,fri.")
    return tuple(sorted(days))


def _day(text: str) -> int:
    key = text.strip().lower()[:3]
    if key not in DAYS:
        raise ScheduleError(f"{text!r} is not a weekday: use mon, tue, wed, thu, fri, sat, sun.")
    return DAYS.index(key)


def format_weekdays(days: tuple[int, ...]) -> str:
    if days == tuple(range(7)):
        return "daily"
    if days == tuple(range(5)):
        return "mon-fri"
    return ",".join(DAYS[d] for d in days)


def parse_schedule(text: str, default_timezone: str = "UTC") -> ScheduleSpec:
    words = text.split()
    if not words:
        raise ScheduleError(f"Say when, e.g. {EXAMPLE}.")
    time = parse_time(words[0])
    timezone, weekdays = default_timezone, tuple(range(7))
    top_n = min_votes = None
    quiet = False
    for word in words[1:]:
        if word.lower() in ("quiet", "silent"):
            quiet = True
            continue
        key, eq, value = word.partition("=")
        if eq:
            if key.lower() in ("top", "top-n", "top_n"):
                top_n = _positive(value, "top")
            elif key.lower() in ("min-votes", "min_votes", "votes"):
                min_votes = _positive(value, "min-votes", allow_zero=True)
            else:
                raise ScheduleError(f"Unknown option {key!r}: use top=N or min-votes=N.")
        elif "/" in word or word.upper() in ("UTC", "GMT", "Z"):
            timezone = parse_timezone(word)
        else:
            try:
                weekdays = parse_weekdays(word)
            except ScheduleError:
                try:  # a zone without a slash: Japan, EST5EDT, Singapore
                    timezone = parse_timezone(word)
                except ScheduleError:
                    raise ScheduleError(f"{word!r} is neither weekdays (mon-fri, daily, mon,wed,fri) nor an IANA "
                                        "time zone (Asia/Seoul).") from None
    return ScheduleSpec(time, timezone, weekdays, top_n, min_votes, quiet)


def _positive(value: str, name: str, *, allow_zero: bool = False) -> int:
    if not value.isdigit() or (int(value) == 0 and not allow_zero):
        raise ScheduleError(f"{name}= needs a whole number, e.g. {name}=5.")
    return int(value)


def format_schedule(schedule: Schedule) -> str:
    """A schedule as replies and ``paperbot schedule list`` show it: ``09:00 Asia/Seoul, Mon–Fri, top 5``."""
    parts = [f"{schedule.time.strftime('%H:%M')} {schedule.timezone}, {format_weekdays(schedule.weekdays)}"]
    if schedule.top_n:
        parts.append(f"top {schedule.top_n}")
    if schedule.min_votes is not None:
        parts.append(f"at least {schedule.min_votes} votes")
    if schedule.quiet:
        parts.append("quiet on days without papers")
    if not schedule.enabled:
        parts.append("off")
    return ", ".join(parts)
