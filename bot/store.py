"""What the core needs from storage: the ``Store`` protocol and the records it returns.

The core depends on these protocols only; :mod:`storage.sqlite` implements them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from bot.errors import StorageError, UserError
from bot.models import Digest, Paper
from bot.payload import Payload


class StoreError(StorageError):
    """A storage problem worth showing to a user as it is (no traceback)."""


class QueryError(UserError, ValueError):
    """A search query that cannot be run; the message says why, for the user."""


@dataclass(frozen=True, slots=True)
class StoredPaper:
    paper: Paper
    dates: tuple[dt.date, ...]  # digests it appeared in, oldest first


@dataclass(frozen=True, slots=True)
class StoredDigest:
    """A day's papers as that day's digest showed them: a paper summarised again later keeps this
    day's sections and vote count here (``Store.paper`` gives its newest)."""

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


class TopicKind(StrEnum):
    KEYWORD = "keyword"  #: a word or phrase in a paper's title or summaries
    AUTHOR = "author"  #: a name among its authors


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    platform: str
    subscriber: str  # "user:<id>" for DMs, "channel:<id>" for a channel
    kind: TopicKind
    term: str
    created_at: dt.datetime = field(compare=False)
    term_key: str = ""  # folded term, what matching compares
    gram: str = ""  # the gram that indexes it (see bot.matching)


#: a subscription as alert matching reads it: (id, platform, subscriber, kind, term, term_key)
SubscriberRow = tuple[int, str, str, str, str, str]


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


class ClaimState(StrEnum):
    """The ledger's answer to "may I send this part?"."""

    NEW = "new"  #: yes: nobody has tried
    UNKNOWN = "unknown"  #: a send was started by a run that died (or by this run, and failed): look it up first
    SENT = "sent"  #: done already (ids given)
    BUSY = "busy"  #: a live run is sending it right now
    FAILED = "failed"  #: the platform rejected this part; later parts go on


@dataclass(frozen=True, slots=True)
class Claim:
    state: ClaimState
    nonce: str
    message_id: str | None = None
    thread_id: str | None = None
    #: for ``busy``: when the owner's lease runs out unless it is renewed, and the owner's run id
    lease_expires: dt.datetime | None = None
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class StoredPart:
    part: int
    payload: Payload
    state: str  # pending | claimed | sent | failed
    message_id: str | None = None
    thread_id: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class LedgerPost:
    """A post as the ledger recorded it: every part, as first rendered."""

    platform: str
    target: str
    post_key: str
    parts: tuple[StoredPart, ...]
    created_at: dt.datetime
    report_to: str = ""
    finished: bool = False
    attempts: int = 0
    retry_at: dt.datetime | None = None
    last_error: str | None = None

    @property
    def missing(self) -> tuple[int, ...]:
        """Parts not sent yet (pending or claimed)."""
        return tuple(p.part for p in self.parts if p.state in ("pending", "claimed"))

    @property
    def rejected(self) -> tuple[int, ...]:
        return tuple(p.part for p in self.parts if p.state == "failed")


@dataclass(frozen=True, slots=True)
class AlertClaim:
    platform: str
    subscriber: str
    post_key: str
    papers: tuple[tuple[str, tuple[str, ...]], ...]  # (arxiv id, matched terms), in claim order


@dataclass(frozen=True, slots=True)
class RunRecord:
    platform: str
    target: str
    post_key: str
    outcome: str
    detail: str
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class FetchRun:
    """The fetch record of one source and day: its last success (``ok_at``) and its last try."""

    source: str
    day: dt.date
    ok_at: dt.datetime | None  # the last fetch that succeeded ("ingested", or "empty": the source had none)
    ok_status: str  # "ingested" | "empty" | "" (never succeeded)
    tried_at: dt.datetime
    error: str = ""  # the last try's error, "" when it succeeded


