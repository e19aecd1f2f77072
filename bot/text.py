"""Text rules shared by search, matching, rendering and logging: folding, truncation, redaction."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

_WS = re.compile(r"\s+")


def section_language(text: str) -> str:
    """``ko`` for a text with Hangul (the Korean digest's summaries), else ``en`` (Hugging Face's abstract):
    which source a paper's section comes from, for posts (the reader's language first) and for the
    store (a newer text replaces its own source's sections only)."""
    return "ko" if any("\uac00" <= ch <= "\ud7a3" for ch in text) else "en"


def fold(text: str) -> str:
    """Case- and accent-insensitive key: ``José Hernández`` → ``jose hernandez``.

    Only combining marks are dropped, so Hangul (decomposed by NFD into jamo, which are
    letters) recomposes unchanged.
    """
    if text.isascii():  # nothing to decompose or strip
        return _WS.sub(" ", text.casefold()).strip()
    stripped = unicodedata.normalize("NFD", text).translate(_MARKS)
    return _WS.sub(" ", unicodedata.normalize("NFC", stripped).casefold()).strip()


class _Marks(dict[int, int | None]):
    """``str.translate`` table deleting combining marks (category Mn), filled per character seen."""

    def __missing__(self, cp: int) -> int | None:
        value = None if unicodedata.category(chr(cp)) == "Mn" else cp
        self[cp] = value
        return value


_MARKS = _Marks()


def word_tokens(text: str) -> list[str]:
    """Words of ``text`` as unicode61 sees them (letters and digits), folded."""
    return _WORDS(fold(text).replace("_", " "))


#: compiled once: ``re.findall(pattern, …)`` looks its pattern up in ``re``'s cache on every call, a fifth of this
#: function's time (an alert run's matching tokenizes tens of thousands of terms and author names)
_WORDS = re.compile(r"\w+").findall


ELLIPSIS = "…"
#: the greedy ``.*`` backtracks from the end, so each finds the last one (in C) without listing the others:
#: the last whitespace after a sentence's end, and the last after a word
_LAST_SENTENCE_END = re.compile(r".*[.!?。](?=\s)", re.S)
_LAST_WORD_END = re.compile(r".*\S(?=\s)", re.S)


def fit(text: str, limit: int, *, escape: Callable[[str], str] = lambda s: s, more: str = "") -> str:
    """``escape(text)`` if it fits in ``limit`` characters, else a shortened version that does.

    The cut falls on a sentence end when one is in the second half of the budget, else on
    a word end, never inside a character, an escape sequence or a link; ``…`` and ``more``
    (already escaped, e.g. a link to the paper) are appended after the cut.
    """
    if len(text) <= limit:  # escaping never shortens text, so a longer text cannot fit
        whole = escape(text)
        if len(whole) <= limit:
            return whole
    tail = ELLIPSIS + (" " + more if more else "")
    budget = limit - len(tail)
    if budget <= 0:
        return ELLIPSIS[: max(0, limit)]
    lo = longest_prefix(text, budget, escape)
    probe = text[: lo + 1]  # one more character shows whether the prefix ends a word
    sentence = _LAST_SENTENCE_END.match(probe)
    if sentence is not None and sentence.end() >= lo // 2:
        cut = sentence.end()
    elif (word := _LAST_WORD_END.match(probe)) is not None and word.end() > lo // 3:
        cut = word.end()
    else:
        cut = lo
    return escape(text[:cut].rstrip()) + tail


def longest_prefix(text: str, budget: int, escape: Callable[[str], str]) -> int:
    """The length of the longest prefix of ``text`` (at most ``budget`` characters) whose ``escape`` fits in ``budget``.

    An escaped prefix is never shorter than a shorter prefix's, so any bracket holding it finds the same one; the
    first guess is the whole budget less what escaping added to it (each character escapes to one or more; a
    guess that does not fit is searched below), most often right or a few characters off.
    """
    lo, hi = 0, min(len(text), budget)
    over = len(escape(text[:hi])) - budget
    if over <= 0:
        return hi
    hi -= 1
    guess = hi + 1 - over
    if guess > 0:
        if len(escape(text[:guess])) <= budget:
            lo = guess
            if guess < hi and len(escape(text[: guess + 1])) > budget:
                return guess
        else:
            hi = guess - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(escape(text[:mid])) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo


REDACTED = "[redacted]"
#: the password of a URL (``postgresql://bot:s3cret@db/paperbot``): what lies between ``user:`` and ``@``
_URL_PASSWORD = re.compile(r"(://[^:/@]+):[^@/]*@")


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` safe to log or print: each of ``secrets`` (a token) replaced by ``[redacted]``, and a URL's
    password by ``***`` (``postgresql://bot:***@db/paperbot``)."""
    for value in secrets:
        if value:
            text = text.replace(value, REDACTED)
    return _URL_PASSWORD.sub(r"\1:***@", text)
