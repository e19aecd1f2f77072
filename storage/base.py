"""What the core needs from storage: the ``Store`` protocol and the records it returns.

``bot/`` depends on this protocol only; :mod:`storage.sqlite` implements it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from bot.models import Digest, Paper


class StoreError(Exception):
    """A storage problem worth showing to a user as it is (no traceback)."""


class QueryError(ValueError):
    """A search query that cannot be run; the message says why, for the user."""


@dataclass(frozen=True, slots=True)
class StoredPaper:
    paper: Paper
    dates: tuple[dt.date, ...]  # digests it appeared in, oldest first


@dataclass(frozen=True, slots=True)
class StoredDigest:
    date: dt.date
    papers: tuple[StoredPaper, ...]

    def digest(self) -> Digest:
        return Digest(self.date, tuple(p.paper for p in self.papers))


@dataclass(frozen=True, slots=True)
class SearchHit:
    paper: StoredPaper
    #: a short excerpt as ``(text, is_match)`` segments, matches marked for highlighting
    snippet: tuple[tuple[str, bool], ...] = ()
    #: author names that matched, for author lookups
    matched_authors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: tuple[SearchHit, ...]
    total: int
    offset: int = 0

    @property
    def more(self) -> int:
        return max(0, self.total - self.offset - len(self.hits))


@dataclass(frozen=True, slots=True)
class IngestReport:
    date: dt.date
    added: tuple[str, ...] = ()  # arXiv ids new to the store
    updated: tuple[str, ...] = ()  # known papers whose record changed (votes, text)
    linked: tuple[str, ...] = ()  # known papers newly linked to this date
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.linked)


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    platform: str
    subscriber: str  # "user:<id>" for DMs, "channel:<id>" for a channel
    kind: str  # "keyword" | "author"
    term: str
    created_at: dt.datetime = field(compare=False)


@dataclass(frozen=True, slots=True)
class Schedule:
    platform: str
    channel: str
    time: dt.time
    timezone: str  # IANA name
    weekdays: tuple[int, ...]  # 0 = Monday … 6 = Sunday
    workspace: str = ""
    top_n: int | None = None
    min_votes: int | None = None
    enabled: bool = True
    set_by: str = ""


class Store(Protocol):
    async def ingest(self, digest: Digest, *, source: str = "") -> IngestReport: ...

    async def digest(self, date: dt.date | None = None) -> StoredDigest | None:
        """The digest of ``date``, or the latest one when ``date`` is ``None``."""

    async def digest_dates(self) -> list[dt.date]: ...

    async def paper(self, arxiv_id: str) -> StoredPaper | None: ...

    async def search(self, query: str, *, limit: int = 10, offset: int = 0) -> SearchPage:
        """Keyword search; raises :class:`QueryError` for a query with nothing to search."""

    async def search_authors(self, name: str, *, limit: int = 10, offset: int = 0) -> SearchPage: ...

    async def author_names(self, prefix: str, *, limit: int = 25) -> list[str]: ...

    async def title_suggestions(self, text: str, *, limit: int = 25) -> list[str]: ...

    async def add_subscription(self, platform: str, subscriber: str, kind: str, term: str) -> tuple[Subscription, bool]:
        """Store a subscription; the flag is ``False`` when it existed already."""

    async def remove_subscription(self, platform: str, subscriber: str, kind: str, term: str) -> bool: ...

    async def subscriptions(self, platform: str, subscriber: str) -> list[Subscription]: ...

    async def set_schedule(self, schedule: Schedule) -> None: ...

    async def schedule(self, platform: str, channel: str) -> Schedule | None: ...

    async def schedules(self) -> list[Schedule]: ...

    async def close(self) -> None: ...


__all__ = [
    "IngestReport",
    "QueryError",
    "Schedule",
    "SearchHit",
    "SearchPage",
    "Store",
    "StoreError",
    "StoredDigest",
    "StoredPaper",
    "Subscription",
]
