"""Does a term match a paper? The one place for that rule — search and alerts both use it.

A term is what a subscription names, or one term of a search query (a quoted phrase, a
Latin word, or a run of Korean words). Terms and texts are folded first (case and accents
ignored, :func:`bot.text.fold`).

- **Korean (any term with a non-ASCII character), two characters or more**: a substring of
  the title or of a summary line, **spacing ignored** — ``강화학습`` and ``강화 학습`` are
  the same term, and ``추론`` matches ``수학적추론을``. A match never spans two lines
  (or the title and a summary).
- **Latin words** (an ASCII term): its words in order, each a whole word except the last,
  which only has to start a word — ``transformer`` matches "Transformers", ``RAG`` does not
  match "fragment", ``"diffusion model"`` matches "diffusion models" and "diffusion-model".
  In **author names** the words must be whole: ``Wang`` matches "Yu Wang", ``RAG`` does not
  match "Raghav". A term ending in a mark ends with a whole word (``100%`` does not match
  "1000"), and so does a quoted search phrase (``term(text, whole=True)``).
- **One non-ASCII character** (``뷰``): the start of a word in the title or a summary.
- A term of marks only (``[/]``, ``_%_``) is compared as characters, like a Korean term.
- An **author subscription** matches an author whose name contains all its words
  (``author:"Yu Wang"`` matches "Yu Wang", ``author:Ning`` matches "Xuefei Ning").

Search asks SQLite FTS5 the same question (:mod:`storage.fts` builds the queries from
:func:`term`); alerts ask :func:`keyword_matcher`. ``tests/bot/test_alerts.py`` checks both
answer alike on a table of cases.

Alerts match many terms at once with :class:`TermAutomaton`: each term's rule as substrings
(:func:`needles`) of one string per paper (:func:`haystack`), all terms in one Aho–Corasick
automaton, so a paper is read once whatever the number of terms; ``tests/bot/test_term_automaton.py``
checks it finds exactly what :func:`keyword_matcher` says. (Each subscription also carries an
index *gram* of its term, :func:`index_gram_candidates`; the alert run no longer reads it.)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.models import Paper
from bot.text import fold, word_tokens

GRAM = 3
#: separates the parts of :func:`paper_text`, and the lines of its squashed part (private use)
PART = "\ue00e"
LINE = "\ue00f"
#: characters a term may not carry (our separators, control characters)
_NOT_TERM = re.compile(r"[\x00-\x08\x0e-\x1b\ue000-\ue0ff]")
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class Term:
    """A folded term and how it matches (see the module's rule)."""

    key: str  # folded
    kind: str  # "chars" (Korean: spacing-free substring) or "words" (word sequence, last word a prefix)
    chars: str = ""  # "chars": the term without spaces
    words: tuple[str, ...] = ()  # "words": its words
    authors: bool = False  # "words": also matches whole words of author names (Latin terms)
    prefix: bool = True  # "words": the last word may be the start of a longer word


def squash(text: str) -> str:
    """``text`` folded, without any whitespace: what a Korean term is compared as."""
    return fold(text).replace(" ", "")


def term(text: str, *, whole: bool = False) -> Term:
    """The rule for one term (a subscription's whole text, or one search term); ``whole``: its
    last word must be whole too (a quoted search phrase). A term ending in a mark (``100%``)
    ends with a whole word."""
    key = fold(_NOT_TERM.sub("", text))
    prefix = not whole and bool(key) and (key[-1].isalnum())
    if key.isascii() and (any(ch.isalnum() for ch in key) or len(key.replace(" ", "")) < 2):
        return Term(key, "words", words=tuple(word_tokens(key)), authors=True, prefix=prefix)
    chars = key.replace(" ", "")
    if len(chars) >= 2:
        return Term(key, "chars", chars=chars)
    return Term(key, "words", words=tuple(word_tokens(key)), prefix=prefix)


# -- papers as texts ------------------------------------------------------------------------
def paper_text(paper: Paper) -> str:
    """A paper as the rule reads it: the folded title and summaries, the same squashed line by
    line, and the authors' words. Compute once per paper; pass to the matchers."""
    body = "\n".join(text for _, text in paper.sections)  # as the search indexes it
    # each line folded once: fold(text) is its lines' folds joined by a space (a fold never spans a line)
    title_lines = [fold(line) for line in paper.title.split("\n")]
    body_lines = [fold(line) for line in body.split("\n")]
    spaced = " ".join(f for f in title_lines if f) + LINE + " ".join(f for f in body_lines if f)
    squashed = LINE.join(f.replace(" ", "") for f in (*title_lines, *body_lines))  # squash() of each line
    authors = " ".join(word_tokens(", ".join(paper.authors)))
    return PART.join((spaced, squashed, authors))


@functools.lru_cache(maxsize=4096)
def _parts(text: str) -> tuple[str, str, str]:
    spaced, squashed, authors = [*text.split(PART), "", "", ""][:3]
    return spaced, squashed, f" {authors} "


def keyword_grams(term_key: str) -> list[str]:
    """Grams that may index a keyword: a Korean term's spacing-free trigrams (or itself when
    shorter), a Latin term's words' trigrams (or the word when shorter)."""
    t = term(term_key)
    if t.kind == "chars":
        pieces = [t.chars]
    else:
        pieces = list(t.words) or [t.key]
    grams: list[str] = []
    for piece in pieces:
        if len(piece) <= GRAM:
            grams.append(piece)
        else:
            grams.extend(piece[i : i + GRAM] for i in range(len(piece) - GRAM + 1))
    return list(dict.fromkeys(grams))


def author_grams(term_key: str) -> list[str]:
    return list(dict.fromkeys(word_tokens(term_key)))


def paper_author_tokens(paper: Paper) -> list[set[str]]:
    return [set(word_tokens(a)) for a in paper.authors]


# -- the rule ------------------------------------------------------------------------------
def words_pattern(words: Iterable[str], *, prefix: bool = True) -> str:
    """A regex for words in order, the first starting a word, all but the last whole (the last
    too unless ``prefix``), over folded text (``_`` and punctuation separate words, as in
    FTS5's ``unicode61``)."""
    pattern = r"(?<![^\W_])" + r"(?:[^\w\ue00f]|_)+".join(re.escape(w) for w in words)
    return pattern if prefix else pattern + r"(?![^\W_])"


def keyword_matcher(term_key: str) -> Callable[[str], bool]:
    """The keyword rule for one term, compiled once, over :func:`paper_text` texts."""
    t = term(term_key)
    if t.kind == "chars":
        chars = t.chars
        return lambda text: chars in _parts(text)[1]
    if not t.words:
        return lambda text: False
    in_text = re.compile(words_pattern(t.words, prefix=t.prefix)).search
    if not t.authors:
        return lambda text: in_text(_parts(text)[0]) is not None
    whole = " " + " ".join(t.words) + " "

    def check(text: str) -> bool:
        spaced, _, authors = _parts(text)
        return whole in authors or in_text(spaced) is not None

    return check


def keyword_matches(term_key: str, text: str) -> bool:
    return bool(keyword_matcher(term_key)(text))


def author_matcher(term_key: str) -> Callable[[Iterable[set[str]]], bool]:
    """The author rule for one term, its words folded once."""
    words = set(word_tokens(term_key))
    return lambda authors: bool(words) and any(words <= tokens for tokens in authors)


def author_matches(term_key: str, authors: Iterable[set[str]]) -> bool:
    return author_matcher(term_key)(authors)


# -- highlighting --------------------------------------------------------------------------
def highlighter(terms: Iterable[Term]) -> re.Pattern[str] | None:
    """One regex finding the terms' matches in *unfolded* text (case ignored; a Korean term
    with optional whitespace between its characters), for snippets."""
    alternatives: list[str] = []
    for t in terms:
        if t.kind == "chars":
            alternatives.append(r"\s*".join(re.escape(c) for c in t.chars))
        elif t.words:
            alternatives.append(words_pattern(t.words, prefix=t.prefix) + r"[^\W_]*")
    if not alternatives:
        return None
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE)


