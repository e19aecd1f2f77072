"""The alert automaton (bot.matching.TermAutomaton) finds exactly the terms the one matching rule says."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import matching
from bot.models import Paper
from bot.text import fold
from tests.bot.test_alert_run import PAPERS, TERMS

#: more examples than the project's profiles: these are the proof that a faster path changed no match
EXAMPLES = 300


def by_rule(keys: list[str], paper: Paper) -> set[str]:
    text = matching.paper_text(paper)
    return {key for key in keys if matching.keyword_matcher(key)(text)}


def by_automaton(keys: list[str], paper: Paper) -> set[str]:
    return matching.TermAutomaton(keys).matches(matching.haystack(matching.paper_text(paper)))


def test_the_tricky_terms_match_as_the_rule_says():
    keys = [fold(t) for t in TERMS]
    for paper in PAPERS:
        assert by_automaton(keys, paper) == by_rule(keys, paper), paper.arxiv_id
    # and the table is not trivially empty: words, Korean substrings and author names all hit
    assert by_automaton(keys, PAPERS[0]) >= {"추론", "수학적 추론", "강화 학습", "rag", "raghav", "wang", "yu wang",
                                              "step-dpo", "dpo"}
    assert "wan" not in by_automaton(keys, PAPERS[0])  # an author's word is whole


#: characters where the rule's edges are: Korean syllables, Latin letters and digits, separators, marks
ALPHABET = "추론강화학습뷰 abcRAGxyz019-_%+.()\n"
texts = st.text(alphabet=ALPHABET, max_size=40)
terms = st.text(alphabet=ALPHABET.replace("\n", ""), min_size=1, max_size=6)


@settings(max_examples=EXAMPLES)
@given(title=texts, body=texts, more=texts, authors=st.lists(st.text(alphabet="abcRAGxyz -", max_size=12), max_size=3),
       raw=st.lists(terms, max_size=6), data=st.data())
def test_any_terms_match_as_the_rule_says(title, body, more, authors, raw, data):
    paper = Paper("2407.00001", "https://arxiv.org/abs/2407.00001", title, authors=tuple(authors),
                  sections=(("What's New", body), ("Results", more)))
    # most terms cut from the paper itself (with a mark or a letter added now and then), so that
    # near misses are common: a word cut short, a term across a line or a part, a trailing mark
    for source in (title, body, more, " ".join(authors)) * 2:
        start = data.draw(st.integers(0, len(source)))
        cut = source[start : start + data.draw(st.integers(1, 8))] + data.draw(st.sampled_from(("", "", "%", "a", " ")))
        raw.append(cut)
    keys = list(dict.fromkeys(fold(t) for t in raw))
    assert by_automaton(keys, paper) == by_rule(keys, paper)


def test_a_term_ending_in_a_mark_ends_with_a_whole_word():
    paper = Paper("2407.00001", "https://arxiv.org/abs/2407.00001", "1000B tokens", authors=("Yu Wang",))
    assert by_automaton(["100%", "1000", "wang yu", "yu wang"], paper) == {"1000", "yu wang"}


def test_no_terms_match_nothing():
    assert by_automaton([], PAPERS[0]) == set()
    assert by_automaton(["", "  ", "[/]"], PAPERS[0]) == by_rule(["", "  ", "[/]"], PAPERS[0]) == set()


names = st.lists(st.sampled_from(("Yu", "Wang", "Li", "Wei", "Kumar", "Raghav", "김철수", "José")), max_size=4)


@settings(max_examples=EXAMPLES)
@given(authors=st.lists(names, max_size=4), raw=st.lists(names, max_size=6))
def test_author_terms_match_as_the_rule_says(authors, raw):
    from bot.alert_match import match_papers

    paper = Paper("2407.00001", "https://arxiv.org/abs/2407.00001", "t", authors=tuple(" ".join(a) for a in authors))
    keys = list(dict.fromkeys(fold(" ".join(words)) for words in raw))
    tokens = matching.paper_author_tokens(paper)
    expected = {("author", key): ("2407.00001",) for key in keys if matching.author_matcher(key)(tokens)}
    assert match_papers([paper], [("author", key) for key in keys]) == expected


def paper_text_by_definition(paper: Paper) -> str:
    """:func:`bot.matching.paper_text` as first written: the whole title and body folded, then each line squashed."""
    body = "\n".join(text for _, text in paper.sections)
    spaced = fold(paper.title) + matching.LINE + fold(body)
    squashed = matching.LINE.join(matching.squash(line) for line in (*paper.title.split("\n"), *body.split("\n")))
    authors = " ".join(matching.word_tokens(", ".join(paper.authors)))
    return matching.PART.join((spaced, squashed, authors))


#: whitespace of every kind, combining marks, letters that fold (ß, Å, ﬁ), Hangul, and ASCII
MIXED = st.text(alphabet="ab Z\n\t\r\u00a0\u2028\u3000\u0301\u0308ßÅﬁé한국 어,.-_", max_size=30)


@settings(max_examples=EXAMPLES)
@given(title=MIXED, body=MIXED, more=MIXED)
def test_paper_text_folds_each_line_once_with_the_same_result(title, body, more):
    paper = Paper("2407.00001", "https://arxiv.org/abs/2407.00001", title, authors=("José Hernández",),
                  sections=(("What's New", body), ("Results", more)))
    assert matching.paper_text(paper) == paper_text_by_definition(paper)
