"""Topic alerts: matching through the gram index, batching, once per (subscriber, paper) ever."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

from rich.console import Console

from adapters.console.transport import ConsoleTransport
from bot import alerts
from bot.commands import Commands, Request
from bot.delivery import Deliverer
from bot.models import Digest, Paper
from storage.sqlite import SQLiteStore


def subscribe(commands: Commands, user: str, topic: str, *, channel: bool = False):
    args = f"--channel {topic}" if channel else topic
    return commands.handle(Request("console", user, "C1", "subscribe", args, can_manage_channel=True))


async def test_korean_english_and_author_subscriptions_alert_once_batched(seeded, seed_digest):
    commands = Commands(seeded)
    await subscribe(commands, "U1", "추론")
    await subscribe(commands, "U1", 'author:"Yu Wang"')
    await subscribe(commands, "U2", "segmentation")
    await subscribe(commands, "U2", "세그멘테이션")
    await subscribe(commands, "U3", "RAG")  # ASCII: a word start, not "fragment"
    await subscribe(commands, "U4", "모델", channel=True)
    out = io.StringIO()
    deliverer = Deliverer(seeded, {"console": ConsoleTransport(Console(file=out, width=120, color_system=None))})
    results = await alerts.deliver_alerts(seeded, deliverer, seed_digest.date, seed_digest.papers)
    by_target = {r.target: r for r in results}
    assert set(by_target) == {"user:U1", "user:U2", "user:U3", "C1"}
    assert all(r.outcome == "sent" and r.sent == 1 for r in results)  # one batched message each
    text = out.getvalue()
    assert "🔔 4 new papers for your alerts — 2024-06-28" in text  # U1: two by 추론, two by author
    assert 'matched: author:"Yu Wang"' in text and "matched: 추론" in text
    assert "matched: segmentation, 세그멘테이션" in text  # both terms named, one card
    assert "SeaKR" in text
    # once ever: the same digest again, or the papers again in a later digest, alert nobody
    assert await alerts.deliver_alerts(seeded, deliverer, seed_digest.date, seed_digest.papers) == []
    later = Digest(dt.date(2024, 6, 29), (dataclasses.replace(seed_digest.papers[0], votes=50),))
    assert await alerts.deliver_alerts(seeded, deliverer, later.date, later.papers) == []


async def test_unsubscribe_stops_alerts_and_a_new_paper_alerts_again(seeded):
    commands = Commands(seeded)
    await subscribe(commands, "U1", "diffusion")
    await subscribe(commands, "U1", "transformer")
    await commands.handle(Request("console", "U1", "C1", "unsubscribe", "diffusion"))
    new = Paper("2407.00009", "https://arxiv.org/abs/2407.00009", "Diffusion Transformers at Scale",
                sections=(("What's New", "확산 모델과 Transformers를 결합합니다."),))
    found = await alerts.match(seeded, [new])
    assert found == {("console", "user:U1"): {"2407.00009": ["transformer"]}}


async def test_matching_cost_does_not_touch_unrelated_subscriptions(seeded, seed_digest, tmp_path):
    for i in range(300):
        await seeded.add_subscription("console", f"user:N{i}", "keyword", f"zzq{i:03d}nomatch")
    await seeded.add_subscription("console", "user:HIT", "keyword", "Step-DPO")
    candidates = await seeded.subscription_candidates(
        set().union(*(alerts.matching.text_grams(alerts.matching.paper_text(p)) for p in seed_digest.papers)),
        set(),
    )
    assert [c.subscriber for c in candidates] == ["user:HIT"]  # the 300 others are never even read


async def test_subscriptions_stored_before_the_index_get_their_gram(tmp_path):
    import sqlite3

    from storage.migrations import migrations

    path = tmp_path / "v3.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for m in migrations()[:3]:
        db.executescript(m.sql)
        db.execute("INSERT INTO schema_version VALUES (?)", (m.version,))
    db.execute("INSERT INTO subscriptions(platform, subscriber, kind, term, term_key) "
               "VALUES ('slack', 'user:U1', 'keyword', '추론', '추론')")
    db.commit()
    db.close()
    store = await SQLiteStore.open(path)
    try:
        (sub,) = await store.all_subscriptions()
        assert sub.gram == "추론"
    finally:
        await store.close()
