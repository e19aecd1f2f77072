"""Per-channel language (``/papers language ko|en``) on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import asyncpg

from storage.postgres.db import Database
from storage.postgres.reads import ReadKind, by_ordinal, transpose


async def _languages(pool: asyncpg.Pool, items: Sequence[tuple[object, ...]]) -> list[str | None]:
    """An item: (platform, channel): the channel's language, ``None`` when never set."""
    rows = await pool.fetch(
        "SELECT k.i, l.language FROM unnest($1::text[], $2::text[]) WITH ORDINALITY k(platform, channel, i)"
        " JOIN channel_languages l ON l.platform = k.platform AND l.channel = k.channel",
        *transpose(items),
    )
    return [str(group[0][1]) if group else None for group in by_ordinal(rows, len(items))]


#: a fan-out asks each channel's language at once: read together (storage.postgres.reads)
CHANNEL_LANGUAGE = ReadKind("channel language", _languages)


class LanguagesMixin(Database):
    async def set_channel_language(self, platform: str, channel: str, language: str) -> None:
        await self._pool.execute(
            "INSERT INTO channel_languages(platform, channel, language, set_at) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT(platform, channel) DO UPDATE SET language = excluded.language, set_at = excluded.set_at",
            platform, channel, language, dt.datetime.now(dt.UTC),
        )

    async def channel_language(self, platform: str, channel: str) -> str | None:
        language: str | None = await self._reads.read(CHANNEL_LANGUAGE, (platform, channel))
        return language

    async def channel_languages(self, platform: str, channels: Sequence[str]) -> dict[str, str]:
        rows = await self._pool.fetch(
            "SELECT channel, language FROM channel_languages WHERE platform = $1 AND channel = ANY($2::text[])",
            platform, list(channels))
        return {str(row["channel"]): str(row["language"]) for row in rows}
