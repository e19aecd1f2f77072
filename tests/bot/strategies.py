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
        authors=tuple(draw(st.lists(author_names, max_size=12, unique=True))),
        sections=sections,
        links=tuple(draw(st.lists(st.tuples(st.sampled_from(["Code", "Project page"]),
                                            st.just("https://github.com/org/repo")), max_size=2, unique=True))),
    )


@st.composite
def digests(draw: st.DrawFn, max_papers: int = 12, max_section: int = 600) -> Digest:
    ids = draw(st.lists(arxiv_ids, max_size=max_papers, unique=True))
    day = draw(st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2027, 12, 31)))
    return Digest(day, tuple(draw(papers(i, max_section)) for i in ids))


SENTENCES = [
    "수학적 추론은 대형 언어 모델(LLMs)에서 중요한 장기 추론 능력으로 인식되고 있습니다.",
    "Step-DPO treats each intermediate reasoning step as a unit for preference optimization.",
    "이 모델은 <!channel> 시각 세그멘테이션 결과를 더 잘 인코딩합니다 @everyone.",
    "Contact <@U123> or <https://evil.example|click here> & see *bold* _it_ ~strike~ `code`.",
    "긴문장" * 40 + ".",
    "A_very_long_token_without_spaces_" * 20,
]
HOSTILE_TITLES = [
    "@everyone look: *bold* _it_ ~~strike~~ `code` | pipe ] bracket",
    "<!channel> <!everyone> <@U123> <https://evil.example|label> & < >",
    "[Fake](https://evil.example) **Step-DPO**: ||spoiler|| > quote",
    "추론 모델 " * 40,
    "Plain title",
]


@st.composite
def hostile_digests(draw: st.DrawFn, max_papers: int = 200) -> Digest:
    """Big, adversarial digests cheaply: 0-``max_papers`` papers, sections up to 20,000 characters."""
    count = draw(st.integers(0, max_papers))
    lengths = st.sampled_from([0, 40, 1000, 1025, 3001, 6000, 20000])
    papers_ = []
    for i in range(count):
        pid = f"2406.{i:05d}"
        title = draw(st.sampled_from(HOSTILE_TITLES)).strip() + f" #{i}"
        n_sections = draw(st.integers(0, 4))
        sections = []
        for s in range(n_sections):
            length = draw(lengths)
            text = squash((" ".join(SENTENCES[(i + s + k) % len(SENTENCES)] for k in range(length // 60 + 1)))[:length])
            sections.append((f"Section {s} *{s}*", text or "짧음."))
        authors = tuple(draw(st.sampled_from(["Xuefei Ning", "@here", "<@U999>", "José Hernández-Orallo", "김철수"]))
                        for _ in range(draw(st.integers(0, 30))))
        papers_.append(Paper(pid, f"https://arxiv.org/abs/{pid}", title,
                             draw(st.sampled_from([None, f"https://cdn.example/{pid}.png", "https://h.co/a.svg"])),
                             draw(st.one_of(st.none(), st.integers(0, 10**6))), authors, tuple(sections)))
    return Digest(dt.date(2024, 6, 28), tuple(papers_))


def stored(digest: Digest):
    from bot.store import StoredDigest, StoredPaper

    return StoredDigest(digest.date, tuple(StoredPaper(p, (digest.date,)) for p in digest.papers))