class Store(Protocol):
    async def ingest(self, digest: Digest, *, source: str = "") -> IngestReport: ...

    async def digest(self, date: dt.date | None = None) -> StoredDigest | None:
        """The digest of ``date``, or the latest one when ``date`` is ``None``: each paper with that
        day's text and vote count (see :class:`StoredDigest`)."""

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

    async def remove_schedule(self, platform: str, channel: str) -> bool:
        """Delete a channel's schedule (an operator's fix); whether there was one."""

    # -- topic alerts --------------------------------------------------------------
    async def claim_alerts(self, platform: str, subscriber: str, post_key: str,
                           papers: dict[str, list[str]]) -> list[str]:
        """Record alerts for ``{arxiv_id: terms}`` under ``post_key``; the ids never alerted to this subscriber
        before (in one transaction; the post is recorded after, and :meth:`orphan_alerts` finds it if not)."""

    async def subscribed_terms(self) -> list[tuple[str, str]]:
        """Every distinct ``(kind, term_key)`` subscribed to (alert matching builds its automaton from them)."""

    async def term_subscribers(self, keyword_keys: Sequence[str], author_keys: Sequence[str]) -> list[SubscriberRow]:
        """The subscriptions to these folded keyword and author terms."""

    async def claim_alerts_many(self, platform: str, post_key: str,
                                claims: dict[str, dict[str, list[str]]]) -> dict[str, list[str]]:
        """:meth:`claim_alerts` for many subscribers in one statement: ``{subscriber: {arxiv_id: terms}}`` →
        ``{subscriber: ids never alerted to it before}`` (subscribers with none left out)."""

    # -- delivery ledger: see bot.delivery -------------------------------------------
    async def open_post(self, platform: str, target: str, post_key: str, payloads: Sequence[Payload],
                        *, report_to: str = "", now: dt.datetime | None = None) -> LedgerPost:
        """Record the post with all its parts the first time; afterwards return it as first recorded."""

    async def open_post_claimed(self, platform: str, target: str, post_key: str, payloads: Sequence[Payload],
                                nonce: str, *, owner: str, report_to: str = "",
                                now: dt.datetime | None = None) -> tuple[LedgerPost, Claim | None]:
        """:meth:`open_post`; the first time, part 0 claimed for ``owner`` with ``nonce`` in the same write and
        that claim returned (``None``: recorded before, or no parts)."""

    async def post(self, platform: str, target: str, post_key: str) -> LedgerPost | None: ...

    async def claim_part(self, platform: str, target: str, post_key: str, part: int, nonce: str,
                         *, owner: str, now: dt.datetime | None = None) -> Claim:
        """Claim a part for ``owner``: a pending part, or one whose owner's lease has expired."""

    async def mark_sent(self, platform: str, target: str, post_key: str, part: int,
                        message_id: str, thread_id: str | None) -> None: ...

    async def mark_sent_and_claim(self, platform: str, target: str, post_key: str, part: int, message_id: str,
                                  thread_id: str | None, next_part: int, nonce: str, *, owner: str,
                                  now: dt.datetime | None = None) -> Claim:
        """:meth:`mark_sent`, then :meth:`claim_part` of ``next_part``: in one write when it is pending."""

    async def mark_failed(self, platform: str, target: str, post_key: str, part: int, error: str) -> None:
        """The platform rejected this part for good; the post goes on without it."""

    async def release_part(self, platform: str, target: str, post_key: str, part: int) -> None:
        """Back to pending: the platform refused the channel, so nothing was sent."""

    async def note_attempt(self, platform: str, target: str, post_key: str, error: str,
                           retry_at: dt.datetime) -> int:
        """A run left the post unfinished: remember why and when to retry; the attempts so far."""

    async def renew_lease(self, owner: str, expires_at: dt.datetime, *, info: str = "") -> None: ...

    async def release_lease(self, owner: str) -> None: ...

    async def unfinished_posts(self, platform: str | None = None, target: str | None = None) -> list[LedgerPost]:
        """Posts with a part not yet sent, oldest first (channels marked unavailable left out)."""

    async def sent_posts(self, platform: str, target: str) -> set[str]:
        """Post keys of ``target`` whose every part was sent or rejected."""

    async def started_posts(self, platform: str, target: str) -> set[str]:
        """Post keys recorded for ``target``, finished or not."""

    async def posted_since(self, platform: str, target: str, prefix: str, since: dt.datetime) -> bool:
        """Whether a post whose key starts with ``prefix`` was recorded for ``target`` at or after ``since``."""

    async def orphan_alerts(self, platforms: set[str], *, since: dt.datetime) -> list[AlertClaim]:
        """Alerts claimed at or after ``since`` but never recorded as a post (a crash between the two): to resume."""

    async def record_run(self, platform: str, target: str, post_key: str, outcome: str, detail: str = "") -> None: ...

    async def last_runs(self) -> list[RunRecord]: ...

    async def set_unavailable(self, platform: str, target: str, reason: str) -> bool:
        """Mark a channel unavailable; ``True`` the first time (report it then)."""

    async def unavailable(self, platform: str) -> dict[str, str]: ...

    async def record_fetch(self, source: str, day: dt.date, status: str, at: dt.datetime, error: str = "") -> None:
        """Note a fetch of ``source`` for ``day``: ``ingested``, ``empty`` (a success) or ``failed``."""

    async def fetch_runs(self, since: dt.date) -> list[FetchRun]: ...

    async def set_channel_language(self, platform: str, channel: str, language: str) -> None:
        """``/papers language ko|en``: the language of the channel's posts and alerts."""

    async def channel_language(self, platform: str, channel: str) -> str | None:
        """The channel's language, ``None`` when never set (then ``PAPERBOT_LANGUAGE`` applies)."""

    async def channel_languages(self, platform: str, channels: Sequence[str]) -> dict[str, str]:
        """:meth:`channel_language` of many channels of one platform at once: those that set one."""

    async def close(self) -> None: ...


__all__ = ["IngestReport", "QueryError", "Schedule", "SearchHit", "SearchPage", "Store", "StoreError",
           "StoredDigest", "StoredPaper", "SubscriberRow", "Subscription"]
