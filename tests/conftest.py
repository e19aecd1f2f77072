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


@pytest.fixture(autouse=True)
def _no_fetch_catch_up(monkeypatch):
    """The fetch catch-up fetches at start; tests that start a bot opt in (PAPERBOT_FETCH_CATCHUP_DAYS),
    so the embedded default source (Hugging Face) is never reached from a test."""
    monkeypatch.setenv("PAPERBOT_FETCH_CATCHUP_DAYS", "0")
