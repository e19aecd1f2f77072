from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings

from bot.digest_markdown import parse, parse_file, render
from tests.bot.strategies import digests
from tests.conftest import SEED


def test_seed_parses_to_nine_papers_in_order(seed_digest):
    assert seed_digest.date == dt.date(2024, 6, 28)
    assert [p.arxiv_id for p in seed_digest.papers] == [
        "2406.18629", "2406.19389", "2406.19226", "2406.19215", "2406.19227",
        "2406.19263", "2406.14909", "2406.08316", "2406.14629",
    ]
    assert parse_file(SEED).problems == ()


def test_seed_first_paper_field_by_field(seed_digest):
    p = seed_digest.papers[0]
    assert p.title == "Step-DPO: Step-wise Preference Optimization for Long-chain Reasoning of LLMs"
    assert p.url == "https://arxiv.org/abs/2406.18629"
    assert p.thumbnail == "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2406.18629.png"
    assert p.votes == 14
    assert p.authors == ("Senqiao Yang", "Yukang Chen", "Xin Lai", "Zhuotao Tian", "Xiangru Peng", "Jiaya Jia")
    assert [name for name, _ in p.sections] == ["What's New", "Technical Details", "Performance Highlights"]
    assert p.section("What's New").startswith("수학적 추론은 대형 언어 모델(LLMs)에서")
    assert p.section("Performance Highlights").endswith("비공개 모델을 능가하는 성과입니다.")


def test_seed_quirks_relative_thumbnail_no_votes_one_section(seed_digest):
    gui = seed_digest.papers[5]
    assert gui.arxiv_id == "2406.19263"
    assert gui.thumbnail == "https://huggingface.co/avatars/05abee0b6317f100923936ca2099e9eb.svg"
    assert gui.votes == 2
    assert len(gui.authors) == 9 and gui.authors[-1] == "Lei Ding"
    last = seed_digest.papers[-1]
    assert last.votes is None
    assert [name for name, _ in last.sections] == ["What's New"]
    assert last.authors[5] == "Xuefei Ning"
    moa = seed_digest.papers[6]
    assert moa.votes == 1 and len(moa.authors) == 13


def test_crlf_trailing_spaces_and_blank_lines_are_tolerated(seed_digest):
    text = SEED.read_text(encoding="utf-8")
    messy = "\r\n".join(line + "   " for line in text.split("\n")).replace("\r\n\r\n", "\r\n\r\n\r\n")
    result = parse(messy, "messy.md")
    assert result.digest == seed_digest
    assert result.errors == ()


def test_missing_thumbnail_votes_and_authors_lines():
    text = "## Daily Papers (2024-07-01)\n\n### [Bare paper](https://arxiv.org/pdf/2407.00001v2.pdf)\n\n" \
           "- **What's New**: 짧은 요약.\n"
    result = parse(text, "bare.md")
    (paper,) = result.digest.papers
    assert paper.arxiv_id == "2407.00001"
    assert (paper.thumbnail, paper.votes, paper.authors) == (None, None, ())
    assert paper.sections == (("What's New", "짧은 요약."),)
    assert result.problems == ()


def test_malformed_entries_are_reported_with_line_numbers_and_good_ones_kept():
    text = "\n".join([
        "## Daily Papers (2024-07-02)",            # 1
        "",                                          # 2
        "### [Good one](https://arxiv.org/abs/2407.00002)",  # 3
        "Vote: 3",                                   # 4
        "### Title without a link",                  # 5
        "Vote: 4",                                   # 6
        "### [Not arXiv](https://example.com/paper)",  # 7
        "### [](https://arxiv.org/abs/2407.00003)",  # 8
        "### [Second good](https://arxiv.org/abs/2407.00004)",  # 9
        "Vote: many",                                # 10
        "Authors: A. Person, B. Person",             # 11
        "- **Custom Section**: kept as is",          # 12
    ])
    result = parse(text, "bad.md")
    assert [p.arxiv_id for p in result.digest.papers] == ["2407.00002", "2407.00004"]
    errors = [str(p) for p in result.errors]
    assert errors == [
        "bad.md:5: error: entry header has no [title](link); expected '### [Title](https://arxiv.org/abs/ID)'",
        "bad.md:7: error: no arXiv id in link 'https://example.com/paper'; entry skipped",
        "bad.md:8: error: entry has no title",
    ]
    warnings = [p for p in result.problems if p.severity == "warning"]
    assert [(w.line, "vote count" in w.message) for w in warnings] == [(10, True)]
    second = result.digest.papers[1]
    assert second.votes is None and second.sections == (("Custom Section", "kept as is"),)


def test_no_date_anywhere_is_an_error_but_a_dated_file_name_is_enough():
    body = "### [P](https://arxiv.org/abs/2407.00005)\n"
    assert parse(body, "notes.md").digest is None
    assert str(parse(body, "notes.md").errors[0]).startswith("notes.md:1: error: no date")
    assert parse(body, "daily-papers-2024-07-05.md").digest.date == dt.date(2024, 7, 5)


def test_duplicate_paper_in_one_digest_is_kept_once_with_a_warning():
    text = "## Daily Papers (2024-07-06)\n### [A](https://arxiv.org/abs/2407.00006)\n" \
           "### [A again](https://arxiv.org/abs/2407.00006v2)\n"
    result = parse(text, "dup.md")
    assert [p.title for p in result.digest.papers] == ["A"]
    assert result.problems[0].line == 3 and result.problems[0].severity == "warning"


def test_seed_round_trips(seed_digest):
    assert parse(render(seed_digest)).digest == seed_digest


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(digests())
def test_render_then_parse_is_identity(digest):
    result = parse(render(digest), "generated.md")
    assert result.problems == ()
    assert result.digest == digest
