"""Hypothesis strategies for digests in canonical form (what parse(render(d)) must return)."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from bot.digest_markdown import squash
from bot.models import Digest, Paper

KOREAN = "가나다라마바사아자차카타파하추론모델학습세그멘테이션은는이가을를에서의"
HOSTILE = ["@everyone", "@here", "<!channel>", "<!everyone>", "<@U123>", "<https://evil.example|click>", "**", "__",
           "`", "~~", "|", "]", "[", "*", "_", "\\", "&amp;", "<", ">", "&", "||spoiler||", "<@&123>", "<#C1>"]
_alphabet = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789 .,;:!?()-'\"/%+=#") + list(KOREAN))
_words = st.lists(st.one_of(st.text(_alphabet, min_size=1, max_size=12), st.sampled_from(HOSTILE)), max_size=30)


def _clean(text: str) -> str:
    return squash(text)


def line_text(min_size: int = 1, max_size: int = 30) -> st.SearchStrategy[str]:
    return (
        st.lists(st.one_of(st.text(_alphabet, min_size=1, max_size=12), st.sampled_from(HOSTILE)),
                 min_size=min_size, max_size=max_size)
        .map(lambda ws: _clean(" ".join(ws)))
        .filter(lambda s: len(s) >= min_size)
    )


def long_text(max_chars: int) -> st.SearchStrategy[str]:
    """Summary text up to ``max_chars`` characters, Korean and English sentences."""
    sentence = line_text(1, 25).map(lambda s: s + ".")
    return st.lists(sentence, max_size=max(1, max_chars // 60)).map(lambda ss: _clean(" ".join(ss))[:max_chars].strip())


arxiv_ids = st.builds(lambda a, b: f"{a:04d}.{b:05d}", st.integers(1000, 2999), st.integers(0, 99999))
author_names = (
    st.text(st.sampled_from(list("abcdefghijklmnopqrstuvwxyzéáüøß김이박최정 -.'")), min_size=1, max_size=20)
    .map(_clean)
    .filter(bool)
)
section_names = st.one_of(
    st.sampled_from(["What's New", "Technical Details", "Performance Highlights"]),
    st.text(st.sampled_from(list("abcdefgh XYZ요약'")), min_size=1, max_size=20).map(_clean).filter(bool),
)


@st.composite
def papers(draw: st.DrawFn, arxiv_id: str | None = None, max_section: int = 600) -> Paper:
    pid = arxiv_id or draw(arxiv_ids)
    title = draw(line_text(1, 12).filter(lambda t: not t.startswith("[") or "](" not in t))
    thumb = draw(st.sampled_from([None, f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{pid}.png",
                                  "https://huggingface.co/avatars/05abee0b6317f100923936ca2099e9eb.svg"]))
    names = draw(st.lists(section_names, max_size=4, unique=True))
    sections = tuple((n, draw(long_text(max_section))) for n in names)
    return Paper(
        arxiv_id=pid,
        url=f"https://arxiv.org/abs/{pid}",
        title=title,
        thumbnail=thumb,
        votes=draw(st.one_of(st.none(), st.integers(0, 5000))),
        authors=tuple(draw(st.lists(author_names, max_size=12))),
        sections=sections,
        links=tuple(draw(st.lists(st.tuples(st.sampled_from(["Code", "Project page"]),
                                            st.just("https://github.com/org/repo")), max_size=2, unique=True))),
    )


@st.composite
def digests(draw: st.DrawFn, max_papers: int = 12, max_section: int = 600) -> Digest:
    ids = draw(st.lists(arxiv_ids, max_size=max_papers, unique=True))
    day = draw(st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2027, 12, 31)))
    return Digest(day, tuple(draw(papers(i, max_section)) for i in ids))
