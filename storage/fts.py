"""User text → FTS5 query strings. The only place user text meets FTS syntax.

Every term is quoted as an FTS5 string (``"…"`` with ``"`` doubled), so operators such as
``AND``, ``NEAR``, ``*``, ``^`` or parentheses typed by a user are just text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.store import QueryError
from bot.text import word_tokens

#: the trigram tokenizer matches substrings of at least this many characters
TRIGRAM_MIN = 3
MAX_QUERY_CHARS = 200

_TERMS = re.compile(r'"([^"]*)"|(\S+)')
_ASCII_WORDS = re.compile(r"[A-Za-z0-9][A-Za-z0-9 .\-']*")


def quote(text: str) -> str:
    """``text`` as one FTS5 string token."""
    return '"' + text.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class KeywordQuery:
    """A parsed keyword query: long terms for the trigram index, short ones for the word index."""

    long_terms: tuple[str, ...]
    short_terms: tuple[str, ...]  # folded words, matched as word prefixes
    phrases: tuple[str, ...] = ()  # folded Latin phrases, matched as word sequences

    def trigram_match(self) -> str | None:
        return " AND ".join(quote(t) for t in self.long_terms) or None

    def words_match(self) -> str | None:
        parts = [quote(t) + "*" for t in self.short_terms] + [quote(p) for p in self.phrases]
        return " AND ".join(parts) or None


def keyword_query(text: str) -> KeywordQuery:
    """Split a user's query into terms: ``"quoted phrases"`` stay whole, other words split.

    Raises :class:`QueryError` with a message for the user when nothing is searchable.
    """
    text = text.strip()
    if not text:
        raise QueryError("Type something to search for, e.g. `추론` or `diffusion`.")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"That query is too long ({len(text)} characters); keep it under {MAX_QUERY_CHARS}.")
    long_terms: list[str] = []
    short_terms: list[str] = []
    phrases: list[str] = []
    for match in _TERMS.finditer(text):
        term = (match.group(1) if match.group(1) is not None else match.group(2)).strip()
        if not term:
            continue
        if _ASCII_WORDS.fullmatch(term) and match.group(1) is None:
            short_terms.extend(word_tokens(term))  # Latin words: the word index, as prefixes
        elif _ASCII_WORDS.fullmatch(term):
            phrases.append(" ".join(word_tokens(term)))  # a quoted Latin phrase: a word-index phrase
        elif len(term) >= TRIGRAM_MIN:
            long_terms.append(term)
        else:
            short_terms.extend(word_tokens(term))
    if not long_terms and not short_terms and not phrases:
        raise QueryError(f"Nothing to search for in {text!r}: try a word, e.g. `추론` or `LLM`.")
    return KeywordQuery(tuple(dict.fromkeys(long_terms)), tuple(dict.fromkeys(short_terms)), tuple(phrases))


def author_query(name: str) -> tuple[str, list[str]]:
    """An FTS5 expression matching author names by word prefixes, and the folded words."""
    words = word_tokens(name)
    if not name.strip():
        raise QueryError("Type an author's name, e.g. `Juanzi Li` or just `Ning`.")
    if not words:
        raise QueryError(f"No name to look up in {name!r}: try letters, e.g. `Juanzi Li`.")
    words = words[:8]
    return " AND ".join(quote(w) + "*" for w in words), words
