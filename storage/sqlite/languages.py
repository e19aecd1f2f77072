"""Per-channel language (``/papers language ko|en``)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from storage.sqlite.db import Database, now_text


class LanguagesMixin(Database):
    async def set_channel_language(self, platform: str, channel: str, language: str) -> None:
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO channel_languages(platform, channel, language, set_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(platform, channel) DO UPDATE SET language = excluded.language, set_at = excluded.set_at",
                (platform, channel, language, now_text(dt.datetime.now(dt.UTC))),
            )

    async def channel_language(self, platform: str, channel: str) -> str | None:
        rows = list(await self._db.execute_fetchall(
            "SELECT language FROM channel_languages WHERE platform = ? AND channel = ?", (platform, channel)))
        return str(rows[0][0]) if rows else None

    async def channel_languages(self, platform: str, channels: Sequence[str]) -> dict[str, str]:
        rows = await self._db.execute_fetchall(
            "SELECT channel, language FROM channel_languages WHERE platform = ?"
            " AND channel IN (SELECT value FROM json_each(?))", (platform, json.dumps(list(channels))))
        return {str(channel): str(language) for channel, language in rows}
