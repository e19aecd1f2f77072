"""The PostgreSQL implementation of the core's store protocols (asyncpg pool, pg_trgm, tsvector).

Chosen when ``PAPERBOT_DB``/``--db`` is a ``postgresql://`` URL (see :mod:`storage.open`);
several bot processes may share one database. Same shape as :mod:`storage.sqlite`: one
mixin per aggregate over :class:`~storage.postgres.db.Database`.
"""

from __future__ import annotations

from storage.postgres.fetches import FetchesMixin
from storage.postgres.languages import LanguagesMixin
from storage.postgres.ledger import LedgerMixin
from storage.postgres.papers import PapersMixin
from storage.postgres.schedules import SchedulesMixin
from storage.postgres.search import SearchMixin
from storage.postgres.subscriptions import SubscriptionsMixin


class PostgresStore(PapersMixin, SearchMixin, SubscriptionsMixin, LedgerMixin, SchedulesMixin, FetchesMixin,
                    LanguagesMixin):
    """Open with ``await PostgresStore.open(url)``; close with ``await store.close()`` (or ``async with``)."""


__all__ = ["PostgresStore"]
