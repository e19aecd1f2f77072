from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import arxiv
from bot.digest_markdown import MAX_LABEL, parse, parse_file, render
from bot.models import Digest, ParseResult
from tests.bot.strategies import digests, line_text, section_names
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


@given(digests())
def test_render_then_parse_is_identity(digest):
    result = parse(render(digest), "generated.md")
    assert result.problems == ()
    assert result.digest == digest


# -- every format the Korean digest has used (issue 11) -----------------------------------------------------------
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "digests"


def fixture(name: str) -> ParseResult:
    result = parse_file(FIXTURES / name)
    assert result.digest is not None, result.problems
    return result


def test_plain_bullets_become_one_summary_section_with_a_line_per_bullet():
    result = fixture("2023-11-21-plain-bullets.md")
    assert result.problems == ()
    first, bare = result.digest.papers
    assert [name for name, _ in first.sections] == ["Summary"]
    lines = first.section("Summary").split("\n")
    assert lines[0].startswith("- 언어 모델은 추론 시")
    assert lines[2] == "- (1) 4095개 뉴런 중 12개만 각 레이어 추론에 사용됩니다."  # the indented sub-bullet
    assert lines[-1] == "- 고수준 CPU 코드로 78배, PyTorch 구현으로 40배의 속도 향상을 보여줍니다."  # soft wrap joined
    assert len(lines) == 5
    assert (bare.votes, bare.authors, bare.thumbnail) == (None, (), None)  # no Vote, Authors or image line
    assert bare.section("Summary").count("\n- ") == 1


def test_any_label_style_comes_out_clean():
    result = fixture("2024-10-15-labels.md")
    assert result.problems == ()
    omni, math = result.digest.papers
    assert [n for n, _ in omni.sections] == ["What's New", "Technical Details", "Performance Highlights"]
    assert omni.section("What's New").startswith("Baichuan-Omni는")  # no leading '*: '
    assert [n for n, _ in math.sections] == [
        "What's New", "비전 인코더 (Vision Encoder)", "Limitations", "고찰", "Related Work Summary"]
    assert math.section("Related Work Summary") == "기존 MathCoder와 DeepSeekMath를 확장합니다."
    assert not any("*" in name or name.endswith(":") for p in result.digest.papers for name, _ in p.sections)


def test_unlabelled_and_indented_lines_belong_to_the_section_above():
    (paper,) = fixture("2024-11-05-continuations.md").digest.papers
    assert [n for n, _ in paper.sections] == ["What's New", "Technical Details", "Performance Highlights"]
    assert paper.section("What's New").endswith("다시 학습하지 않고도 확장할 수 있는 아키텍처입니다.")
    assert paper.section("Technical Details").split("\n") == [
        "세 가지 구성 요소로 이루어집니다.",
        "1) 입력 토큰과 파라미터 토큰 사이의 어텐션(Pattention) 레이어",
        "2) 새로운 키-값 파라미터 쌍을 점진적으로 추가하는 확장 방식",
        "1. **Tokenizer**: 기존 BPE 토크나이저를 그대로 사용합니다. 추가 학습은 필요하지 않습니다.",
    ]


def test_list_literals_become_names_and_items():
    (paper,) = fixture("2024-12-02-list-literals.md").digest.papers
    assert paper.authors == ("Jian Xue", "Michael Levit", "Jinyu O'Li")  # the repeated name once
    assert paper.section("Contributions") == (
        "- 공유 인코더 기반의 통합 음성 인식 구조 제안\n- 스트리밍 지연 시간을 30% 단축\n"
        "- Conformer와 'Transducer'의 결합")


def test_every_video_form_is_kept_as_the_papers_media():
    result = fixture("2025-01-20-media.md")
    assert result.problems == ()
    base = "https://cdn-uploads.huggingface.co/production/uploads/"
    assert [(p.media, p.thumbnail) for p in result.digest.papers] == [
        (base + "videoworld.mp4", None), (base + "flow.mp4", None), (base + "mmvu.mp4", None),
        (base + "filmagent.mp4", None)]
    assert all(len(p.sections) == 1 for p in result.digest.papers)


def test_two_headers_of_one_day_and_links_relative_to_hugging_face():
    result = fixture("2023-12-04-two-headers.md")
    assert result.problems == ()
    assert result.digest.date == dt.date(2023, 12, 4)
    mvdd, clip = result.digest.papers
    assert (mvdd.arxiv_id, mvdd.url) == ("2312.04875", "https://arxiv.org/abs/2312.04875")
    assert (clip.arxiv_id, clip.url) == ("2312.03818", "https://arxiv.org/abs/2312.03818v2")
    assert mvdd.thumbnail.startswith("https://cdn-avatars.huggingface.co/v1/production/uploads/")
    assert clip.thumbnail == "https://huggingface.co/avatars/05abee0b6317f100923936ca2099e9eb.svg"


