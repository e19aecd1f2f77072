"""Text rules shared by search, matching and rendering: folding and truncation."""

from __future__ import annotations

import re
import unicodedata

_WS = re.compile(r"\s+")


def fold(text: str) -> str:
    """Case- and accent-insensitive key: ``José Hernández`` → ``jose hernandez``.

    Only combining marks are dropped, so Hangul (decomposed by NFD into jamo, which are
    letters) recomposes unchanged.
    """
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _WS.sub(" ", unicodedata.normalize("NFC", stripped).casefold()).strip()


def word_tokens(text: str) -> list[str]:
    """Words of ``text`` as unicode61 sees them (letters and digits), folded."""
    return re.findall(r"\w+", fold(text).replace("_", " "))
