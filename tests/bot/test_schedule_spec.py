"""The one schedule grammar: weekdays typed in English or Korean, printed back in the reader's language."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.i18n import ENGLISH, KOREAN
from bot.schedule_spec import ScheduleError, format_schedule, format_weekdays, parse_schedule, parse_weekdays
from bot.store import Schedule

WEEKDAYS = (0, 1, 2, 3, 4)


@pytest.mark.parametrize(("typed", "days"), [
    ("월-금", WEEKDAYS),
    ("월~금", WEEKDAYS),
    ("월요일-금요일", WEEKDAYS),
    ("평일", WEEKDAYS),
    ("주중", WEEKDAYS),
    ("주말", (5, 6)),
    ("월,수,금", (0, 2, 4)),
    ("월수금", (0, 2, 4)),
    ("매일", tuple(range(7))),
    ("금-월", (0, 4, 5, 6)),
    ("mon-fri", WEEKDAYS),
    ("Mon,Wed,Fri", (0, 2, 4)),
    ("weekends", (5, 6)),
])
def test_weekdays_in_either_language(typed, days):
    assert parse_weekdays(typed) == days


@pytest.mark.parametrize("typed", ["월-화-수", "월x", "요일", "금-"])
def test_bad_korean_weekdays_say_what_to_type(typed):
    with pytest.raises(ScheduleError) as bad:
        parse_weekdays(typed)
    assert "월, 화, 수, 목, 금, 토, 일" in KOREAN.error(bad.value)
    assert "mon, tue, wed" in ENGLISH.error(bad.value)


def test_a_korean_schedule_line_parses_whole():
    spec = parse_schedule("09:00 Asia/Seoul 월-금 top=5 조용히")
    assert (spec.time, spec.timezone, spec.weekdays, spec.top_n, spec.quiet) == \
        (dt.time(9), "Asia/Seoul", WEEKDAYS, 5, True)
    assert parse_schedule("18:30 평일").weekdays == WEEKDAYS


@pytest.mark.parametrize(("days", "english", "korean"), [
    (tuple(range(7)), "daily", "매일"),
    (WEEKDAYS, "mon-fri", "월-금"),
    ((5, 6), "sat,sun", "토,일"),
    ((0, 2, 4), "mon,wed,fri", "월,수,금"),
    ((0, 4, 5, 6), "mon,fri-sun", "월,금-일"),
])
def test_weekdays_print_back_in_the_readers_language(days, english, korean):
    assert (format_weekdays(days, ENGLISH), format_weekdays(days, KOREAN)) == (english, korean)


@given(st.sets(st.integers(0, 6), min_size=1))
def test_printed_weekdays_read_back_the_same_in_both_languages(days):
    chosen = tuple(sorted(days))
    assert parse_weekdays(format_weekdays(chosen, KOREAN)) == chosen
    assert parse_weekdays(format_weekdays(chosen, ENGLISH)) == chosen


def test_a_schedule_prints_in_the_readers_language():
    schedule = Schedule(platform="slack", channel="C1", workspace="T1", time=dt.time(9), timezone="Asia/Seoul",
                        weekdays=(0, 2, 4), top_n=5, min_votes=None, enabled=False, set_by="U1", quiet=True)
    assert format_schedule(schedule, ENGLISH) == \
        "09:00 Asia/Seoul, mon,wed,fri, top 5, quiet on days without papers, off"
    assert format_schedule(schedule, KOREAN) == "09:00 Asia/Seoul, 월,수,금, 상위 5편, 논문 없는 날은 조용히, 꺼짐"
