"""The SQLite implementation of the core's store protocols (aiosqlite, WAL, FTS5).

One module per aggregate, each a mixin over :class:`~storage.sqlite.db.Database` (the
connection, migrations and the one ``transaction()`` helper):

- :mod:`.papers` — ingest and reads of papers and digests;
- :mod:`.search` — keyword and author search;
- :mod:`.subscriptions` — topic subscriptions and alert claims;
- :mod:`.ledger` — the delivery ledger;
- :mod:`.schedules` — channel schedules;
- :mod:`.languages` — each channel's language.
"""

from __future__ import annotations

from storage.sqlite.fetches import FetchesMixin
from storage.sqlite.languages import LanguagesMixin
from storage.sqlite.ledger import LedgerMixin
from storage.sqlite.papers import PapersMixin
from storage.sqlite.schedules import SchedulesMixin
from storage.sqlite.search import COUNT_CAP, SearchMixin
from storage.sqlite.subscriptions import SubscriptionsMixin


class SQLiteStore(PapersMixin, SearchMixin, SubscriptionsMixin, LedgerMixin, SchedulesMixin,
                  FetchesMixin, LanguagesMixin):
    """Open with ``await SQLiteStore.open(path)``; close with ``await store.close()`` (or ``async with``)."""


__all__ = ["COUNT_CAP", "SQLiteStore"]
