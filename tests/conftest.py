from __future__ import annotations

import pathlib

import pytest

from bot.digest_markdown import parse_file
from bot.models import Digest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "daily-papers-2024-06-28.md"


@pytest.fixture
def seed_digest() -> Digest:
    result = parse_file(SEED)
    assert result.digest is not None
    return result.digest


@pytest.fixture
async def store(tmp_path):
    from storage.sqlite import SQLiteStore

    s = await SQLiteStore.open(tmp_path / "paperbot.db")
    yield s
    await s.close()


@pytest.fixture
async def seeded(store, seed_digest):
    await store.ingest(seed_digest, source=str(SEED))
    return store