def test_a_broken_label_stays_bounded_and_its_text_is_kept():
    (paper,) = fixture("2025-02-11-broken-label.md").digest.papers
    assert [n for n, _ in paper.sections] == ["What's New", "Technical Details", "Performance Highlights"]
    assert all(len(name) <= MAX_LABEL for name, _ in paper.sections)
    details = paper.section("Technical Details").split("\n")
    assert details[0].startswith("순환 블록을 반복 적용하여")
    assert details[1].startswith("- **모델은 3.5B 파라미터와") and details[1].endswith("**: 3.2")


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.md")))
def test_every_fixture_renders_to_its_canonical_form_and_back(name):
    digest = fixture(name).digest
    result = parse(render(digest), "canonical.md")
    assert result.problems == ()
    assert result.digest == digest


# canonical forms of the variants, for the identity property
_items = st.tuples(st.sampled_from(["- ", "* ", "1) ", "2. ", "(3) "]), line_text(1, 8)).map(lambda t: t[0] + t[1])


@st.composite
def variant_sections(draw: st.DrawFn) -> tuple[tuple[str, str], ...]:
    names = draw(st.lists(st.one_of(section_names, st.sampled_from(
        ["Summary", "비전 인코더 (Vision Encoder)", "Related Work Summary", "고찰", "Contributions"])),
        max_size=4, unique=True))
    out = []
    for name in names:
        first = draw(st.one_of(st.just(""), line_text(1, 10)))
        items = draw(st.lists(_items, max_size=4))
        text = "\n".join(line for line in [first, *items] if line)
        out.append((name, text))
    return tuple(out)


@st.composite
def variant_digests(draw: st.DrawFn) -> Digest:
    base = draw(digests(max_papers=5, max_section=200))
    papers = tuple(
        replace(p, sections=draw(variant_sections()),
                url=arxiv.abs_url(p.arxiv_id, draw(st.sampled_from(["", "v2"]))),
                media=draw(st.sampled_from([None, f"https://cdn-uploads.huggingface.co/production/uploads/{i}.mp4"])))
        for i, p in enumerate(base.papers))
    return Digest(base.date, papers)


@given(variant_digests())
def test_render_then_parse_is_identity_for_lists_summaries_media_and_versions(digest):
    result = parse(render(digest), "generated.md")
    assert result.problems == ()
    assert result.digest == digest


# -- safe links (issue 10, item 7) -------------------------------------------------------------------------------
def test_hostile_links_never_become_a_papers_link_thumbnail_media_or_extra_link():
    text = "\n".join([
        "## Daily Papers (2025-03-03)",  # 1
        "### [Evil one](javascript://arxiv.org/abs/2503.00001)",  # 2
        "### [Evil two](https://evil.example/arxiv.org/abs/2503.00002)",  # 3
        "### [Good](https://huggingface.co/papers/2503.00003)",  # 4
        "![](javascript:alert(document.cookie))",  # 5
        "<video src=\"http://insecure.example/v.mp4\"></video>",  # 6
        "Links: [Code](javascript:alert(1)), [Project page](https://example.org/p)",  # 7
        "- **What's New**: 안전한 링크만 남습니다.",  # 8
        "### [Also good](https://arxiv.org/pdf/2503.00004v3.pdf)",  # 9
        "![](data:image/png;base64,AAAA)",  # 10
        "[Watch Video](ftp://example.org/v.mp4)",  # 11
    ])
    result = parse(text, "hostile.md")
    good, also = result.digest.papers
    assert (good.arxiv_id, good.url) == ("2503.00003", "https://arxiv.org/abs/2503.00003")
    assert (good.thumbnail, good.media) == (None, None)
    assert good.links == (("Project page", "https://example.org/p"),)
    assert (also.url, also.thumbnail, also.media) == ("https://arxiv.org/abs/2503.00004v3", None, None)
    assert [(p.line, p.severity, p.cause) for p in result.problems] == [
        (2, "error", "no paper link"), (3, "error", "no paper link"), (5, "warning", "unsafe link"),
        (6, "warning", "unsafe link"), (7, "warning", "unsafe link"), (10, "warning", "unsafe link"),
        (11, "warning", "unsafe link")]
    assert "is not an https:// URL; dropped" in str(result.problems[2])


