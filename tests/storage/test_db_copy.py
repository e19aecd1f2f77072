"""Moving an install: ``paperbot db copy`` from SQLite into PostgreSQL, then the same answers there."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.cli import main
from bot.models import Digest, Paper
from bot.payload import Payload
from bot.store import Schedule
from tests.conftest import SEED
from tests.storage.conftest import run_apart

QUERIES = ["추론", "세그멘테이션", "모델", "LLaVA", "preference optimization", '"Preference Optimization"', "GUI",
           "강화 학습", "추론 Step", "RAG", "뷰", "model", "다시 쓴", "수학적"]
AUTHORS = ["Juanzi Li", "Ning", "hernandez"]
T0 = dt.datetime(2024, 6, 28, 9, 0, tzinfo=dt.UTC)


async def answers(store) -> dict[str, object]:
    """What a user sees: search pages, author pages, subscriptions, schedules, the ledger."""
    seen: dict[str, object] = {}
    for q in QUERIES:
        page = await store.search(q)
        seen[f"search {q}"] = (page.total, [(h.paper.paper.arxiv_id, h.snippet) for h in page.hits])
    for name in AUTHORS:
        page = await store.search_authors(name)
        seen[f"author {name}"] = (page.total, [(h.paper.paper.arxiv_id, h.matched_authors) for h in page.hits])
    seen["digests"] = [(d, (await store.digest(d)).digest()) for d in await store.digest_dates()]
    seen["subscriptions"] = await store.subscriptions("discord", "user:1")
    seen["schedules"] = await store.schedules()
    seen["post"] = await store.post("discord", "C1", "digest:2024-06-28")
    seen["alert"] = await store.post("slack", "U1", "alert:2024-06-28")  # stored as elements on SQLite
    seen["sent"] = await store.sent_posts("discord", "C1")
    seen["runs"] = [(r.platform, r.target, r.post_key, r.outcome) for r in await store.last_runs()]
    seen["unavailable"] = await store.unavailable("slack")
    seen["fetches"] = await store.fetch_runs(dt.date(2024, 6, 1))
    seen["language"] = await store.channel_language("discord", "C1")
    return seen


async def make_install(path, seed_digest) -> dict[str, object]:
    from storage.sqlite import SQLiteStore

    store = await SQLiteStore.open(path)
    try:
        await store.ingest(seed_digest, source=str(SEED))
        await store.ingest(Digest(dt.date(2024, 6, 29), (
            Paper("2406.99999", "https://arxiv.org/abs/2406.99999", "José's 추론 model", None, 3,
                  ("José Hernández-Orallo",), (("What's New", "새로운 추론 방법"),)),)))
        step = seed_digest.papers[0]  # summarised again: 2024-06-28 keeps its text, search both
        await store.ingest(Digest(dt.date(2024, 6, 30), (Paper(step.arxiv_id, step.url, step.title, None, 20,
                                                               step.authors, (("Summary", "다시 쓴 요약"),)),)))
        await store.add_subscription("discord", "user:1", "keyword", "추론")
        await store.add_subscription("discord", "user:1", "author", "Juanzi Li")
        await store.claim_alerts("discord", "user:1", "alert:2024-06-28:user:1", {"2406.18629": ["추론"]})
        await store.set_schedule(Schedule("discord", "C1", dt.time(9, 0), "Asia/Seoul", (0, 1, 2, 3, 4), since=T0))
        post = [Payload({"content": "digest"}), Payload({"content": "reply"}, thread_of=0)]
        await store.open_post("discord", "C1", "digest:2024-06-28", post, now=T0)
        card = {"type": "section", "text": {"type": "mrkdwn", "text": "*추론* ✓"}}
        alert = [Payload({"text": "alert", "blocks": [card, {"type": "divider"}, card]}),
                 Payload({"embeds": [card]}, thread_of=0, source=1)]
        await store.open_post("slack", "U1", "alert:2024-06-28", alert, now=T0)
        await store.renew_lease("run-1", T0 + dt.timedelta(minutes=1))
        await store.claim_part("discord", "C1", "digest:2024-06-28", 0, "n0", owner="run-1", now=T0)
        await store.mark_sent("discord", "C1", "digest:2024-06-28", 0, "m0", "t0")
        await store.record_run("discord", "C1", "digest:2024-06-28", "sent")
        await store.set_unavailable("slack", "C9", "channel_not_found")
        await store.record_fetch("hf", dt.date(2024, 6, 28), "ingested", T0)
        await store.set_channel_language("discord", "C1", "en")
        return await answers(store)
    finally:
        await store.close()


async def open_copy(url: str, schema: str) -> dict[str, object]:
    from storage.postgres import PostgresStore

    store = await PostgresStore.open(url, schema=schema)
    try:
        seen = await answers(store)
        assert await store.claim_alerts("discord", "user:1", "alert:x", {"2406.18629": [], "new": []}) == ["new"]
        sub, created = await store.add_subscription("discord", "user:2", "keyword", "모델")  # ids move on
        assert created and sub.id == 3
        return seen
    finally:
        await store.close()


def test_a_sqlite_install_copied_to_postgres_answers_the_same(tmp_path, seed_digest, pg_schema, capsys):
    url, schema = pg_schema
    path = tmp_path / "paperbot.db"
    before = run_apart(make_install(path, seed_digest))
    target = f"{url}?schema={schema}"
    assert main(["db", "copy", str(path), target]) == 0
    shown = capsys.readouterr().out
    assert "papers" in shown and "every count checked" in shown
    after = run_apart(open_copy(url, schema))
    assert after == before
    # a second copy into the same database is refused, in one line, and changes nothing
    assert main(["db", "copy", str(path), target]) == 1
    err = capsys.readouterr().err
    assert "already holds papers" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(("source", "target", "message"), [
    ("missing.db", "postgresql://postgres@127.0.0.1/test", "no such SQLite database file"),
    ("paperbot.db", "/tmp/other.db", "is not a PostgreSQL URL"),
])
def test_bad_copy_arguments_get_one_line(tmp_path, capsys, source, target, message):
    (tmp_path / "paperbot.db").write_bytes(b"")
    assert main(["db", "copy", str(tmp_path / source), target]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
