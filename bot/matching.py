"""When does a paper match a subscription? The one place for that rule.

- A keyword or phrase matches the paper's title and summaries, case- and
  accent-insensitively. Korean has no word boundaries worth trusting (``추론은``), so a
  term with any non-ASCII letter matches anywhere; an ASCII term must start at a word
  boundary, so ``RAG`` does not match "fragment" but ``transformer`` matches
  "Transformers".
- An author subscription matches an author whose name contains all its words
  (``author:"Yu Wang"`` matches "Yu Wang", ``author:Ning`` matches "Xuefei Ning").

Each subscription is indexed by one *gram* of its term, so candidates for a batch of new
papers are found with one lookup per distinct gram of those papers; only candidates are
verified with the rule above.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from bot.models import Paper
from bot.text import fold, word_tokens

GRAM = 3


def keyword_grams(term_key: str) -> list[str]:
    """Grams that may index a keyword: its trigrams, or the term itself when shorter."""
    if len(term_key) < GRAM:
        return [term_key]
    return list(dict.fromkeys(term_key[i : i + GRAM] for i in range(len(term_key) - GRAM + 1)))


def author_grams(term_key: str) -> list[str]:
    return list(dict.fromkeys(word_tokens(term_key)))


def paper_text(paper: Paper) -> str:
    return fold(" ".join([paper.title, *(text for _, text in paper.sections)]))


def text_grams(text: str) -> set[str]:
    """Every substring of 1 to 3 characters: what any keyword's index gram can be."""
    grams: set[str] = set()
    for size in (1, 2, GRAM):
        grams.update(text[i : i + size] for i in range(len(text) - size + 1))
    return grams


def paper_author_tokens(paper: Paper) -> list[set[str]]:
    return [set(word_tokens(a)) for a in paper.authors]


def keyword_matcher(term_key: str) -> Callable[[str], bool]:
    """The keyword rule for one term, compiled once (a batch checks many texts per term)."""
    if not term_key:
        return lambda text: False
    if term_key.isascii():
        return re.compile(r"(?<![0-9a-z])" + re.escape(term_key)).search  # type: ignore[return-value]
    return lambda text: term_key in text


def keyword_matches(term_key: str, text: str) -> bool:
    return bool(keyword_matcher(term_key)(text))


def author_matcher(term_key: str) -> Callable[[Iterable[set[str]]], bool]:
    """The author rule for one term, its words folded once."""
    words = set(word_tokens(term_key))
    return lambda authors: bool(words) and any(words <= tokens for tokens in authors)


def author_matches(term_key: str, authors: Iterable[set[str]]) -> bool:
    return author_matcher(term_key)(authors)
