"""A keyword query as PostgreSQL reads it: a ``tsquery`` over a paper's terms and the checks it can't make.

A paper's terms (``paperbot_terms``, indexed by ``papers_terms``: migration 0013) are plain lexemes,
no weights or positions, so the GIN index answers a query of them alone, without reading the rows:
the words of titles and summaries (bare), of author names (:data:`AUTHOR`), of titles
(:data:`TITLE`), every two characters of the Korean search text (:data:`PAIR`) and of the title's
(:data:`TITLE_PAIR`), word prefixes (:data:`PREFIX`), and the paper's id bucket, which
``paperbot_newest`` (migration 0013) names to read the newest papers first.

What a term matches is :mod:`bot.matching`'s rule, as in SQLite:

- a Korean term (``chars``) of two characters: its pair, exactly; longer: every pair of it, then
  a substring check of ``ko`` (texts folded, whitespace removed: :func:`korean_index_text`);
- a Latin term (``words``): its words, the last any word it starts (a prefix lexeme of 2-16
  characters, else the words of ``search_words`` it starts), or whole words of an author name;
  a term of several words is then checked for order and fields on ``words`` (title weighted A,
  authors B, summaries C).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.matching import Term
from bot.store import QueryError
from storage import fts
from storage.postgres.rows import pair_query, term_query

AUTHOR, TITLE, PAIR, TITLE_PAIR = "\ue011", "\ue012", "\ue013", "\ue014"
PREFIX, TITLE_PREFIX = "\ue015", "\ue016"
PREFIXES = range(2, 17)  # the lengths of the word prefixes a paper's terms hold (migration 0013)
MAX_EXPANSION = 64  # a prefix starting more words than this is left to the index's prefix scan


def lexeme(text: str) -> str:
    """``text`` as one quoted ``tsquery`` lexeme."""
    return pair_query(text)


def prefixes(parsed: fts.KeywordQuery) -> list[str]:
    """The word prefixes of a query the terms have no lexeme for: ``search_words`` expands them."""
    return list(dict.fromkeys(t.words[-1] for t in parsed.latin if t.words and t.prefix
                              and len(t.words[-1]) not in PREFIXES))


class Condition:
    """Papers matching every term: ``index``, a ``tsquery`` over their terms; then what the index can't
    tell: ``subs``, substrings the Korean text must hold, and ``phrase``, a ``tsquery`` over ``words``
    (the title's ``title_words`` and ``ko_title`` for title hits) — ``paperbot_newest``'s arguments."""

    def __init__(self, parsed: fts.KeywordQuery, words: Mapping[str, list[str] | None], *, title_only: bool) -> None:
        self.subs: list[str] | None = None
        self.phrase: str | None = None
        parts = [self._korean(t, title_only) for t in parsed.korean]
        parts += [self._latin(t, words, title_only) for t in parsed.latin if t.words]
        if not parts:
            raise QueryError("Type something to search for, e.g. `추론` or `diffusion`.")
        self.index = " & ".join(parts)

    def _korean(self, t: Term, title_only: bool) -> str:
        mark = TITLE_PAIR if title_only else PAIR
        chars = t.chars
        pairs = dict.fromkeys(chars[i : i + 2] for i in range(len(chars) - 1))
        if len(chars) > 2:  # every pair narrows, the substring decides
            self.subs = [*(self.subs or []), chars]
        return "(" + " & ".join(lexeme(mark + p) for p in pairs) + ")"

    def _latin(self, t: Term, words: Mapping[str, list[str] | None], title_only: bool) -> str:
        mark = TITLE if title_only else ""
        *whole, last = t.words
        if not t.prefix:
            ends = lexeme(mark + last)
        elif len(last) in PREFIXES:
            ends = lexeme((TITLE_PREFIX if title_only else PREFIX) + last)
        elif (found := words.get(last)) is None:  # too many words to name: the index's prefix scan
            ends = lexeme(mark + last) + ":*"
        else:
            ends = "(" + " | ".join([lexeme(mark + w) for w in found] or [lexeme(mark + last)]) + ")"
        text = "(" + " & ".join([*(lexeme(mark + w) for w in whole), ends]) + ")"
        if len(t.words) > 1:  # the words in sequence, in the right fields
            phrase = term_query(t, title_only=title_only)
            self.phrase = phrase if self.phrase is None else f"{self.phrase} & {phrase}"
        if title_only or not t.authors:
            return text
        return f"({text} | ({' & '.join(lexeme(AUTHOR + w) for w in t.words)}))"


def expansions(rows: Iterable[tuple[str, list[str]]]) -> dict[str, list[str] | None]:
    """Prefix → the words it starts (``None``: more than :data:`MAX_EXPANSION`), from
    :data:`SEARCH_WORDS_SQL`'s rows."""
    return {p: (None if len(found) > MAX_EXPANSION else list(found)) for p, found in rows}


SEARCH_WORDS_SQL = (
    "SELECT p, ARRAY(SELECT w.word FROM search_words w WHERE w.word >= p AND w.word < p || U&'\\+10FFFF'"
    f" ORDER BY w.word LIMIT {MAX_EXPANSION + 1}) FROM unnest($1::text[]) p"
)
