"""Channel schedules as users type them: ``09:00 Asia/Seoul mon-fri top=5 min-votes=3``, the days in English or
Korean (``월-금``, ``평일``, ``주말``, ``월,수,금``, ``매일``).

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
#: Korean weekday names (``월요일`` is ``월`` with ``요일``): ``월-금``, ``월,수,금``, ``월수금``
KOREAN_DAYS = ("월", "화", "수", "목", "금", "토", "일")
_ALIASES = {"daily": "mon-sun", "everyday": "mon-sun", "weekdays": "mon-fri", "weekends": "sat-sun",
            "weekend": "sat-sun", "all": "mon-sun",
            "매일": "mon-sun", "날마다": "mon-sun", "평일": "mon-fri", "주중": "mon-fri", "주말": "sat-sun"}
_RANGE = re.compile(r"\s*[-~–]\s*")  # mon-fri, 월~금, 월 – 금
_QUIET = ("quiet", "silent", "조용히")
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
    """``mon-fri``, ``daily``, ``mon,wed,fri`` — or in Korean ``월-금``, ``평일``, ``주말``, ``월,수,금``, ``매일``."""
    spec = _ALIASES.get(text.strip().lower(), text.strip().lower())
    days: set[int] = set()
    for part in spec.split(","):
        ends = _RANGE.split(part.strip())
        if len(ends) == 2:
            a, b = _day(ends[0]), _day(ends[1])
            days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        elif len(ends) > 2:
            raise ScheduleError(N_("{text} is not a weekday: use mon, tue, wed, thu, fri, sat, sun."),
                                text=repr(part.strip()))
        elif ends[0]:
            days.update(_days(ends[0]))
    if not days:
        raise ScheduleError(N_("Say which days, e.g. mon-fri, daily or mon,wed,fri."))
    return tuple(sorted(days))


def _days(text: str) -> tuple[int, ...]:
    """One day, or Korean days written together (``월수금``)."""
    key = text.strip().removesuffix("요일")
    if len(key) > 1 and all(ch in KOREAN_DAYS for ch in key):
        return tuple(KOREAN_DAYS.index(ch) for ch in key)
    return (_day(text),)


def _day(text: str) -> int:
    key = text.strip().lower().removesuffix("요일")
    if key in KOREAN_DAYS:
        return KOREAN_DAYS.index(key)
    if key[:3] not in DAYS:
        raise ScheduleError(N_("{text} is not a weekday: use mon, tue, wed, thu, fri, sat, sun."), text=repr(text))
    return DAYS.index(key[:3])


#: how each language writes the days back, in a form :func:`parse_weekdays` reads
_DAY_NAMES = {"en": DAYS, "ko": KOREAN_DAYS}


def format_weekdays(days: tuple[int, ...], t: Lang = ENGLISH) -> str:
    """Days as the reader's language writes them, readable back by :func:`parse_weekdays`:
    ``daily`` / ``매일``, ``mon-fri`` / ``월-금``, ``mon,wed,fri`` / ``월,수,금``."""
    if days == tuple(range(7)):
        return t._("daily")
    names = _DAY_NAMES.get(t.code, DAYS)
    runs: list[list[int]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        parts += [f"{names[run[0]]}-{names[run[-1]]}"] if len(run) >= 3 else [names[d] for d in run]
    return ",".join(parts)


def parse_schedule(text: str, default_timezone: str = "UTC") -> ScheduleSpec:
    words = text.split()
    if not words:
        raise ScheduleError(N_("Say when, e.g. {example}."), example=EXAMPLE)
    time = parse_time(words[0])
    timezone, weekdays = default_timezone, tuple(range(7))
    top_n = min_votes = None
    quiet = False
    for word in words[1:]:
        if word.lower() in _QUIET:
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
    """A schedule as replies and ``paperbot schedule list`` show it, in ``t``'s language:
    ``09:00 Asia/Seoul, mon-fri, top 5`` / ``09:00 Asia/Seoul, 월-금, 상위 5편``."""
    parts = [f"{schedule.time.strftime('%H:%M')} {schedule.timezone}, {format_weekdays(schedule.weekdays, t)}"]
    if schedule.top_n:
        parts.append(t._("top {n}", n=schedule.top_n))
    if schedule.min_votes is not None:
        parts.append(t.ngettext("at least {n} vote", "at least {n} votes", schedule.min_votes))
    if schedule.quiet:
        parts.append(t._("quiet on days without papers"))
    if not schedule.enabled:
        parts.append(t._("off"))
    return ", ".join(parts)
