"""Following the Korean daily-papers digest live, through the README's ``PAPERBOT_SOURCES`` line.

The digest is published at https://github.com/l-yohai/daily_papers_ko: one file per UTC day
on which new papers came, ``paper_logs/YYYY/MM/DD.md`` on the ``main`` branch, written by a
daily GitHub Action. The fixture under ``fixtures/daily_papers_ko`` is laid out like that
repository and written in its mid-2024 format (header, image, ``Vote:``, ``Authors:``, bold
labels; ``Vote: -``; a fifteen-author line). A loopback server serves it under the raw-file
path, and the README's URL template is fetched with only the host swapped.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import re
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.digest_markdown import parse_file
from bot.fetch import fetch_into
from bot.http import make_client
from bot.sources import MarkdownUrlSource, sources_from_setting
from bot.sources.huggingface import HuggingFaceSource
from tests.bot.sources.conftest import Loopback, serving

ROOT = pathlib.Path(__file__).resolve().parents[3]
REPOSITORY = pathlib.Path(__file__).parent / "fixtures" / "daily_papers_ko"
DAY_FILE = REPOSITORY / "paper_logs" / "2024" / "06" / "28.md"
DAY = dt.date(2024, 6, 28)
RAW = "https://raw.githubusercontent.com"
TEMPLATE = f"{RAW}/l-yohai/daily_papers_ko/main/paper_logs/{{date:%Y/%m/%d}}.md"


def readme_setting() -> str:
    found = re.search(r'^PAPERBOT_SOURCES="([^"]+)"', (ROOT / "README.md").read_text(encoding="utf-8"), re.M)
    assert found, "README shows no PAPERBOT_SOURCES line"
    return found.group(1)


@pytest.fixture
async def raw_files() -> AsyncIterator[Loopback]:
    """raw.githubusercontent.com on loopback: ``/OWNER/REPO/BRANCH/PATH`` from the fixture repository."""

    async def serve(request: web.Request) -> web.Response:
        server.hits[request.path] = server.hits.get(request.path, 0) + 1
        if request.match_info["repo"] != "l-yohai/daily_papers_ko/main":
            raise web.HTTPNotFound()
        path = (REPOSITORY / request.match_info["path"]).resolve()
        if REPOSITORY.resolve() not in path.parents or not path.is_file():
            raise web.HTTPNotFound()  # a day without new papers has no file
        return web.Response(body=path.read_bytes(), content_type="text/plain", charset="utf-8")

    app = web.Application()
    app.router.add_get("/{repo:[^/]+/[^/]+/[^/]+}/{path:.+}", serve)
    async with serving(app) as server:
        yield server


def test_readme_and_env_example_follow_the_real_repository() -> None:
    assert readme_setting() == f"{TEMPLATE}, hf"
    env = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert f'PAPERBOT_SOURCES="{TEMPLATE}, hf"' in env


def test_a_day_file_of_the_repository_parses_without_problems() -> None:
    result = parse_file(DAY_FILE)
    assert result.problems == ()
    digest = result.digest
    assert digest is not None and digest.date == DAY
    assert [p.arxiv_id for p in digest.papers] == ["2406.18790", "2406.19314", "2406.19223"]
    assert [p.votes for p in digest.papers] == [16, 5, None]  # "Vote: -"
    assert len(digest.papers[1].authors) == 15 and digest.papers[2].authors[0] == "Björn Deiseroth"
    for paper in digest.papers:
        assert [name for name, _ in paper.sections] == ["What's New", "Technical Details", "Performance Highlights"]
        assert paper.thumbnail == f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{paper.arxiv_id}.png"
    assert digest.papers[1].section("Technical Details").startswith("문제는 (1) 최근 대회와")


async def test_the_readme_line_fetches_the_days_file_and_walks_back_over_days_without_one(raw_files, store) -> None:
    korean_url, hf = (s.strip() for s in readme_setting().split(","))
    assert hf == "hf"
    setting = readme_setting().replace(RAW, raw_files.base)
    async with make_client() as client:
        korean, english = sources_from_setting(setting, client=client)
        assert isinstance(english, HuggingFaceSource)
        outcome = await fetch_into(store, korean, DAY)
        assert outcome.ok, outcome.error
        assert raw_files.hits == {"/l-yohai/daily_papers_ko/main/paper_logs/2024/06/28.md": 1}
        stored = await store.digest(DAY)
        assert [p.paper.arxiv_id for p in stored.papers] == ["2406.18790", "2406.19314", "2406.19223"]
        assert stored.papers[0].paper.section("What's New").startswith("텍스트만으로")

        # the latest day: today (a Sunday) and Saturday have no file, Friday's is found
        latest = MarkdownUrlSource(korean_url.replace(RAW, raw_files.base), client=client, backoff=0,
                                   today=lambda: dt.date(2024, 6, 30))
        result = await latest.fetch(None)
    assert result.digest is not None and result.digest.date == DAY
    assert raw_files.hits["/l-yohai/daily_papers_ko/main/paper_logs/2024/06/30.md"] == 1
    assert raw_files.hits["/l-yohai/daily_papers_ko/main/paper_logs/2024/06/29.md"] == 1


async def test_a_paper_summarised_again_keeps_each_days_text(raw_files, tmp_path, monkeypatch, capsys) -> None:
    """LiveBench is in the 2024-06-28 file and summarised again, under other labels, on 2024-07-01."""
    import asyncio
    import json

    from bot.cli import main

    monkeypatch.setenv("PAPERBOT_DB", str(tmp_path / "paperbot.db"))
    template = TEMPLATE.replace(RAW, raw_files.base)

    async def run(*args: str) -> str:  # the CLI runs its own event loop: in a thread
        assert await asyncio.to_thread(main, list(args)) == 0, args
        return str(capsys.readouterr().out)

    for day in ("2024-06-28", "2024-07-01"):
        await run("fetch", "--date", day, "--source", template)

    async def livebench(day: str) -> dict[str, str]:
        digest = json.loads(await run("digest", "--date", day, "--json"))
        (paper,) = [p for p in digest["papers"] if p["arxiv_id"] == "2406.19314"]
        return {s["name"]: s["text"] for s in paper["sections"]}

    older, newer = await livebench("2024-06-28"), await livebench("2024-07-01")
    assert list(older) == ["What's New", "Technical Details", "Performance Highlights"]
    assert older["What's New"].startswith("오염되지 않은(contamination-free)")
    assert list(newer) == ["What's New", "Methodology"]  # the re-summary alone: no old label left over
    shown = await run("show", "2406.19314")
    assert "매달 새 문제로 갱신되어" in shown and "오염되지 않은(contamination-free)" not in shown
    for only_in in ("심사 모델", "객관식 정답"):  # words of the older and of the newer summary
        assert "LiveBench" in await run("search", only_in), only_in

    # /papers today 2024-06-28 in a channel shows that day's text too
    from bot.commands import Commands, Request
    from bot.messages import PaperList
    from storage.sqlite import SQLiteStore

    async with await SQLiteStore.open(tmp_path / "paperbot.db") as store:
        reply = await Commands(store).handle(Request("slack", "U1", "C1", "today", "2024-06-28", workspace="T1"))
    (listing,) = [b for m in reply.messages for b in m.blocks if isinstance(b, PaperList)]
    (paper,) = [p for p in listing.papers if p.arxiv_id == "2406.19314"]
    assert dict(paper.sections) == older and paper.votes == 5


async def test_following_it_daily_a_day_without_a_file_is_no_digest_not_a_failure(raw_files, store) -> None:
    """The daily catch-up at the README's fetch time (21:30 UTC), three days kept: Sunday 2024-06-30
    and Saturday have no file, Friday has; the file-less days are not retried as failures."""
    from bot.fetch import CatchUp, zone

    template = TEMPLATE.replace(RAW, raw_files.base)
    async with make_client() as client:
        source = MarkdownUrlSource(template, client=client, name="korean", backoff=0)
        catch_up = CatchUp(store, store, [source], dt.time(21, 30), zone("UTC"), 3)
        sunday_evening = dt.datetime(2024, 6, 30, 21, 45, tzinfo=dt.UTC)
        outcomes = await catch_up.tick(sunday_evening)
        assert [(o.date, o.status) for o in outcomes] == [
            (dt.date(2024, 6, 30), "no-digest"), (dt.date(2024, 6, 29), "no-digest"), (DAY, "ingested")]
        assert [str(p) for p in outcomes[1].problems] == [
            f"{raw_files.base}/l-yohai/daily_papers_ko/main/paper_logs/2024/06/29.md:1: warning: "
            "no digest for 2024-06-29 (HTTP 404)"]
        later = await catch_up.tick(sunday_evening + dt.timedelta(hours=2))
    assert [(o.date, o.status) for o in later] == [(dt.date(2024, 6, 30), "no-digest")]  # only today, on back-off
    assert raw_files.hits["/l-yohai/daily_papers_ko/main/paper_logs/2024/06/29.md"] == 1
    assert [p.paper.arxiv_id for p in (await store.digest(DAY)).papers][:1] == ["2406.18790"]
