"""Subcommand names in English and Korean, and the closest one to a misspelt name."""

from __future__ import annotations

import difflib
import unicodedata

#: Korean subcommand names, accepted everywhere a command is typed (console, Slack) beside the English ones.
KOREAN_NAMES: dict[str, str] = {
    "오늘": "today",
    "검색": "search",
    "저자": "author",
    "보기": "show",
    "구독": "subscribe",
    "구독취소": "unsubscribe",
    "구독목록": "subscriptions",
    "일정": "schedule",
    "언어": "language",
    "도움말": "help",
}
#: ``/papers 일정 설정 …`` and friends.
KOREAN_SCHEDULE_ACTIONS: dict[str, str] = {"설정": "set", "보기": "show", "끄기": "off", "켜기": "on"}
ENGLISH_NAMES = ("today", "digest", "search", "author", "show", "subscribe", "unsubscribe", "subscriptions",
                 "schedule", "language", "help")


def canonical(name: str) -> str:
    """The English name of a typed subcommand (``검색`` → ``search``); unknown names as typed."""
    name = name.strip().lower()
    return KOREAN_NAMES.get(name, name)


def is_korean(name: str) -> bool:
    """Typed in Korean: a Korean name, or any Hangul (a misspelt Korean name gets a Korean answer)."""
    return any("\uac00" <= ch <= "\ud7a3" or "\u3131" <= ch <= "\u318e" for ch in name)


def _jamo(text: str) -> str:
    """Hangul split into letters, so ``검삭`` is as close to ``검색`` as ``serch`` is to ``search``."""
    return unicodedata.normalize("NFD", text)


def suggest(name: str) -> str | None:
    """The closest known subcommand, in the script it was typed in."""
    pool = list(KOREAN_NAMES) if is_korean(name) else list(ENGLISH_NAMES)
    by_jamo = {_jamo(n): n for n in pool}
    close = difflib.get_close_matches(_jamo(name), by_jamo, n=1)
    return by_jamo[close[0]] if close else None
