"""Topic subscriptions and the alerts claimed for them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import cast

from bot import matching
from bot.store import SubscriberRow, Subscription
from bot.text import fold
from storage.alert_claims import claims_json, claims_left
from storage.sqlite.db import Database, marks, now_text
from storage.sqlite.rows import SUB_COLUMNS, subscription


class SubscriptionsMixin(Database):
    async def _migrated(self, previous: int) -> None:
        await super()._migrated(previous)
        if previous < 4:  # subscriptions stored before 0004 get their index gram
            rows = await self._db.execute_fetchall("SELECT id, kind, term_key FROM subscriptions WHERE gram = ''")
            for sub_id, kind, key in rows:
                gram = await self._gram(kind, key)
                await self._db.execute("UPDATE subscriptions SET gram = ? WHERE id = ?", (gram, sub_id))

    async def _gram(self, kind: str, key: str) -> str:
        """The gram that indexes a subscription: for keywords, its rarest trigram in the papers."""
        grams = matching.index_gram_candidates(kind, key)
        if len(grams) == 1:
            return grams[0]
        found = await self._db.execute_fetchall(
            f"SELECT term, doc FROM papers_ko_vocab WHERE term IN ({marks(len(grams))})", grams
        )
        return matching.rarest_gram(grams, {str(term): int(doc) for term, doc in found})

    async def add_subscription(
        self, platform: str, subscriber: str, kind: str, term: str
    ) -> tuple[Subscription, bool]:
        key = fold(term)
        gram = await self._gram(kind, key)
        async with self._write:
            cursor = await self._db.execute(
                "INSERT OR IGNORE INTO subscriptions(platform, subscriber, kind, term, term_key, gram)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (platform, subscriber, kind, term, key, gram),
            )
            created = cursor.rowcount == 1
        rows = await self._db.execute_fetchall(
            f"SELECT {SUB_COLUMNS} FROM subscriptions"
            " WHERE platform = ? AND subscriber = ? AND kind = ? AND term_key = ?",
            (platform, subscriber, kind, key),
        )
        return subscription(rows[0]), created  # type: ignore[index]

    async def remove_subscription(self, platform: str, subscriber: str, kind: str, term: str) -> bool:
        async with self._write:
            cursor = await self._db.execute(
                "DELETE FROM subscriptions WHERE platform = ? AND subscriber = ? AND kind = ? AND term_key = ?",
                (platform, subscriber, kind, fold(term)),
            )
            return cursor.rowcount > 0

    async def subscriptions(self, platform: str, subscriber: str) -> list[Subscription]:
        rows = await self._db.execute_fetchall(
            f"SELECT {SUB_COLUMNS} FROM subscriptions WHERE platform = ? AND subscriber = ? ORDER BY id",
            (platform, subscriber),
        )
        return [subscription(r) for r in rows]

    async def all_subscriptions(self) -> list[Subscription]:
        rows = await self._db.execute_fetchall(f"SELECT {SUB_COLUMNS} FROM subscriptions ORDER BY id")
        return [subscription(r) for r in rows]

    async def claim_alerts(self, platform: str, subscriber: str, post_key: str,
                           papers: dict[str, list[str]]) -> list[str]:
        return (await self.claim_alerts_many(platform, post_key, {subscriber: papers})).get(subscriber, [])

    async def subscribed_terms(self) -> list[tuple[str, str]]:
        rows = await self._db.execute_fetchall("SELECT DISTINCT kind, term_key FROM subscriptions")
        return [(r[0], r[1]) for r in rows]

    async def term_subscribers(self, keyword_keys: Sequence[str], author_keys: Sequence[str]) -> list[SubscriberRow]:
        """One index lookup per term (``subscriptions_term``)."""
        rows = await self._db.execute_fetchall(
            "SELECT id, platform, subscriber, kind, term, term_key FROM subscriptions"
            " WHERE kind = 'keyword' AND term_key IN (SELECT value FROM json_each(?))"
            " UNION ALL SELECT id, platform, subscriber, kind, term, term_key FROM subscriptions"
            " WHERE kind = 'author' AND term_key IN (SELECT value FROM json_each(?))",
            (json.dumps(list(keyword_keys), ensure_ascii=False), json.dumps(list(author_keys), ensure_ascii=False)),
        )
        return cast(list[SubscriberRow], list(rows))  # rows are plain tuples

    async def claim_alerts_many(self, platform: str, post_key: str,
                                claims: dict[str, dict[str, list[str]]]) -> dict[str, list[str]]:
        """One transaction over ``json_each`` of the claims. A pair can have been claimed before only if its
        subscriber has a claim since the first claim naming its paper: one look at the asked subscribers' claims
        since the earliest of those (none, as usual: new papers are in no claim yet, and a run asks each
        subscriber once) says every pair is new; else the pairs found in those claims are left out. Then the
        papers in no claim yet are recorded, and one row a subscriber with its papers and their terms."""
        if not claims:
            return {}
        asked = claims_json(claims)
        ids = json.dumps(list(set().union(*{id(papers): papers for papers in claims.values()}.values())),
                         ensure_ascii=False)
        async with Database.transaction(self) as db:
            since = await db.execute_fetchall(
                "SELECT 1 FROM json_each(?) s CROSS JOIN alert_claims c WHERE c.platform = ? AND c.subscriber = s.value"
                " AND c.id >= (SELECT min(first_claim) FROM alerted_papers"
                " WHERE platform = ? AND arxiv_id IN (SELECT value FROM json_each(?))) LIMIT 1",
                (json.dumps(list(claims), ensure_ascii=False), platform, platform, ids))
            if not since:
                fresh = claims_left(claims, [])
            else:
                rows = await db.execute_fetchall(  # driven by the asked pairs (CROSS JOIN); arxiv ids have no '"'
                    "SELECT s.key, p.key FROM json_each(?) s CROSS JOIN json_each(s.value) p"
                    " CROSS JOIN alerted_papers a WHERE a.platform = ? AND a.arxiv_id = p.key AND EXISTS ("
                    "SELECT 1 FROM alert_claims c WHERE c.platform = a.platform AND c.subscriber = s.key"
                    " AND c.id >= a.first_claim AND json_type(c.papers, '$.\"' || p.key || '\"') IS NOT NULL)",
                    (asked, platform),
                )
                fresh = claims_left(claims, cast(list[tuple[str, str]], list(rows)))  # plain tuples
                asked = claims_json({who: {pid: claims[who][pid] for pid in papers} for who, papers in fresh.items()})
            await db.execute(  # before the claims: every claim of a paper is its first one or later
                "INSERT OR IGNORE INTO alerted_papers(platform, arxiv_id, first_claim)"
                " SELECT ?, value, (SELECT coalesce(max(id), 0) + 1 FROM alert_claims) FROM json_each(?)",
                (platform, ids))
            await db.execute(
                "INSERT INTO alert_claims(platform, subscriber, post_key, papers, at)"
                " SELECT ?, s.key, ?, s.value, ? FROM json_each(?) s",
                (platform, post_key, now_text(), asked),
            )
        return fresh
