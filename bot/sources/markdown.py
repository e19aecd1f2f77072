"""Markdown digests (the :mod:`bot.digest_markdown` format) from a file, a folder or a URL."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import httpx

from bot.digest_markdown import is_digest_file, parse, parse_file, too_large
from bot.http import FetchError, get_with_retries, shared_client
from bot.models import ParseResult, Problem
from bot.sources.base import Source, SourceResult

_NAME_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


def _utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _checked(result: ParseResult, date: dt.date | None, origin: str) -> SourceResult:
    """The parse result as a source result; a digest of another day than asked for is refused."""
    digest, problems = result.digest, result.problems
    if digest is not None and date is not None and digest.date != date:
        wrong = Problem(origin, 1, f"holds the digest of {digest.date.isoformat()}, not of {date.isoformat()}")
        return SourceResult(None, (*problems, wrong), origin)
    return SourceResult(digest, problems, origin)


def _read(path: Path) -> ParseResult:
    try:
        return parse_file(path)
    except FileNotFoundError as exc:
        raise FetchError(f"{path}: no such file", url=str(path)) from exc
    except OSError as exc:
        raise FetchError(f"{path}: cannot read ({exc.strerror or exc})", url=str(path)) from exc


class MarkdownFileSource:
    """One Markdown file: its digest, whatever date is asked for (a mismatch is refused)."""

    def __init__(self, path: str | Path, *, name: str = "markdown") -> None:
        self.path = Path(path)
        self.name = name

    async def fetch(self, date: dt.date | None) -> SourceResult:
        result = await asyncio.to_thread(_read, self.path)
        return _checked(result, date, str(self.path))


def _name_date(path: Path) -> dt.date | None:
    for found in _NAME_DATE.findall(path.name):
        try:
            return dt.date.fromisoformat(found)
        except ValueError:
            continue
    return None


def _index(folder: Path) -> dict[dt.date, list[Path]]:
    """The folder's digests by date: from a YYYY-MM-DD in the file name, else from the header."""
    if not folder.is_dir():
        raise FetchError(f"{folder}: no such folder", url=str(folder))
    by_date: dict[dt.date, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if not is_digest_file(path) or not path.is_file():
            continue
        date = _name_date(path)
        if date is None:
            digest = _read(path).digest
            date = digest.date if digest is not None else None
        if date is not None:
            by_date.setdefault(date, []).append(path)
    return by_date


class MarkdownFolderSource:
    """A folder of Markdown digests, one file per day; ``fetch(None)`` reads the latest."""

    def __init__(self, folder: str | Path, *, name: str = "markdown") -> None:
        self.folder = Path(folder)
        self.name = name

    def _pick(self, date: dt.date | None) -> tuple[Path, tuple[Problem, ...]]:
        by_date = _index(self.folder)
        if not by_date:
            raise FetchError(f"{self.folder}: no Markdown digests in this folder", url=str(self.folder))
        day = max(by_date) if date is None else date
        if day not in by_date:
            raise FetchError(f"{self.folder}: no digest for {day.isoformat()}", url=str(self.folder))
        chosen, *others = by_date[day]
        problems = tuple(
            Problem(str(other), 1, f"another digest for {day.isoformat()}; {chosen.name} is used", "warning")
            for other in others
        )
        return chosen, problems

    async def fetch(self, date: dt.date | None) -> SourceResult:
        def read() -> SourceResult:
            path, problems = self._pick(date)
            result = _checked(_read(path), date, str(path))
            return SourceResult(result.digest, (*problems, *result.problems), result.origin)

        return await asyncio.to_thread(read)


_DATE_FIELD = re.compile(r"\{date(?::(?P<format>[^{}]*))?\}")


def is_dated(template: str) -> bool:
    """Whether a URL template names the day (``{date}`` or ``{date:%Y/%m/%d}``)."""
    return _DATE_FIELD.search(template) is not None


def expand(template: str, day: dt.date) -> str:
    """``{date}`` → the ISO date; ``{date:FORMAT}`` → ``day.strftime(FORMAT)``
    (``paper_logs/{date:%Y/%m/%d}.md`` → ``paper_logs/2024/06/28.md``)."""
    return _DATE_FIELD.sub(lambda m: day.strftime(m["format"]) if m["format"] else day.isoformat(), template)


class MarkdownUrlSource:
    """A Markdown digest over http(s). ``{date}`` in the URL is replaced by the ISO date, and
    ``{date:FORMAT}`` by the date in a strftime format (``{date:%Y/%m/%d}``).

    With a date field and ``fetch(None)``, today (UTC) is tried first, then each earlier
    day that answers 404, up to ``lookback_days`` back; ``fetch(day)`` answered 404 is no
    digest for that day (a warning), not a failure.
    """

    def __init__(
        self,
        url: str,
        *,
        client: httpx.AsyncClient | None = None,
        name: str = "markdown",
        lookback_days: int = 7,
        attempts: int = 4,
        backoff: float = 0.5,
        today: Callable[[], dt.date] = _utc_today,
    ) -> None:
        self.url = url
        self.name = name
        self._client = client
        self.lookback_days = lookback_days
        self.attempts = attempts
        self.backoff = backoff
        self._today = today

    async def _get(self, url: str, date: dt.date | None, *, dated_url: bool) -> SourceResult:
        client = self._client or shared_client()
        response = await get_with_retries(client, url, attempts=self.attempts, backoff=self.backoff)
        if (big := too_large(url, len(response.content))) is not None:
            return SourceResult(None, (big,), url)
        # A dated URL vouches for the date of a file without a dated header; a fixed URL does not.
        # Parsing a big file takes a while: off the event loop, so the bot keeps answering.
        result = await asyncio.to_thread(parse, response.text, url, date=date if dated_url else None)
        return _checked(result, date, url)

    async def fetch(self, date: dt.date | None) -> SourceResult:
        if not is_dated(self.url):
            return await self._get(self.url, date, dated_url=False)
        if date is not None:
            url = expand(self.url, date)
            try:
                return await self._get(url, date, dated_url=True)
            except FetchError as exc:
                if exc.status != 404:
                    raise
            # a dated URL with no file: no digest that day (the Korean digest skips days without new
            # papers), as Hugging Face's empty weekend is no papers; not a failure to retry
            missing = Problem(url, 1, f"no digest for {date.isoformat()} (HTTP 404)", "warning", cause="no digest")
            return SourceResult(None, (missing,), url)
        today = day = self._today()
        for _ in range(self.lookback_days + 1):
            try:
                return await self._get(expand(self.url, day), day, dated_url=True)
            except FetchError as exc:
                if exc.status != 404:
                    raise
            day -= dt.timedelta(days=1)
        raise FetchError(
            f"no digest at {self.url} for {today.isoformat()} or the {self.lookback_days} days before",
            url=self.url,
            status=404,
        )


def markdown_source(location: str | Path, *, client: httpx.AsyncClient | None = None, name: str = "markdown") -> Source:
    """A source for an http(s) URL, a folder or a file, whichever ``location`` is."""
    text = str(location)
    if text.startswith(("http://", "https://")):
        return MarkdownUrlSource(text, client=client, name=name)
    path = Path(location).expanduser()
    if path.is_dir():
        return MarkdownFolderSource(path, name=name)
    return MarkdownFileSource(path, name=name)
