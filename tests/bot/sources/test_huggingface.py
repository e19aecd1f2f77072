"""bot.sources.huggingface through httpx.MockTransport, with fixtures in the API's real shape."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.http import FetchError, make_client
from bot.models import Paper, Problem
from bot.sources import HuggingFaceSource, Source
from bot.sources.huggingface import paper_from_item
from tests.bot.sources.conftest import load

API = "https://hf.test/api"
DAY = dt.date(2024, 6, 28)


class FakeApi:
    """``GET /api/daily_papers``: items by date, paged with ``limit`` and ``p`` like the real API."""

    def __init__(self, days: dict[str, list[Any]], *, latest: str | None = None, pages: bool = True) -> None:
        self.days = days
        self.latest = latest
        self.pages = pages
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.url.path == "/api/daily_papers"
        params = request.url.params
        date = params.get("date", self.latest)
        if date is None:
            items: list[Any] = []
        elif date not in self.days:
            return httpx.Response(400, json={"error": '"date" must be a valid date'})
        else:
            items = self.days[date]
        limit = int(params.get("limit", 50))
        page = int(params.get("p", 0)) if self.pages else 0
        return httpx.Response(200, json=items[page * limit : (page + 1) * limit])


def source(api: FakeApi, **kwargs: Any) -> HuggingFaceSource:
    client = make_client(httpx.MockTransport(api))
    return HuggingFaceSource(client=client, api_base=API, backoff=0, **kwargs)


async def test_is_a_source() -> None:
    assert isinstance(HuggingFaceSource(), Source)
    assert HuggingFaceSource().endpoint == "https://huggingface.co/api/daily_papers"
    assert HuggingFaceSource(api_base="http://x/api/").endpoint == "http://x/api/daily_papers"


async def test_maps_fields(day_items: list[dict[str, Any]]) -> None:
    result = await source(FakeApi({"2024-06-28": day_items})).fetch(DAY)
    assert result.problems == ()
    assert result.origin == f"{API}/daily_papers?date=2024-06-28"
    digest = result.digest
    assert digest is not None
    assert digest.date == DAY
    assert [p.arxiv_id for p in digest.papers] == ["2406.18629", "2406.19389", "2406.19226", "2406.19215"]

    step = digest.papers[0]
    assert step == Paper(
        arxiv_id="2406.18629",
        url="https://arxiv.org/abs/2406.18629",
        title="Step-DPO: Step-wise Preference Optimization for Long-chain Reasoning of LLMs",
        thumbnail="https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2406.18629.png",
        votes=14,
        authors=("Xin Lai", "Zhuotao Tian", "Yukang Chen", "Senqiao Yang", "Xiangru Peng", "Jiaya Jia"),
        sections=(
            (
                "Abstract",
                "Mathematical reasoning presents a significant challenge for Large Language Models (LLMs) "
                "due to the extensive and precise chain of reasoning required for accuracy.",
            ),
        ),
        links=(("Hugging Face", "https://huggingface.co/papers/2406.18629"),),
    )

    omg = digest.papers[1]  # multi-line title, relative thumbnail
    assert omg.title == "OMG-LLaVA: Bridging Image-level, Object-level, Pixel-level Reasoning and Understanding"
    assert omg.thumbnail == "https://huggingface.co/papers/2406.19389/thumbnail.png"
    assert omg.votes == 12

    classroom = digest.papers[2]  # "hidden" is a profile setting of a real author: kept, like a missing "hidden"
    assert classroom.authors == ("Zheyuan Zhang", "Juanzi Li", "Daniel Zhang-Li", "Lei Hou", "Jifan Yu")

    seakr = digest.papers[3]  # AI summary first, code and project links
    assert seakr.sections == (
        ("AI summary", "SeaKR re-ranks retrieved knowledge using the LLM's self-aware uncertainty."),
        (
            "Abstract",
            "This paper introduces Self-aware Knowledge Retrieval (SeaKR), a novel adaptive RAG model "
            "that extracts self-aware uncertainty of LLMs from their internal states.",
        ),
    )
    assert seakr.links == (
        ("Code", "https://github.com/THU-KEG/SeaKR"),
        ("Project page", "https://thu-keg.github.io/SeaKR/"),
        ("Hugging Face", "https://huggingface.co/papers/2406.19215"),
    )
    assert seakr.authors == ("Zijun Yao", "Weijian Qi")


async def test_votes_come_from_the_paper_not_the_item(day_items: list[dict[str, Any]]) -> None:
    items = copy.deepcopy(day_items[:1])
    items[0]["upvotes"] = 999
    del items[0]["paper"]["upvotes"]
    result = await source(FakeApi({"2024-06-28": items})).fetch(DAY)
    assert result.digest is not None
    assert result.digest.papers[0].votes is None


@pytest.mark.parametrize(("page_size", "requests"), [(2, 3), (3, 2), (4, 2), (100, 1)])
async def test_pages_until_a_short_page(day_items: list[dict[str, Any]], page_size: int, requests: int) -> None:
    api = FakeApi({"2024-06-28": day_items})
    result = await source(api, page_size=page_size).fetch(DAY)
    assert result.digest is not None
    assert [p.arxiv_id for p in result.digest.papers] == [i["paper"]["id"] for i in day_items]
    assert [r.url.params["p"] for r in api.requests] == [str(p) for p in range(requests)]
    assert {r.url.params["limit"] for r in api.requests} == {str(page_size)}
    assert {r.url.params["date"] for r in api.requests} == {"2024-06-28"}


async def test_stops_when_the_api_ignores_paging(day_items: list[dict[str, Any]]) -> None:
    api = FakeApi({"2024-06-28": day_items}, pages=False)
    result = await source(api, page_size=4).fetch(DAY)
    assert result.digest is not None
    assert len(result.digest.papers) == 4
    assert len(api.requests) == 2


async def test_stops_after_max_pages(day_items: list[dict[str, Any]]) -> None:
    api = FakeApi({"2024-06-28": day_items})
    result = await source(api, page_size=1, max_pages=2).fetch(DAY)
    assert result.digest is not None
    assert len(result.digest.papers) == 2
    assert [p.message for p in result.problems] == ["stopped after 2 pages"]


async def test_empty_day_is_a_digest_without_papers() -> None:
    empty = load("daily_papers_2024-06-29_empty.json")
    result = await source(FakeApi({"2024-06-29": empty})).fetch(dt.date(2024, 6, 29))
    assert result.digest is not None
    assert result.digest.date == dt.date(2024, 6, 29)
    assert result.digest.papers == ()
    assert result.problems == ()


async def test_400_is_a_clear_error() -> None:
    api = FakeApi({})
    with pytest.raises(FetchError) as info:
        await source(api).fetch(dt.date(2031, 1, 1))
    message = str(info.value)
    assert message.startswith("Hugging Face has no daily papers for 2031-01-01: the API rejected the date")
    assert f"{API}/daily_papers?date=2031-01-01&limit=100&p=0" in message
    assert "HTTP 400" in message
    assert '"date" must be a valid date' in message
    assert info.value.status == 400
    assert len(api.requests) == 1  # not retried


async def test_server_error_after_retries() -> None:
    client = make_client(httpx.MockTransport(lambda request: httpx.Response(502)))
    hf = HuggingFaceSource(client=client, api_base=API, attempts=2, backoff=0)
    with pytest.raises(FetchError, match=r"daily_papers\?date=2024-06-28&limit=100&p=0 failed: HTTP 502 after 2"):
        await hf.fetch(DAY)


@pytest.mark.parametrize("body", [b"<html>oops</html>", b'{"error": "nope"}'])
async def test_not_a_json_list(body: bytes) -> None:
    client = make_client(httpx.MockTransport(lambda request: httpx.Response(200, content=body)))
    with pytest.raises(FetchError, match=r"daily_papers\?date=2024-06-28"):
        await HuggingFaceSource(client=client, api_base=API).fetch(DAY)


async def test_bad_items_become_problems_and_others_are_kept(day_items: list[dict[str, Any]]) -> None:
    items: list[Any] = copy.deepcopy(day_items)
    items[1]["paper"]["id"] = "not-an-id"
    del items[3]["paper"]["id"]
    items.insert(2, "just a string")
    items.append(copy.deepcopy(day_items[0]))  # the same paper twice
    result = await source(FakeApi({"2024-06-28": items}), page_size=3).fetch(DAY)
    assert result.digest is not None
    assert [p.arxiv_id for p in result.digest.papers] == ["2406.18629", "2406.19226"]
    where = f"{API}/daily_papers?date=2024-06-28&limit=3"
    assert result.problems == (
        Problem(f"{where}&p=0", 2, "no usable arXiv id ('not-an-id'); item skipped"),
        Problem(f"{where}&p=0", 3, "not a daily-papers item (no 'paper' object); item skipped"),
        Problem(f"{where}&p=1", 2, "no usable arXiv id (None); item skipped"),
        Problem(f"{where}&p=1", 3, "arXiv 2406.18629 listed twice", "warning"),
    )


async def test_a_page_of_only_bad_items_does_not_end_paging(day_items: list[dict[str, Any]]) -> None:
    items: list[Any] = [*day_items[:2], {"paper": {}}, {"paper": {"id": ""}}, *day_items[2:]]
    api = FakeApi({"2024-06-28": items})
    result = await source(api, page_size=2).fetch(DAY)
    assert result.digest is not None
    assert len(result.digest.papers) == 4
    assert len(result.errors) == 2
    assert len(api.requests) == 4


async def test_latest_uses_the_items_date(day_items: list[dict[str, Any]]) -> None:
    api = FakeApi({"2024-06-28": day_items}, latest="2024-06-28")
    result = await source(api).fetch(None)
    assert result.digest is not None
    assert result.digest.date == DAY
    assert len(result.digest.papers) == 4
    assert "date" not in api.requests[0].url.params
    assert api.requests[1].url.params["date"] == "2024-06-28"


async def test_latest_when_nothing_is_listed_is_today_utc() -> None:
    api = FakeApi({}, latest=None)
    result = await source(api, today=lambda: dt.date(2024, 6, 30)).fetch(None)
    assert result.digest is not None
    assert result.digest.date == dt.date(2024, 6, 30)
    assert result.digest.papers == ()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
paper_like = st.fixed_dictionaries(
    {"paper": st.dictionaries(st.sampled_from(["id", "title", "summary", "authors", "upvotes"]), json_values)}
)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.one_of(json_values, paper_like))
def test_any_json_item_is_a_paper_or_one_problem(item: object) -> None:
    paper, problems = paper_from_item(json.loads(json.dumps(item)), "u", 1)
    assert (paper is None) == (len(problems) == 1)
    if paper is not None:
        assert paper.title and paper.url.startswith("https://arxiv.org/abs/")


def test_unsafe_thumbnail_and_links_are_dropped_with_a_warning(day_items: list[dict[str, Any]]) -> None:
    item = copy.deepcopy(day_items[0])
    item["thumbnail"] = "javascript:alert(1)"
    item["paper"]["githubRepo"] = "javascript:alert(document.cookie)"
    item["paper"]["projectPage"] = "https://project.example/page"
    paper, problems = paper_from_item(item, "hf", 3)
    assert paper is not None and paper.thumbnail is None
    assert [label for label, _ in paper.links] == ["Project page", "Hugging Face"]
    assert paper.url == f"https://arxiv.org/abs/{paper.arxiv_id}"
    assert [(p.line, p.severity, p.cause) for p in problems] == [(3, "warning", "unsafe link")] * 2
