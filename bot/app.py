"""The running bot, independent of any platform: settings, store and commands together."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.commands import Commands
from bot.config import Settings
from bot.digest_markdown import parse_file
from bot.seeds import seed_files
from storage.base import Store
from storage.sqlite import SQLiteStore

log = logging.getLogger(__name__)


@dataclass
class PaperBot:
    settings: Settings
    store: Store
    commands: Commands

    @classmethod
    async def open(cls, settings: Settings, *, db: str | None = None) -> PaperBot:
        store = await SQLiteStore.open(db or settings.db)
        return cls(settings, store, Commands(store, default_timezone=settings.timezone))

    async def ensure_seeded(self) -> int:
        """On first start (no digest stored), ingest the bundled sample digest; papers added."""
        if await self.store.digest_dates():
            return 0
        added = 0
        for path in seed_files():
            result = parse_file(path)
            if result.digest is not None:
                added += len((await self.store.ingest(result.digest, source=f"seed:{path.name}")).added)
        log.info("first start: stored the bundled sample digest (%d papers)", added)
        return added

    async def close(self) -> None:
        await self.store.close()
