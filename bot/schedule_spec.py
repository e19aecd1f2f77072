"""Channel schedules as users type them: ``09:00 Asia/Seoul mon-fri top=5 min-votes=3``.

The one place that knows time, time-zone and weekday syntax.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.i18n import ENGLISH, N_, Lang, Localized

if TYPE_CHECKING:
    from bot.store import Schedule

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ALIASES = {"daily": "mon-sun", "everyday": "mon-sun", "weekdays": "mon-fri", "weekends": "sat-sun",
            "weekend": "sat-sun", "all": "mon-sun"}
_TIME = re.compile(r"^(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm)?$", re.IGNORECASE)
EXAMPLE = N_("`schedule set 09:00 Asia/Seoul mon-fri` (optional: `top=5`, `min-votes=3`, `quiet`)")


class ScheduleError(Localized):
    """A schedule the user typed that does not parse; ``str()`` is English, ``Lang.error`` any language."""


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
        raise ScheduleError(N_("{text} is not a time: use HH:MM, e.g. 09:00 or 18:30."), text=repr(text))
    hour, minute = int(m.group("h")), int(m.group("m") or 0)
    if m.group("ampm"):
        if not 1 <= hour <= 12:
            raise ScheduleError(N_("{text} is not a time."), text=repr(text))
        hour = hour % 12 + (12 if m.group("ampm").lower() == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ScheduleError(N_("{text} is not a time of day."), text=repr(text))
    return dt.time(hour, minute)


def parse_timezone(text: str) -> str:
    name = text.strip()
    if name.upper() in ("UTC", "Z", "GMT"):
        return "UTC"
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(N_("{name} is not a time zone: use an IANA name such as Asia/Seoul, "
                               "Europe/Berlin or America/New_York."), name=repr(name)) from None
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
        raise ScheduleError(N_("Say which days, e.g. mon-fri, daily or mon,wed,fri."))
    return tuple(sorted(days))


def _day(text: str) -> int:
    key = text.strip().lower()[:3]
    if key not in DAYS:
        raise ScheduleError(N_("{text} is not a weekday: use mon, tue, wed, thu, fri, sat, sun."), text=repr(text))
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
        raise ScheduleError(N_("Say when, e.g. {example}."), example=EXAMPLE)
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
                raise ScheduleError(N_("Unknown option {key}: use top=N or min-votes=N."), key=repr(key))
        elif "/" in word or word.upper() in ("UTC", "GMT", "Z"):
            timezone = parse_timezone(word)
        else:
            try:
                weekdays = parse_weekdays(word)
            except ScheduleError:
                try:  # a zone without a slash: Japan, EST5EDT, Singapore
                    timezone = parse_timezone(word)
                except ScheduleError:
                    raise ScheduleError(N_("{word} is neither weekdays (mon-fri, daily, mon,wed,fri) nor an IANA "
                                           "time zone (Asia/Seoul)."), word=repr(word)) from None
    return ScheduleSpec(time, timezone, weekdays, top_n, min_votes, quiet)


#: the largest top= / min-votes= a schedule takes (stored as a 64-bit integer; no day has more papers)
MAX_NUMBER = 100_000


def _positive(value: str, name: str, *, allow_zero: bool = False) -> int:
    if not value.isdigit() or (int(value) == 0 and not allow_zero):
        raise ScheduleError(N_("{name}= needs a whole number, e.g. {name}=5."), name=name)
    if len(value) > 9 or int(value) > MAX_NUMBER:
        raise ScheduleError(N_("{name}= is too large: at most {most}."), name=name, most=f"{MAX_NUMBER:,}")
    return int(value)


def format_schedule(schedule: Schedule, t: Lang = ENGLISH) -> str:
    """A schedule as replies and ``paperbot schedule list`` show it: ``09:00 Asia/Seoul, Mon–Fri, top 5``."""
    parts = [f"{schedule.time.strftime('%H:%M')} {schedule.timezone}, {format_weekdays(schedule.weekdays)}"]
    if schedule.top_n:
        parts.append(t._("top {n}", n=schedule.top_n))
    if schedule.min_votes is not None:
        parts.append(t.ngettext("at least {n} vote", "at least {n} votes", schedule.min_votes))
    if schedule.quiet:
        parts.append(t._("quiet on days without papers"))
    if not schedule.enabled:
        parts.append(t._("off"))
    return ", ".join(parts)