# -- warnings: a summary per file, details with --verbose (item 8) -----------------------------------------------
def noisy_digest(tmp_path: Path) -> Path:
    lines = ["## Daily Papers (2024-07-09)", "intro text before any entry"]
    for i in range(12):
        lines += [f"### [Paper {i}](https://arxiv.org/abs/2407.{i:05d})", f"Vote: {'many' if i % 2 else i}",
                  f"![](http://insecure.example/{i}.png)", "- **What's New**: 요약."]
    lines += ["### [No summary](https://arxiv.org/abs/2407.00099)", "<div>", "</div>"]
    path = tmp_path / "2024-07-09.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_ingest_prints_one_summary_per_file_and_details_with_verbose(tmp_path, monkeypatch, capsys):
    from bot.cli import main

    monkeypatch.setenv("PAPERBOT_DB", str(tmp_path / "cli.db"))
    path = noisy_digest(tmp_path)
    assert main(["ingest", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{path}: 2024-07-09: 13 papers, 13 added" in out
    summary = [line.strip() for line in out.splitlines()[1:] if line.strip()]
    assert summary == [
        f"warning: unsafe link: 12×, first at {path}:5: thumbnail 'http://insecure.example/0.png' is not an "
        "https:// URL; dropped",
        f"warning: bad vote: 6×, first at {path}:8: vote count 'many' is not a number; shown as '-'",
        f"warning: text outside entry: 1×, first at {path}:2: text outside any entry ignored: "
        "'intro text before any entry'",
        f"warning: no summary: 1×, first at {path}:51: arXiv 2407.00099: 2 body line(s) but no summary",
    ]
    assert main(["ingest", "--verbose", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.count(": warning: ") == 20
    assert f"{path}:52: warning:" not in out and f"{path}:51: warning: arXiv 2407.00099" in out


# -- bounded size and linear time (item 9) -------------------------------------------------------------------------
def test_a_file_over_the_size_cap_is_refused_with_a_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "2024-07-10.md"
    path.write_text("## Daily Papers (2024-07-10)\n" + "x" * 5000, encoding="utf-8")
    monkeypatch.setenv("PAPERBOT_MAX_DIGEST_BYTES", "4096")
    result = parse_file(path)
    assert result.digest is None
    assert [str(p) for p in result.problems] == [
        f"{path}:1: error: 5,029 bytes, over the 4,096-byte limit for one digest "
        "(set PAPERBOT_MAX_DIGEST_BYTES to raise it); nothing read"]
    assert parse(path.read_text(encoding="utf-8"), "x.md").digest is None
    monkeypatch.setenv("PAPERBOT_MAX_DIGEST_BYTES", "8192")
    assert parse_file(path).digest is not None


def test_a_multi_megabyte_soft_wrapped_section_parses_whole():
    wrapped = "\n".join(f"추론 단계 {i}를 선호 최적화의 단위로 다룹니다 step {i}" for i in range(60_000))  # ~3 MB
    text = ("## Daily Papers (2024-07-11)\n### [Long](https://arxiv.org/abs/2407.00011)\n- **Technical Details**: "
            + wrapped + "\n- (1) 목록 항목\n- **Performance Highlights**: 끝.\n")
    assert len(text.encode()) > 2_000_000
    result = parse(text, "long.md", max_bytes=10_000_000)
    (paper,) = result.digest.papers
    assert result.problems == ()
    details = paper.section("Technical Details").split("\n")
    assert len(details) == 2 and details[1] == "- (1) 목록 항목"
    assert details[0].startswith("추론 단계 0를") and details[0].endswith("step 59999")
    assert details[0].count("step") == 60_000
    assert paper.section("Performance Highlights") == "끝."


async def test_media_is_stored_and_read_back(store):
    digest = fixture("2025-01-20-media.md").digest
    await store.ingest(digest, source="media.md")
    stored = await store.digest(digest.date)
    assert [p.paper for p in stored.papers] == list(digest.papers)
    again = Digest(digest.date, tuple(replace(p, media=None) for p in digest.papers))  # a later source without it
    await store.ingest(again, source="hf")
    assert (await store.paper("2501.08331")).paper.media == digest.papers[1].media


def test_an_entry_whose_body_lines_gave_no_summary_is_a_warning_and_one_without_body_is_not():
    text = "\n".join([
        "## Daily Papers (2024-07-09)",
        "### [Lost](https://arxiv.org/abs/2407.00003)",
        "Vote: 3",
        "<div>",
        "</div>",
        "### [Header lines only](https://arxiv.org/abs/2407.00002)",
        "![](https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2407.00002.png)",
        "Vote: 3",
        "Authors: A B",
        "### [Bare](https://arxiv.org/abs/2407.00001)",
        "",
    ])
    result = parse(text, "x.md")
    assert [p.arxiv_id for p in result.digest.papers] == ["2407.00003", "2407.00002", "2407.00001"]
    assert all(p.sections == () for p in result.digest.papers)
    (problem,) = result.problems
    assert (problem.severity, problem.cause, problem.line) == ("warning", "no summary", 2)
    assert str(problem) == "x.md:2: warning: arXiv 2407.00003: 2 body line(s) but no summary"
