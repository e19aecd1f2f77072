"""Health, readiness and metrics over real HTTP; the fetch catch-up against a real store and folder source."""

from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import health, metrics
from bot.fetch import CatchUp, zone
from bot.http import FetchError
from bot.sources.base import SourceResult
from bot.sources.markdown import markdown_source
from tests.conftest import SEED

UTC = dt.UTC


def day_file(folder: Path, day: dt.date) -> Path:
    """The seed digest, dated ``day`` (same papers)."""
    text = SEED.read_text(encoding="utf-8").replace("2024-06-28", day.isoformat())
    path = folder / f"daily-papers-{day.isoformat()}.md"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _fresh_metrics():
    metrics.forget_fetches()
    yield
    metrics.forget_fetches()


@pytest.fixture
async def served(store):
    state = health.Health(lambda: store.fetch_runs(dt.datetime.now(dt.UTC).date()), platform="discord", fetching=True)
    runner = await health.start(state, "127.0.0.1", 0)
    port = runner.addresses[0][1]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        yield client
    await runner.cleanup()
    health.connected(lambda: False)


async def test_healthz_readyz_and_metrics_answer_over_http(served):
    health.connected(lambda: False)
    assert (await served.get("/healthz")).json() == {"status": "ok"}

    response = await served.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False and body["checks"]["database"] == "ok"
    assert body["reason"] == "platform: discord not connected; fetch: no successful fetch yet"

    health.connected(lambda: True)
    metrics.fetch_succeeded(dt.datetime.now(UTC) - dt.timedelta(hours=30))
    body = (await served.get("/readyz")).json()
    assert body["reason"] == "fetch: last successful fetch 30 h ago (window 26 h)"
    metrics.fetch_succeeded(dt.datetime.now(UTC) - dt.timedelta(minutes=5))
    response = await served.get("/readyz")
    assert response.status_code == 200 and response.json() == {
        "ready": True, "checks": {"database": "ok", "platform": "ok", "fetch": "ok"}}

    before = _samples((await served.get("/metrics")).text)
    metrics.parts_sent.labels("discord").inc(3)
    metrics.rate_limited.labels("slack").inc()
    metrics.alerts_sent.inc()
    response = await served.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    after = _samples(response.text)
    assert after[("paperbot_parts_sent_total", (("platform", "discord"),))] - \
        before.get(("paperbot_parts_sent_total", (("platform", "discord"),)), 0) == 3
    assert after[("paperbot_rate_limited_total", (("platform", "slack"),))] >= 1
    assert after[("paperbot_alerts_sent_total", ())] >= 1
    age = after[("paperbot_last_fetch_age_seconds", ())]
    assert 290 <= age <= 400


async def test_readyz_says_when_the_database_is_gone(store):
    state = health.Health(lambda: store.fetch_runs(dt.datetime.now(dt.UTC).date()), platform="slack", fetching=False)
    health.connected(lambda: True)
    await store.close()
    checks = await state.checks()
    assert checks["platform"] == "ok" and checks["database"].startswith("unreachable")
    assert "fetch" not in checks  # no sources configured: not a readiness condition


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if not math.isnan(sample.value):
                found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_a_fresh_deployment_fetches_today_first_and_at_once(store, tmp_path):
    folder = tmp_path / "digests"
    folder.mkdir()
    today = dt.date(2024, 7, 3)
    day_file(folder, today)
    catch_up = CatchUp(store, store, [markdown_source(folder, name="folder")], dt.time(9, 30), zone("UTC"), 3)
    early = dt.datetime(2024, 7, 3, 3, 0, tzinfo=UTC)  # before today's fetch time
    outcomes = await catch_up.tick(early)
    assert [(o.date, o.status) for o in outcomes] == [
        (today, "ingested"), (dt.date(2024, 7, 2), "failed"), (dt.date(2024, 7, 1), "failed")]
    assert (await store.digest()).date == today
    assert metrics.last_fetch_ok() == early
    assert await catch_up.tick(early + dt.timedelta(seconds=30)) == []  # nothing due; the misses are backing off
    # the source publishes yesterday's file late: fetched once its back-off (1 min) has run out
    day_file(folder, dt.date(2024, 7, 2))
    outcomes = await catch_up.tick(early + dt.timedelta(minutes=1))
    assert [(o.date, o.status) for o in outcomes] == [(dt.date(2024, 7, 2), "ingested"),
                                                      (dt.date(2024, 7, 1), "failed")]
    assert await catch_up.tick(early + dt.timedelta(minutes=2)) == []  # 07-01 now waits 2 min
    # at the fetch time, today is fetched again (it was fetched before publication), once
    at_fetch_time = dt.datetime(2024, 7, 3, 9, 30, tzinfo=UTC)
    outcomes = await catch_up.tick(at_fetch_time)
    assert [(o.date, o.status) for o in outcomes] == [(today, "ingested"), (dt.date(2024, 7, 1), "failed")]
    assert [o.date for o in await catch_up.tick(at_fetch_time + dt.timedelta(seconds=1))] == []


