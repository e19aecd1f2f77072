"""bot.sources.markdown: a file, a folder, and a URL on a loopback server."""

from __future__ import annotations

import datetime as dt
import pathlib
import shutil

import pytest

from bot.digest_markdown import parse_file, render
from bot.http import FetchError, make_client
from bot.models import Digest, Paper, Problem
from bot.sources import (
    MarkdownFileSource,
    MarkdownFolderSource,
    MarkdownUrlSource,
    Source,
    markdown_source,
    sources_from_setting,
)
from bot.sources.huggingface import HuggingFaceSource
from tests.bot.sources.conftest import SEED, Loopback

DAY = dt.date(2024, 6, 28)
SEED_DIGEST = parse_file(SEED).digest


def small(date: dt.date, arxiv_id: str = "2406.00001") -> Digest:
    return Digest(date, (Paper(arxiv_id, f"https://arxiv.org/abs/{arxiv_id}", f"Paper {arxiv_id}"),))


@pytest.fixture
def folder(tmp_path: pathlib.Path) -> pathlib.Path:
    shutil.copy(SEED, tmp_path / "daily-papers-2024-06-28.md")
    (tmp_path / "2024-06-27.md").write_text(render(small(dt.date(2024, 6, 27))), encoding="utf-8")
    (tmp_path / "latest.md").write_text(render(small(dt.date(2024, 6, 29), "2406.00002")), encoding="utf-8")
    (tmp_path / "notes-2024-07-01.html").write_text("<p>not a digest</p>", encoding="utf-8")
    (tmp_path / "undated.md").write_text("### [x](https://arxiv.org/abs/2406.00003)\n", encoding="utf-8")
    return tmp_path


async def test_file(tmp_path: pathlib.Path) -> None:
    result = await MarkdownFileSource(SEED).fetch(DAY)
    assert result.digest == SEED_DIGEST
    assert result.origin == str(SEED)
    assert (await MarkdownFileSource(SEED).fetch(None)).digest == SEED_DIGEST


async def test_file_of_another_day_is_refused() -> None:
    result = await MarkdownFileSource(SEED).fetch(dt.date(2024, 6, 29))
    assert result.digest is None
    assert result.problems == (Problem(str(SEED), 1, "holds the digest of 2024-06-28, not of 2024-06-29"),)


