"""What the core needs from storage: the ``Store`` protocol and the records it returns.

The core depends on these protocols only; :mod:`storage.sqlite` implements them.
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
    #: ``total`` is a floor: counting stopped there (a very common term)
    capped: bool = False

    @property
    def more(self) -> int:
        return max(0, self.total - self.offset - len(self.hits))

    @property
    def total_text(self) -> str:
        return f"{self.total - 1:,}+" if self.capped else f"{self.total:,}"

    @property
    def more_text(self) -> str:
        return f"{self.more - 1:,}+" if self.capped else f"{self.more:,}"


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
    term_key: str = ""  # folded term, what matching compares
    gram: str = ""  # the gram that indexes it (see bot.matching)


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
    quiet: bool = False  # no "no new papers today" post
    since: dt.datetime | None = field(default=None, compare=False)  # when it was last set


@dataclass(frozen=True, slots=True)
class Claim:
    """The ledger's answer to "may I send this part?".

    ``new``: yes, nobody has. ``unknown``: a send was started long ago and never
    recorded — send again with the same ``nonce`` where the platform deduplicates, or
    look it up. ``sent``: done already (ids given). ``busy``: another run is sending it
    right now. ``failed``: the channel refused it.
    """

    state: str
    nonce: str
    message_id: str | None = None
    thread_id: str | None = None


@dataclass(frozen=True, slots=True)
class RunRecord:
    platform: str
    target: str
    post_key: str
    outcome: str
    detail: str
    at: dt.datetime


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

    # -- topic alerts --------------------------------------------------------------
    async def subscription_candidates(self, keyword_grams: set[str], author_grams: set[str]) -> list[Subscription]:
        """Subscriptions whose index gram is among the given ones (to be verified)."""

    async def claim_alerts(self, platform: str, subscriber: str, post_key: str,
                           papers: dict[str, list[str]]) -> list[str]:
        """Record alerts for ``{arxiv_id: terms}``; the ids never alerted to this subscriber before."""

    # -- delivery ledger -------------------------------------------------------------
    async def claim_part(self, platform: str, target: str, post_key: str, part: int, nonce: str,
                         *, stale_after: float = 120.0, now: dt.datetime | None = None) -> Claim: ...

    async def mark_sent(self, platform: str, target: str, post_key: str, part: int,
                        message_id: str, thread_id: str | None) -> None: ...

    async def mark_failed(self, platform: str, target: str, post_key: str, part: int, error: str) -> None: ...

    async def sent_posts(self, platform: str, target: str) -> set[str]:
        """Post keys whose parts were all sent (or that failed) to ``target``."""

    async def started_posts(self, platform: str, target: str) -> set[str]:
        """Post keys with at least one claimed or sent part for ``target``."""

    async def posted_since(self, platform: str, target: str, prefix: str, since: dt.datetime) -> bool: ...

    async def record_run(self, platform: str, target: str, post_key: str, outcome: str, detail: str = "") -> None: ...

    async def last_runs(self) -> list[RunRecord]: ...

    async def set_unavailable(self, platform: str, target: str, reason: str) -> bool:
        """Mark a channel unavailable; ``True`` the first time (report it then)."""

    async def unavailable(self, platform: str) -> dict[str, str]: ...

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
