"""Per-channel language (``/papers language ko|en``) on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from storage.postgres.db import Database


class LanguagesMixin(Database):
    async def set_channel_language(self, platform: str, channel: str, language: str) -> None:
        await self._pool.execute(
            "INSERT INTO channel_languages(platform, channel, language, set_at) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT(platform, channel) DO UPDATE SET language = excluded.language, set_at = excluded.set_at",
            platform, channel, language, dt.datetime.now(dt.UTC),
        )

    async def channel_language(self, platform: str, channel: str) -> str | None:
        value = await self._pool.fetchval(
            "SELECT language FROM channel_languages WHERE platform = $1 AND channel = $2", platform, channel
        )
        return None if value is None else str(value)

    async def channel_languages(self, platform: str, channels: Sequence[str]) -> dict[str, str]:
        rows = await self._pool.fetch(
            "SELECT channel, language FROM channel_languages WHERE platform = $1 AND channel = ANY($2::text[])",
            platform, list(channels))
        return {str(row["channel"]): str(row["language"]) for row in rows}
