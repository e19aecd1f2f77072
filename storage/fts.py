"""User text → FTS5 query strings. The only place user text meets FTS syntax.

Every term is quoted as an FTS5 string (``"…"`` with ``"`` doubled), so operators such as
``AND``, ``NEAR``, ``*``, ``^`` or parentheses typed by a user are just text. What a term
matches is :mod:`bot.matching`'s rule; this module only writes it in FTS5's language:

- Korean terms (``chars``) go to ``papers_ko`` (trigrams of the title and summaries with
  whitespace removed): a phrase of three characters or more, or, for two characters, any of
  the index's trigrams that start with them (``추론`` → ``"추론은" OR "추론을" OR …``; every
  line ends with a separator character, so a term at a line's end has its trigram too).
- Latin words (``words``) go to ``papers_words`` (``unicode61``): the words as a phrase, the
  last as a prefix, in the title and summaries; whole words in the authors (a column filter,
  only when an author word extends the term: it makes FTS5 read positions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.matching import LINE, Term, squash, term
from bot.store import QueryError
from bot.text import word_tokens

MAX_QUERY_CHARS = 200
MAX_TERMS = 16
#: a trigram no text holds: what a two-character term with no trigram in the index matches
NEVER = "\ue00d\ue00d\ue00d"

_TERMS = re.compile(r'"([^"]*)"|(\S+)')


def korean_index_text(text: str | None) -> str:
    """A title or body as ``papers_ko`` indexes it: :func:`bot.matching.squash` line by line, each
    line ended by :data:`bot.matching.LINE` (so a term at a line's end still has a trigram)."""
    return "".join(squash(line) + LINE for line in (text or "").split("\n"))


def quote(text: str) -> str:
    """``text`` as one FTS5 string token."""
    return '"' + text.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class KeywordQuery:
    """A parsed keyword query: every term must match (see :mod:`bot.matching`)."""

    terms: tuple[Term, ...]

    @property
    def korean(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.kind == "chars")

    @property
    def latin(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.kind == "words")

    # the earlier split (Korean words, not runs), for stores that match terms another way (storage/postgres)
    def _korean_words(self) -> list[str]:
        return [w for t in self.korean for w in t.key.split()]

    @property
    def long_terms(self) -> tuple[str, ...]:
        """Korean words (and marks) of three characters or more, folded."""
        return tuple(w for w in self._korean_words() if len(w) >= 3)

    @property
    def short_terms(self) -> tuple[str, ...]:
        """Single Latin words and Korean words of one or two characters, matched as word prefixes there."""
        return tuple([w for w in self._korean_words() if len(w) < 3]
                     + [t.words[0] for t in self.latin if len(t.words) == 1 and t.prefix])

    @property
    def phrases(self) -> tuple[str, ...]:
        """Latin terms of several words, or of whole words."""
        return tuple(" ".join(t.words) for t in self.latin if t.words and (len(t.words) > 1 or not t.prefix))

    def short_korean(self) -> tuple[str, ...]:
        """Two-character Korean terms: their trigrams are looked up in ``papers_ko_vocab``."""
        return tuple(dict.fromkeys(t.chars for t in self.korean if len(t.chars) < 3))

    def korean_match(self, trigrams: dict[str, list[str]], *, title_only: bool = False) -> str | None:
        """The ``papers_ko`` expression; ``trigrams`` maps each two-character term to the
        index's trigrams starting with it."""
        parts = []
        for t in self.korean:
            if len(t.chars) >= 3:
                parts.append(quote(t.chars))
            else:
                found = trigrams.get(t.chars) or [NEVER]
                parts.append("(" + " OR ".join(quote(g) for g in found) + ")")
        if not parts:
            return None
        expr = " AND ".join(parts)
        return "{title}: (" + expr + ")" if title_only else expr

    def words_match(self, *, title_only: bool = False, filtered: frozenset[Term] = frozenset()) -> str | None:
        """The ``papers_words`` expression. A term in ``filtered`` is kept out of author names
        by column filters (slower: FTS5 then reads positions); other terms need no filter,
        since no author word could change their answer (see :func:`needs_filter`)."""
        parts = []
        for t in self.latin:
            phrase = quote(" ".join(t.words))
            start = phrase + ("*" if t.prefix else "")
            if title_only:
                parts.append("{title}: " + start)
            elif t not in filtered:
                parts.append(start)
            elif t.authors:
                parts.append("({title body}: " + start + ") OR ({authors}: " + phrase + ")")
            else:
                parts.append("{title body}: " + start)
        return " AND ".join(f"({p})" for p in parts) or None


def needs_filter(t: Term, author_words: list[str]) -> bool:
    """Whether ``t`` matched over all columns could match an author name unlike the rule:
    ``author_words`` are the author index's words from ``t``'s last word on (two suffice)."""
    last = t.words[-1]
    if t.prefix:
        return any(w != last for w in author_words if w.startswith(last)) or (
            not t.authors and last in author_words)
    return not t.authors and last in author_words


def prefix_range(prefix: str) -> tuple[str, str]:
    """``fts5vocab`` bounds for the terms starting with ``prefix``."""
    return prefix, prefix + "\U0010ffff"


def keyword_query(text: str) -> KeywordQuery:
    """A user's query as terms: a ``"quoted phrase"`` is one term, a run of unquoted Korean
    words is one term (spacing is ignored: ``강화 학습`` = ``강화학습``), every other word is
    its own term.

    Raises :class:`QueryError` with a message for the user when nothing is searchable.
    """
    text = text.strip()
    if not text:
        raise QueryError("Type something to search for, e.g. `추론` or `diffusion`.")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"That query is too long ({len(text)} characters); keep it under {MAX_QUERY_CHARS}.")
    pieces: list[tuple[str, bool]] = []  # (text, quoted)
    korean_run: list[str] = []
    for match in _TERMS.finditer(text):
        quoted, word = match.group(1), match.group(2)
        if word is not None and not word.isascii():
            korean_run.append(word)
            continue
        if korean_run:
            pieces.append((" ".join(korean_run), False))
            korean_run = []
        pieces.append((quoted, True) if quoted is not None else (word, False))
    if korean_run:
        pieces.append((" ".join(korean_run), False))
    terms: dict[tuple[str, str, tuple[str, ...], bool], Term] = {}
    for piece, quoted in pieces:
        if not piece.strip():
            continue
        t = term(piece, whole=quoted)
        if not (t.words or t.chars):
            continue  # nothing to match (`^`)
        terms.setdefault((t.kind, t.chars, t.words, t.prefix), t)
    if not terms:
        raise QueryError(f"Nothing to search for in {text!r}: try a word, e.g. `추론` or `LLM`.")
    if len(terms) > MAX_TERMS:
        raise QueryError(f"That query has {len(terms)} terms; use at most {MAX_TERMS}.")
    return KeywordQuery(tuple(terms.values()))


def author_query(name: str) -> tuple[str, list[str]]:
    """An FTS5 expression matching author names by word prefixes, and the folded words."""
    words = word_tokens(name)
    if not name.strip():
        raise QueryError("Type an author's name, e.g. `Juanzi Li` or just `Ning`.")
    if not words:
        raise QueryError(f"No name to look up in {name!r}: try letters, e.g. `Juanzi Li`.")
    words = words[:8]
    return " AND ".join(quote(w) + "*" for w in words), words
