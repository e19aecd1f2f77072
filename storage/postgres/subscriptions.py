"""Topic subscriptions and the alerts claimed for them, on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot import matching
from bot.store import SubscriberRow, Subscription
from bot.text import fold
from storage.alert_claims import claim_columns, fresh_claims
from storage.postgres.db import Database
from storage.postgres.rows import SUB_COLUMNS, subscription
from storage.postgres.search import like_pattern

_GRAM_COUNT_CAP = 200  # enough to tell a rare gram from a common one


class SubscriptionsMixin(Database):
    async def _gram(self, kind: str, key: str) -> str:
        """The gram that indexes a subscription: for keywords, the one in the fewest papers."""
        grams = matching.index_gram_candidates(kind, key)
        if len(grams) == 1:
            return grams[0]
        rows = await self._pool.fetch(
            f"SELECT g, (SELECT count(*) FROM (SELECT 1 FROM papers p WHERE p.ko LIKE g.pattern"
            f" LIMIT {_GRAM_COUNT_CAP}) x) FROM unnest($1::text[], $2::text[]) g(g, pattern)",
            grams, [like_pattern(g) for g in grams],
        )
        return matching.rarest_gram(grams, dict(rows))

    async def add_subscription(
        self, platform: str, subscriber: str, kind: str, term: str
    ) -> tuple[Subscription, bool]:
        key = fold(term)
        gram = await self._gram(kind, key)
        created = await self._pool.fetchval(
            "INSERT INTO subscriptions(platform, subscriber, kind, term, term_key, gram)"
            " VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT DO NOTHING RETURNING id",
            platform, subscriber, kind, term, key, gram,
        )
        row = await self._pool.fetchrow(
            f"SELECT {SUB_COLUMNS} FROM subscriptions"
            " WHERE platform = $1 AND subscriber = $2 AND kind = $3 AND term_key = $4",
            platform, subscriber, kind, key,
        )
        return subscription(row), created is not None

    async def remove_subscription(self, platform: str, subscriber: str, kind: str, term: str) -> bool:
        status = await self._pool.execute(
            "DELETE FROM subscriptions WHERE platform = $1 AND subscriber = $2 AND kind = $3 AND term_key = $4",
            platform, subscriber, kind, fold(term),
        )
        return str(status) != "DELETE 0"

    async def subscriptions(self, platform: str, subscriber: str) -> list[Subscription]:
        rows = await self._pool.fetch(
            f"SELECT {SUB_COLUMNS} FROM subscriptions WHERE platform = $1 AND subscriber = $2 ORDER BY id",
            platform, subscriber,
        )
        return [subscription(r) for r in rows]

    async def all_subscriptions(self) -> list[Subscription]:
        return [subscription(r) for r in await self._pool.fetch(f"SELECT {SUB_COLUMNS} FROM subscriptions ORDER BY id")]

    async def claim_alerts(self, platform: str, subscriber: str, post_key: str,
                           papers: dict[str, list[str]]) -> list[str]:
        return (await self.claim_alerts_many(platform, post_key, {subscriber: papers})).get(subscriber, [])

    async def subscribed_terms(self) -> list[tuple[str, str]]:
        rows = await self._pool.fetch("SELECT DISTINCT kind, term_key FROM subscriptions")
        return [(str(r[0]), str(r[1])) for r in rows]

    async def term_subscribers(self, keyword_keys: Sequence[str], author_keys: Sequence[str]) -> list[SubscriberRow]:
        rows = await self._pool.fetch(
            "SELECT id, platform, subscriber, kind, term, term_key FROM subscriptions"
            " WHERE kind = 'keyword' AND term_key = ANY($1::text[])"
            " UNION ALL SELECT id, platform, subscriber, kind, term, term_key FROM subscriptions"
            " WHERE kind = 'author' AND term_key = ANY($2::text[])",
            list(keyword_keys), list(author_keys),
        )
        return [(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5])) for r in rows]

    async def claim_alerts_many(self, platform: str, post_key: str,
                                claims: dict[str, dict[str, list[str]]]) -> dict[str, list[str]]:
        """One statement: a (subscriber, paper) pair is claimed once, whichever process asks first."""
        if not claims:
            return {}
        subscribers, ids, terms = claim_columns(claims)
        rows = await self._pool.fetch(
            "INSERT INTO alerted(platform, subscriber, arxiv_id, post_key, terms, at)"
            " SELECT $1, s, a, $2, t, $6 FROM unnest($3::text[], $4::text[], $5::text[]) x(s, a, t)"
            " ON CONFLICT DO NOTHING RETURNING subscriber, arxiv_id",
            platform, post_key, subscribers, ids, terms, dt.datetime.now(dt.UTC),
        )
        return fresh_claims(claims, [(str(r[0]), str(r[1])) for r in rows])
