"""Rows ↔ records for PostgreSQL, and the word index built from the same tokens as SQLite's.

Papers are stored as in SQLite (JSON text for lists: :mod:`storage.sqlite.rows` converts
them); the word index is a ``tsvector`` built here from :func:`bot.text.word_tokens`, so
both backends split and fold words by the one rule (PostgreSQL's own parser and
``unaccent`` differ from it in places).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from bot.matching import LINE, Term
from bot.models import Paper
from bot.store import Schedule, Subscription, TopicKind
from bot.text import word_tokens
from storage.sqlite.rows import search_body
from storage.sqlite.search import korean_index_text

SUB_COLUMNS = "id, platform, subscriber, kind, term, created_at, term_key, gram"
SCHEDULE_COLUMNS = (
    "platform, channel, workspace, time, timezone, weekdays, top_n, min_votes, enabled, set_by, quiet, updated_at"
)
_MAX_POS = 16383  # tsvector positions stop here
_MAX_POSITIONS = 255  # per word
_MAX_WORD = 500  # characters; longer "words" (base64, URLs) are not indexed


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def words_vector(paper: Paper, body: str | None = None) -> str:
    """A ``tsvector`` literal: title words weighted A, authors B, summaries C (``body``, by default
    the paper's own text), with positions."""
    positions: dict[str, list[str]] = {}
    pos = 0
    summaries = search_body(paper) if body is None else body
    for weight, text in (("A", paper.title), ("B", ", ".join(paper.authors)), ("C", summaries)):
        for word in word_tokens(text):
            pos = min(pos + 1, _MAX_POS)
            if len(word) <= _MAX_WORD:
                found = positions.setdefault(word, [])
                if len(found) < _MAX_POSITIONS:
                    found.append(f"{pos}{weight}")
        pos = min(pos + 1, _MAX_POS)  # a gap: a phrase never spans two fields
    return " ".join(f"{_lexeme(w)}:{','.join(p)}" for w, p in positions.items())


def pairs_vector(ko: str) -> str:
    """Every two-character substring of ``ko`` (the Korean search text) as a ``tsvector`` literal
    (pairs across a line end are left out: no term holds the separator)."""
    pairs = {ko[i : i + 2] for i in range(len(ko) - 1)}
    return " ".join(_lexeme(p) for p in sorted(pairs) if LINE not in p)


def pair_query(chars: str) -> str:
    """A two-character term as a ``tsquery`` over :func:`pairs_vector`."""
    return _lexeme(chars)


def plain_query(t: Term) -> str:
    """What any match of a Latin term has (every word, the last as a prefix), without weights or
    positions: the GIN index answers it alone, so it narrows the rows :func:`term_query` checks."""
    last = len(t.words) - 1
    return " & ".join(_lexeme(w) + (":*" if i == last and t.prefix else "") for i, w in enumerate(t.words))


def name_vector(name: str) -> str:
    """An author name's folded words as a ``tsvector`` literal."""
    return " ".join(_lexeme(w) for w in dict.fromkeys(word_tokens(name)) if len(w) <= _MAX_WORD)


def words_query(prefixes: Sequence[str]) -> str | None:
    """A ``tsquery`` literal: every word as a prefix (all ANDed)."""
    return " & ".join(_lexeme(w) + ":*" for w in prefixes if w) or None


def term_query(t: Term, *, title_only: bool = False) -> str:
    """The :mod:`bot.matching` rule for a Latin term as a ``tsquery``: its words in sequence in
    the title or summaries (the last a prefix unless whole), or whole words of an author name."""
    where = "A" if title_only else "AC"
    last = len(t.words) - 1
    text = " <-> ".join(_lexeme(w) + ":" + ("*" if i == last and t.prefix else "") + where
                        for i, w in enumerate(t.words))
    if title_only or not t.authors:
        return f"({text})"
    return f"(({text}) | ({' <-> '.join(_lexeme(w) + ':B' for w in t.words)}))"


def search_doc(paper: Paper, body: str | None = None) -> tuple[str, str, str]:
    """(title, summaries, both) as Korean search reads them: folded, spacing removed, lines ended
    (``body``: the summaries to index, by default the paper's own text)."""
    title = korean_index_text(paper.title)
    summaries = korean_index_text(search_body(paper) if body is None else body)
    return title, summaries, title + summaries


def schedule(row: Sequence[Any]) -> Schedule:
    return Schedule(
        platform=row[0],
        channel=row[1],
        workspace=row[2],
        time=dt.time.fromisoformat(row[3]),
        timezone=row[4],
        weekdays=tuple(int(d) for d in row[5].split(",") if d),
        top_n=row[6],
        min_votes=row[7],
        enabled=row[8],
        set_by=row[9],
        quiet=row[10],
        since=row[11],
    )


def subscription(row: Sequence[Any]) -> Subscription:
    return Subscription(row[0], row[1], row[2], TopicKind(row[3]), row[4], row[5], row[6], row[7])