def index_gram_candidates(kind: str, key: str) -> list[str]:
    """The grams a subscription (``kind``, folded ``key``) may be indexed by: one for an author, a
    keyword's grams otherwise; a store picks the rarest among several (:func:`rarest_gram`)."""
    if kind == "author":
        words = author_grams(key)
        return [words[0] if words else key]
    return keyword_grams(key)


def rarest_gram(grams: list[str], papers_with: dict[str, int]) -> str:
    """The gram in the fewest papers (one no paper has yet is the rarest of all)."""
    return min(grams, key=lambda g: papers_with.get(g, 0))



# -- many terms at once --------------------------------------------------------------------
#: the sections of :func:`haystack`, in order
SQUASHED, WORDS, AUTHORS = 0, 1, 2


def haystack(text: str) -> str:
    """A :func:`paper_text` as :class:`TermAutomaton` reads it, three sections joined by ``PART``:
    the squashed lines (Korean terms), each part's words as ``" word word … "`` (parts joined by
    ``LINE``), and the authors' words as ``" word word … "``."""
    spaced, squashed, authors = _parts(text)
    words = LINE.join(" " + " ".join(_WORD.findall(part)) + " " for part in spaced.split(LINE))
    return PART.join((squashed, words, authors))


def needles(term_key: str) -> list[tuple[int, str]]:
    """:func:`keyword_matcher`'s rule for one term as substrings of a :func:`haystack` section:
    a Korean term is its spacing-free characters in the squashed lines; a word sequence is a run
    of whole words (the last only a word start unless whole), or for a Latin term also whole
    words of the author names. The term matches a paper exactly when one needle is in its section
    (``tests/bot/test_term_automaton.py`` checks both agree). No needle: it matches nothing."""
    t = term(term_key)
    if t.kind == "chars":
        return [(SQUASHED, t.chars)]
    if not t.words:
        return []
    joined = " " + " ".join(t.words)
    out = [(WORDS, joined if t.prefix else joined + " ")]
    if t.authors:
        out.append((AUTHORS, joined + " "))
    return out


class TermAutomaton:
    """Every keyword term's needles in one Aho–Corasick automaton (``pyahocorasick``): one pass
    over a paper's :func:`haystack` finds all the terms it matches, however many there are."""

    def __init__(self, term_keys: Iterable[str]) -> None:
        import ahocorasick  # C extension: imported where used

        by_needle: dict[str, list[tuple[int, str]]] = {}
        for key in dict.fromkeys(term_keys):
            for section, needle in needles(key):
                by_needle.setdefault(needle, []).append((section, key))
        self._automaton = ahocorasick.Automaton()
        for needle, entries in by_needle.items():
            self._automaton.add_word(needle, tuple(entries))
        self.empty = not by_needle
        if not self.empty:
            self._automaton.make_automaton()

    def matches(self, hay: str) -> set[str]:
        """The term keys matching the paper whose :func:`haystack` this is."""
        found: set[str] = set()
        if self.empty:
            return found
        words_at = hay.index(PART)
        authors_at = hay.index(PART, words_at + 1)
        for end, entries in self._automaton.iter(hay):
            section = SQUASHED if end < words_at else WORDS if end < authors_at else AUTHORS
            for wanted, key in entries:
                if wanted == section:
                    found.add(key)
        return found
