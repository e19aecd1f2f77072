"""Hugging Face daily papers: ``GET {api_base}/daily_papers?date=YYYY-MM-DD&limit=N&p=PAGE``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx

from bot import arxiv
from bot.digest_markdown import absolute_thumbnail, safe_web_url, squash
from bot.http import FetchError, get_with_retries, shared_client
from bot.models import Digest, Paper, Problem
from bot.sources.base import SourceResult

API_BASE = "https://huggingface.co/api"
PAGE_SIZE = 100
MAX_PAGES = 20


def _utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _text(value: object) -> str:
    return squash(value) if isinstance(value, str) else ""


def _authors(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    # "hidden": true is a profile setting of a real (often claimed, verified) author: kept
    names = (_text(a.get("name")) for a in value if isinstance(a, dict))
    return tuple(n for n in names if n)


def _votes(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def paper_from_item(item: object, where: str, line: int) -> tuple[Paper | None, tuple[Problem, ...]]:
    """One ``daily_papers`` item as a Paper; ``None`` and an error when it cannot be used."""

    def reject(message: str) -> tuple[None, tuple[Problem, ...]]:
        return None, (Problem(where, line, f"{message}; item skipped"),)

    paper = item.get("paper") if isinstance(item, dict) else None
    if not isinstance(item, dict) or not isinstance(paper, dict):
        return reject("not a daily-papers item (no 'paper' object)")
    raw_id = paper.get("id")
    arxiv_id = arxiv.normalize(raw_id) if isinstance(raw_id, str) else None
    if arxiv_id is None:
        return reject(f"no usable arXiv id ({raw_id!r})")
    title = _text(paper.get("title")) or _text(item.get("title"))
    if not title:
        return reject(f"arXiv {arxiv_id} has no title")
    sections = (("AI summary", paper.get("ai_summary")), ("Abstract", paper.get("summary")))
    warnings: list[Problem] = []

    def unsafe(what: str, value: str) -> None:
        warnings.append(Problem(where, line, f"arXiv {arxiv_id}: {what} {value[:80]!r} is not a safe URL; dropped",
                                "warning", "unsafe link"))

    links = []
    for label, url in (("Code", paper.get("githubRepo")), ("Project page", paper.get("projectPage"))):
        if isinstance(url, str) and url.strip():
            if (safe := safe_web_url(url)) is None:
                unsafe(label.lower(), url)
            else:
                links.append((label, safe))
    thumbnail = item.get("thumbnail")
    thumb = absolute_thumbnail(thumbnail) if isinstance(thumbnail, str) and thumbnail.strip() else None
    if thumb is None and isinstance(thumbnail, str) and thumbnail.strip():
        unsafe("thumbnail", thumbnail)
    return Paper(
        arxiv_id=arxiv_id,
        url=arxiv.abs_url(arxiv_id),
        title=title,
        thumbnail=thumb,
        votes=_votes(paper.get("upvotes")),
        authors=_authors(paper.get("authors")),
        sections=tuple((name, _text(text)) for name, text in sections if _text(text)),
        links=(*links, ("Hugging Face", f"https://huggingface.co/papers/{arxiv_id}")),
    ), tuple(warnings)


def _published(item: object) -> dt.date | None:
    """The UTC date an item was listed (top-level ``publishedAt``, else the paper's)."""
    if not isinstance(item, dict):
        return None
    paper = item.get("paper")
    for value in (item.get("publishedAt"), paper.get("publishedAt") if isinstance(paper, dict) else None):
        if isinstance(value, str):
            try:
                when = dt.datetime.fromisoformat(value)
            except ValueError:
                continue
            return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).date()
    return None


class HuggingFaceSource:
    """The daily papers listed on huggingface.co/papers, in the order the API gives them."""

    def __init__(
        self,
        *,
        client: httpx.AsyncClient | None = None,
        api_base: str = API_BASE,
        page_size: int = PAGE_SIZE,
        max_pages: int = MAX_PAGES,
        attempts: int = 4,
        backoff: float = 0.5,
        today: Callable[[], dt.date] = _utc_today,
        name: str = "huggingface",
    ) -> None:
        self.name = name
        self.api_base = api_base.rstrip("/")
        self.page_size = page_size
        self.max_pages = max_pages
        self.attempts = attempts
        self.backoff = backoff
        self._client = client
        self._today = today

    @property
    def endpoint(self) -> str:
        return f"{self.api_base}/daily_papers"

    async def _page(self, params: dict[str, str | int]) -> tuple[str, list[Any]]:
        client = self._client or shared_client()
        where = str(httpx.URL(self.endpoint, params=params))
        try:
            response = await get_with_retries(
                client, self.endpoint, params, attempts=self.attempts, backoff=self.backoff
            )
        except FetchError as exc:
            if exc.status == 400 and "date" in params:
                raise FetchError(
                    f"Hugging Face has no daily papers for {params['date']}: the API rejected the date ({exc})",
                    url=exc.url,
                    status=400,
                ) from exc
            raise
        try:
            items = response.json()
        except ValueError as exc:
            raise FetchError(f"GET {where} failed: the answer is not JSON", url=where) from exc
        if not isinstance(items, list):
            raise FetchError(f"GET {where} failed: expected a JSON list, got {type(items).__name__}", url=where)
        return where, items

    async def _latest_date(self) -> dt.date | None:
        _, items = await self._page({"limit": self.page_size, "p": 0})
        dates = [d for d in map(_published, items) if d is not None]
        return max(dates) if dates else None

    async def fetch(self, date: dt.date | None) -> SourceResult:
        if date is None:
            date = await self._latest_date()
            if date is None:
                return SourceResult(Digest(self._today()), (), self.endpoint)
        papers: list[Paper] = []
        problems: list[Problem] = []
        seen: set[str] = set()
        origin = str(httpx.URL(self.endpoint, params={"date": date.isoformat()}))
        for page in range(self.max_pages):
            where, items = await self._page({"date": date.isoformat(), "limit": self.page_size, "p": page})
            mapped = [paper_from_item(item, where, index) for index, item in enumerate(items, start=1)]
            ids = {paper.arxiv_id for paper, _ in mapped if paper is not None}
            if page > 0 and ids and ids <= seen:
                break  # the same papers again: the API ignores paging
            for index, (paper, found) in enumerate(mapped, start=1):
                problems += found
                if paper is None:
                    continue
                if paper.arxiv_id in seen:
                    problems.append(Problem(where, index, f"arXiv {paper.arxiv_id} listed twice", "warning"))
                    continue
                seen.add(paper.arxiv_id)
                papers.append(paper)
            if len(items) < self.page_size:
                break  # a short (or empty) page is the last
        else:
            problems.append(Problem(origin, 1, f"stopped after {self.max_pages} pages", "warning"))
        return SourceResult(Digest(date, tuple(papers)), tuple(problems), origin)
