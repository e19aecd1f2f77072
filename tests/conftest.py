from __future__ import annotations

import os
import pathlib

import pytest
from hypothesis import HealthCheck, settings

from bot.digest_markdown import parse_file
from bot.models import Digest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "daily-papers-2024-06-28.md"

# Hypothesis: one place for how hard the property tests try. "dev" (the default) is quick and random, and replays
# failures from .hypothesis/; "ci" (CI=true, or HYPOTHESIS_PROFILE=ci) tries more examples, the same ones every run.
# Generated digests are big on purpose, hence no deadline and no too-slow/too-large health checks.
_PROPERTY_TESTS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
settings.register_profile("dev", _PROPERTY_TESTS, max_examples=20)
settings.register_profile("ci", _PROPERTY_TESTS, max_examples=30, derandomize=True, database=None, print_blob=True)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI", "").lower() in ("1", "true") else "dev")
)


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


@pytest.fixture(autouse=True)
def _logging_restored():
    """A test that runs the CLI in process configures logging (``bot.logs.configure`` replaces the root
    handlers with one on that test's stderr); put the root logger and the quieted loggers back afterwards,
    so later tests' ``caplog`` and stderr are not written through a closed stream."""
    import logging

    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    levels = {name: logging.getLogger(name).level for name in list(logging.root.manager.loggerDict)}
    yield
    for handler in root.handlers:
        if handler not in saved[0]:
            root.removeHandler(handler)
    for handler in saved[0]:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(saved[1])
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