async def test_a_day_missed_while_down_is_caught_up_after_a_restart(store, tmp_path):
    folder = tmp_path / "digests"
    folder.mkdir()
    for day in (dt.date(2024, 7, 1), dt.date(2024, 7, 2), dt.date(2024, 7, 3)):
        day_file(folder, day)
    source = markdown_source(folder, name="folder")
    first = CatchUp(store, store, [source], dt.time(9, 30), zone("UTC"), 2)
    monday = dt.datetime(2024, 7, 1, 10, 0, tzinfo=UTC)
    assert [o.date for o in await first.tick(monday)] == [dt.date(2024, 7, 1), dt.date(2024, 6, 30)]
    # down on Tuesday; back on Wednesday morning, before the fetch time: a new process
    restarted = CatchUp(store, store, [source], dt.time(9, 30), zone("UTC"), 2)
    wednesday = dt.datetime(2024, 7, 3, 8, 0, tzinfo=UTC)
    outcomes = await restarted.tick(wednesday)
    assert [(o.date, o.status) for o in outcomes] == [(dt.date(2024, 7, 3), "ingested"),
                                                      (dt.date(2024, 7, 2), "ingested")]
    assert [d for d in await store.digest_dates()][-3:] == [dt.date(2024, 7, 1), dt.date(2024, 7, 2),
                                                            dt.date(2024, 7, 3)]


class Flaky:
    """A source that fails ``failures`` times, then serves the seed digest."""

    name = "flaky"

    def __init__(self, failures: int, folder: Path) -> None:
        self.failures = failures
        self.calls: list[dt.date | None] = []
        self.folder = folder

    async def fetch(self, date: dt.date | None) -> SourceResult:
        self.calls.append(date)
        if len(self.calls) <= self.failures:
            raise FetchError("HTTP 503 from https://example.invalid/", url="https://example.invalid/", status=503)
        return await markdown_source(self.folder).fetch(date)


async def test_a_failed_fetch_is_retried_with_back_off_through_the_day(store, tmp_path):
    folder = tmp_path / "digests"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    source = Flaky(3, folder)
    catch_up = CatchUp(store, store, [source], dt.time(9, 30), zone("UTC"), 1)
    start = dt.datetime(2024, 6, 28, 9, 30, tzinfo=UTC)
    tried = []
    for minute in range(0, 10):
        outcomes = await catch_up.tick(start + dt.timedelta(minutes=minute))
        tried += [(minute, o.status) for o in outcomes]
    # 1, 2, 4 minutes apart, then the digest: no more tries
    assert tried == [(0, "failed"), (1, "failed"), (3, "failed"), (7, "ingested")]
    assert (await store.digest()).date == dt.date(2024, 6, 28)
    runs = await store.fetch_runs(dt.date(2024, 6, 28))
    assert [(r.source, r.ok_status, r.error) for r in runs] == [("flaky", "ingested", "")]