async def test_file_problems_keep_file_and_line(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "bad.md"
    path.write_text(
        "## Daily Papers (2024-06-28)\n\n### [Good](https://arxiv.org/abs/2406.00001)\n\n### [Bad](https://example.org)\n",
        encoding="utf-8",
    )
    result = await MarkdownFileSource(path).fetch(DAY)
    assert result.digest is not None
    assert [p.arxiv_id for p in result.digest.papers] == ["2406.00001"]
    assert [str(p) for p in result.problems] == [
        f"{path}:5: error: no arXiv id in link 'https://example.org'; entry skipped"
    ]


async def test_missing_file(tmp_path: pathlib.Path) -> None:
    with pytest.raises(FetchError, match=r"nope\.md: no such file$"):
        await MarkdownFileSource(tmp_path / "nope.md").fetch(DAY)


async def test_folder_by_date_in_name(folder: pathlib.Path) -> None:
    source = MarkdownFolderSource(folder)
    result = await source.fetch(DAY)
    assert result.digest == SEED_DIGEST
    assert result.origin == str(folder / "daily-papers-2024-06-28.md")
    assert result.digest is not None
    assert len(result.digest.papers) == 9
    result = await source.fetch(dt.date(2024, 6, 27))
    assert result.digest == small(dt.date(2024, 6, 27))


async def test_folder_latest_by_header(folder: pathlib.Path) -> None:
    result = await MarkdownFolderSource(folder).fetch(None)
    assert result.origin == str(folder / "latest.md")
    assert result.digest == small(dt.date(2024, 6, 29), "2406.00002")


async def test_folder_reads_the_files_ingest_reads(tmp_path: pathlib.Path) -> None:
    """A folder source and ``paperbot ingest FOLDER`` take the same files: .md, .markdown and .txt, any case."""
    from bot.cli.library import digest_files

    days = {".txt": dt.date(2024, 6, 26), ".markdown": dt.date(2024, 6, 27), ".MD": dt.date(2024, 6, 28)}
    for suffix, day in days.items():
        (tmp_path / f"{day.isoformat()}{suffix}").write_text(render(small(day)), encoding="utf-8")
    (tmp_path / "2024-06-29.html").write_text(render(small(dt.date(2024, 6, 29))), encoding="utf-8")
    source = MarkdownFolderSource(tmp_path)
    for suffix, day in days.items():
        result = await source.fetch(day)
        assert result.origin == str(tmp_path / f"{day.isoformat()}{suffix}")
        assert result.digest == small(day)
    latest = await source.fetch(None)
    assert latest.digest == small(dt.date(2024, 6, 28))  # the .html file is not a digest
    assert digest_files([tmp_path]) == sorted(tmp_path / f"{day.isoformat()}{suffix}" for suffix, day in days.items())


async def test_folder_without_that_day(folder: pathlib.Path) -> None:
    with pytest.raises(FetchError, match="no digest for 2024-07-01"):
        await MarkdownFolderSource(folder).fetch(dt.date(2024, 7, 1))


async def test_folder_two_files_for_one_day(folder: pathlib.Path) -> None:
    shutil.copy(SEED, folder / "zz-2024-06-28.md")
    result = await MarkdownFolderSource(folder).fetch(DAY)
    assert result.origin == str(folder / "daily-papers-2024-06-28.md")
    assert result.problems == (
        Problem(
            str(folder / "zz-2024-06-28.md"),
            1,
            "another digest for 2024-06-28; daily-papers-2024-06-28.md is used",
            "warning",
        ),
    )


async def test_empty_or_missing_folder(tmp_path: pathlib.Path) -> None:
    with pytest.raises(FetchError, match="no Markdown digests"):
        await MarkdownFolderSource(tmp_path).fetch(None)
    with pytest.raises(FetchError, match="no such folder"):
        await MarkdownFolderSource(tmp_path / "missing").fetch(None)


async def test_url_with_date(loopback: Loopback) -> None:
    template = f"{loopback.base}/digests/daily-papers-{{date}}.md"
    async with make_client() as client:
        result = await MarkdownUrlSource(template, client=client, backoff=0).fetch(DAY)
    url = f"{loopback.base}/digests/daily-papers-2024-06-28.md"
    assert result.origin == url
    assert result.digest == SEED_DIGEST
    assert result.digest is not None
    assert len(result.digest.papers) == 9


async def test_url_problems_use_the_url_as_path(loopback: Loopback) -> None:
    url = f"{loopback.base}/digests/daily-papers-2024-06-28.md"
    async with make_client() as client:
        result = await MarkdownUrlSource(url, client=client).fetch(dt.date(2024, 6, 29))
    assert result.digest is None
    assert result.problems == (Problem(url, 1, "holds the digest of 2024-06-28, not of 2024-06-29"),)


async def test_url_latest_walks_back_over_404(loopback: Loopback) -> None:
    template = f"{loopback.base}/digests/daily-papers-{{date}}.md"
    async with make_client() as client:
        source = MarkdownUrlSource(template, client=client, backoff=0, today=lambda: dt.date(2024, 6, 30))
        result = await source.fetch(None)
        assert result.digest == SEED_DIGEST
        assert loopback.hits["/digests/daily-papers-2024-06-30.md"] == 1  # a 404 is not retried
        assert loopback.hits["/digests/daily-papers-2024-06-29.md"] == 1
        too_short = MarkdownUrlSource(template, client=client, lookback_days=1, today=lambda: dt.date(2024, 6, 30))
        with pytest.raises(FetchError, match="for 2024-06-30 or the 1 days before"):
            await too_short.fetch(None)


async def test_url_missing_day_is_no_digest_for_that_day_not_a_failure(loopback: Loopback) -> None:
    template = f"{loopback.base}/digests/daily-papers-{{date}}.md"
    url = f"{loopback.base}/digests/daily-papers-2024-07-01.md"
    async with make_client() as client:
        result = await MarkdownUrlSource(template, client=client).fetch(dt.date(2024, 7, 1))
        assert result.digest is None and result.origin == url
        assert [str(p) for p in result.problems] == [f"{url}:1: warning: no digest for 2024-07-01 (HTTP 404)"]
        assert loopback.hits["/digests/daily-papers-2024-07-01.md"] == 1  # a 404 is not retried
        with pytest.raises(FetchError, match=r"/flaky\?2024-06-28 failed: HTTP 500"):  # a server error still fails
            await MarkdownUrlSource(f"{loopback.base}/flaky?{{date}}", client=client, attempts=1).fetch(DAY)


def test_markdown_source_picks_by_location(folder: pathlib.Path) -> None:
    assert isinstance(markdown_source("https://example.org/{date}.md"), MarkdownUrlSource)
    assert isinstance(markdown_source(folder), MarkdownFolderSource)
    assert isinstance(markdown_source(folder / "latest.md"), MarkdownFileSource)
    for source in (markdown_source(folder), markdown_source(SEED), markdown_source("http://x/y.md")):
        assert isinstance(source, Source)


def test_sources_from_setting(folder: pathlib.Path) -> None:
    hf, local, remote = sources_from_setting(f"hf, {folder} ,, https://x/{{date}}.md", hf_api="http://h/api")
    assert isinstance(hf, HuggingFaceSource)
    assert hf.endpoint == "http://h/api/daily_papers"
    assert isinstance(local, MarkdownFolderSource)
    assert local.name == str(folder)
    assert isinstance(remote, MarkdownUrlSource)


async def test_url_over_the_size_cap_is_refused(loopback: Loopback, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERBOT_MAX_DIGEST_BYTES", "1000")
    url = f"{loopback.base}/digests/daily-papers-2024-06-28.md"
    async with make_client() as client:
        result = await MarkdownUrlSource(url, client=client).fetch(DAY)
    assert result.digest is None
    (problem,) = result.problems
    assert problem.severity == "error" and problem.path == url
    assert "over the 1,000-byte limit for one digest (set PAPERBOT_MAX_DIGEST_BYTES to raise it)" in problem.message


async def test_fetched_files_are_parsed_off_the_event_loop(loopback: Loopback, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import bot.sources.markdown as module

    threads: list[threading.Thread] = []
    real_parse = module.parse

    def spy(*args: object, **kwargs: object) -> object:
        threads.append(threading.current_thread())
        return real_parse(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "parse", spy)
    url = f"{loopback.base}/digests/daily-papers-2024-06-28.md"
    async with make_client() as client:
        result = await MarkdownUrlSource(url, client=client).fetch(DAY)
    assert result.digest == SEED_DIGEST
    assert threads and threading.main_thread() not in threads


def test_url_templates_take_strftime_fields() -> None:
    from bot.sources.markdown import expand, is_dated

    day = dt.date(2024, 6, 28)
    assert expand("https://x/paper_logs/{date:%Y/%m/%d}.md", day) == "https://x/paper_logs/2024/06/28.md"
    assert expand("https://x/{date}/{date:%Y%m%d}.md", day) == "https://x/2024-06-28/20240628.md"
    assert is_dated("https://x/{date:%Y/%m/%d}.md") and not is_dated("https://x/latest.md")


async def test_url_with_a_strftime_date_walks_back_over_404(loopback: Loopback) -> None:
    template = f"{loopback.base}/digests/daily-papers-{{date:%Y-%m-%d}}.md"
    async with make_client() as client:
        source = MarkdownUrlSource(template, client=client, backoff=0, today=lambda: dt.date(2024, 6, 29))
        result = await source.fetch(None)
    assert result.digest == SEED_DIGEST
    assert loopback.hits["/digests/daily-papers-2024-06-29.md"] == 1


async def test_korean_digest_and_hugging_face_keep_both_texts(store, day_items) -> None:
    from bot.fetch import fetch_into
    from tests.bot.sources.test_huggingface import FakeApi
    from tests.bot.sources.test_huggingface import source as hf_source

    korean = await fetch_into(store, MarkdownFileSource(SEED), DAY)
    english = await fetch_into(store, hf_source(FakeApi({DAY.isoformat(): day_items})), DAY)
    assert korean.ok and english.ok
    stored = await store.paper("2406.18629")
    names = [name for name, _ in stored.paper.sections]
    assert names == ["What's New", "Technical Details", "Performance Highlights", "Abstract"]  # Korean first
    assert stored.paper.section("What's New").startswith("수학적 추론은")
    assert stored.paper.section("Abstract").startswith("Mathematical reasoning presents")
    assert stored.paper.authors[:6] == SEED_DIGEST.papers[0].authors  # the digest's list, not replaced
    for words in ("수학적", "Mathematical reasoning"):  # search covers both texts
        assert "2406.18629" in [h.paper.paper.arxiv_id for h in (await store.search(words)).hits]


async def test_a_korean_digest_after_hugging_face_adds_its_sections_first(store, day_items) -> None:
    from bot.fetch import fetch_into
    from tests.bot.sources.test_huggingface import FakeApi
    from tests.bot.sources.test_huggingface import source as hf_source

    await fetch_into(store, hf_source(FakeApi({DAY.isoformat(): day_items})), DAY)
    assert [n for n, _ in (await store.paper("2406.18629")).paper.sections] == ["Abstract"]
    await fetch_into(store, MarkdownFileSource(SEED), DAY)
    names = [n for n, _ in (await store.paper("2406.18629")).paper.sections]
    assert names == ["What's New", "Technical Details", "Performance Highlights", "Abstract"]
