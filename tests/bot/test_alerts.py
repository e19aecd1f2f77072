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
from bot.i18n import DEFAULT, Lang
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
    day = Lang(DEFAULT).date(seed_digest.date)  # as the header shows it
    assert f"🔔 4 new papers for your alerts — {day}" in text  # U1: two by 추론, two by author
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


async def test_matching_reads_only_the_matched_terms_subscriptions(seeded, seed_digest):
    for i in range(300):
        await seeded.add_subscription("console", f"user:N{i}", "keyword", f"zzq{i:03d}nomatch")
    await seeded.add_subscription("console", "user:HIT", "keyword", "Step-DPO")
    asked = []
    term_subscribers = seeded.term_subscribers

    async def spy(keyword_keys, author_keys):
        asked.append((list(keyword_keys), list(author_keys)))
        return await term_subscribers(keyword_keys, author_keys)

    seeded.term_subscribers = spy
    found = await alerts.match_terms(seeded, seed_digest.papers)
    assert asked == [(["step-dpo"], [])]  # the 300 others are never even read
    assert list(found.subscribers) == [("console", "user:HIT")]


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


RULE_PAPERS = (
    Paper("2407.00001", "https://arxiv.org/abs/2407.00001", "Step-DPO: Step-wise Preference Optimization",
          authors=("Raghav Kumar", "Yu Wang"),
          sections=(("What's New", "수학적추론을 강화 학습으로 개선합니다. RAG 파이프라인을 씁니다."),)),
    Paper("2407.00002", "https://arxiv.org/abs/2407.00002", "Fragmented Transformers", authors=("Li Wei",),
          sections=(("What's New", "강화학습 기반 추론은 chain-of-thought 방식입니다."),)),
    Paper("2407.00003", "https://arxiv.org/abs/2407.00003", "Diffusion models at scale", authors=("Wang Lei",),
          sections=(("What's New", "확산 모델(diffusion model)을 다룹니다."), ("Results", "뷰 합성이 좋아집니다."))),
    Paper("2407.00004", "https://arxiv.org/abs/2407.00004", "이미지 생성 평가", authors=("김철수",),
          sections=(("What's New", "GPT-4o 기반 평가에서 100% 정확도. 모델 크기는 1000B."),)),
)
#: term → the papers it matches, by the one rule (bot.matching)
RULE_CASES = {
    "추론": {"2407.00001", "2407.00002"},  # inside 수학적추론을, and 추론은
    "수학적 추론": {"2407.00001"},  # spacing ignored
    "강화학습": {"2407.00001", "2407.00002"},
    "강화 학습": {"2407.00001", "2407.00002"},
    "뷰": {"2407.00003"},  # one character: a word start
    "합성": {"2407.00003"},
    "RAG": {"2407.00001"},  # the summary's RAG, not "Raghav", not "Fragmented"
    "Raghav": {"2407.00001"},  # an author's whole word
    "Wang": {"2407.00001", "2407.00003"},
    "Wan": set(),  # authors: whole words only
    "transformer": {"2407.00002"},  # a word start in the title
    "former": set(),
    "chain-of-thought": {"2407.00002"},
    "Step-DPO": {"2407.00001"},
    "diffusion": {"2407.00003"},
    "GPT-4": {"2407.00004"},  # GPT-4o: the last word may continue
    "100%": {"2407.00004"},  # a term ending in a mark ends with a whole word: not 1000B
    "김철수": set(),  # a Korean term is not compared with author names
    "생성 평가": {"2407.00004"},
    "없는말": set(),
}


async def test_search_and_alerts_apply_one_matching_rule(store):
    await store.ingest(Digest(dt.date(2024, 7, 1), RULE_PAPERS))
    for i, term in enumerate(RULE_CASES):
        await store.add_subscription("console", f"user:T{i}", "keyword", term)
    alerted = await alerts.match(store, RULE_PAPERS)
    for i, (term, expected) in enumerate(RULE_CASES.items()):
        found = {h.paper.paper.arxiv_id for h in (await store.search(term, limit=20)).hits}
        by_alert = set(alerted.get(("console", f"user:T{i}"), {}))
        assert (found, by_alert) == (expected, expected), term


async def test_alerts_speak_the_channels_language_and_dms_the_process_language(seeded, seed_digest):
    commands = Commands(seeded)
    await subscribe(commands, "U1", "추론")
    await subscribe(commands, "U4", "모델", channel=True)
    await seeded.set_channel_language("console", "C1", "ko")
    out = io.StringIO()
    deliverer = Deliverer(seeded, {"console": ConsoleTransport(Console(file=out, width=120, color_system=None))})
    await alerts.deliver_alerts(seeded, deliverer, seed_digest.date, seed_digest.papers, language=Lang("en"))
    text = out.getvalue()
    assert "🔔 알림 주제의 새 논문" in text and "2024년 6월 28일 (금)" in text  # the Korean channel
    assert f"new papers for your alerts — {Lang('en').date(seed_digest.date)}" in text  # U1's DM, in English
    assert "`/papers 구독취소 <주제>`" in text and "Stop an alert with `/papers unsubscribe <topic>`." in text
