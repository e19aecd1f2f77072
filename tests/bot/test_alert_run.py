"""A whole alert run: matches kept per term, one claim per batch, identical alerts rendered once, sent at once."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re

import pytest
from rich.console import Console

from adapters.console.transport import ConsoleTransport
from bot import alerts, matching
from bot.delivery import Deliverer
from bot.i18n import DEFAULT, Lang
from bot.models import Digest, Paper

DAY = dt.date(2024, 7, 1)
PAPERS = (
    Paper("2407.00001", "https://arxiv.org/abs/2407.00001", "Step-DPO: Step-wise Preference Optimization",
          authors=("Raghav Kumar", "Yu Wang"),
          sections=(("What's New", "수학적추론을 강화 학습으로 개선합니다. RAG 파이프라인을 씁니다."),)),
    Paper("2407.00002", "https://arxiv.org/abs/2407.00002", "Fragmented Transformers_v2", authors=("Li Wei",),
          sections=(("What's New", "강화학습 기반 추론은 chain-of-thought 방식입니다.\nC++ 코드, 100% 재현."),)),
    Paper("2407.00003", "https://arxiv.org/abs/2407.00003", "Diffusion models at scale", authors=("Wang Lei",),
          sections=(("What's New", "확산 모델(diffusion model)을 다룹니다. GPT-4o와 비교."),
                    ("Results", "뷰 합성이 좋아집니다; the multi-step diffusion-model wins."))),
    Paper("2407.00004", "https://arxiv.org/abs/2407.00004", "이미지 생성 평가: Vision-Language Models",
          authors=("김철수",),
          sections=(("What's New", "GPT-4 기반 평가에서 100% 정확도. 모델 크기는 1000B. Step DPO"),)),
)
#: terms where a word boundary, a prefix, a separator or an author name decides
TERMS = ("추론", "수학적 추론", "강화학습", "강화 학습", "뷰", "합성", "RAG", "Raghav", "Wang", "Wan", "Yu Wang",
         "wang yu", "transformer", "transformers v2", "former", "chain-of-thought", "chain of", "Step-DPO",
         "step dpo", "dpo", "diffusion", "diffusion model", "diffusion-models", "multi step", "GPT-4", "gpt 4o",
         "GPT", "100%", "1000", "c++", "C", "김철수", "생성 평가", "vision language", "models at", "at scale",
         "scale", "없는말", "Li Wei", "wei", "kumar yu")


async def test_alerts_match_exactly_what_the_matching_rule_says(store):
    await store.ingest(Digest(DAY, PAPERS))
    for i, term in enumerate(TERMS):
        await store.add_subscription("console", f"user:T{i}", "keyword", term)
    await store.add_subscription("console", "user:A", "author", "Wang")
    found = await alerts.match(store, PAPERS)
    texts = {p.arxiv_id: matching.paper_text(p) for p in PAPERS}
    for i, term in enumerate(TERMS):
        rule = {pid for pid, text in texts.items() if matching.keyword_matches(matching.fold(term), text)}
        assert set(found.get(("console", f"user:T{i}"), {})) == rule, term
    assert set(found[("console", "user:A")]) == {"2407.00001", "2407.00003"}  # Yu Wang, Wang Lei
    assert found[("console", "user:T0")] == {"2407.00001": ["추론"], "2407.00002": ["추론"]}


async def test_matches_stay_per_term_until_a_subscribers_alert_is_built(store):
    await store.ingest(Digest(DAY, PAPERS))
    for who, term in (("U1", "diffusion"), ("U2", "diffusion"), ("U2", "GPT-4"), ("U3", "없는말")):
        await store.add_subscription("console", f"user:{who}", "keyword", term)
    found = await alerts.match_terms(store, PAPERS)
    assert sorted(found.papers.values()) == [("2407.00003",), ("2407.00003", "2407.00004")]  # one entry a term
    assert set(found.subscribers) == {("console", "user:U1"), ("console", "user:U2")}
    assert found.hits(("console", "user:U2")) == {"2407.00003": ["diffusion", "GPT-4"], "2407.00004": ["GPT-4"]}
    assert found.pairs == 4  # (subscription, paper)


async def test_identical_alerts_are_rendered_once_and_each_subscriber_sees_its_own_terms(store):
    await store.ingest(Digest(DAY, PAPERS))
    for who in ("U1", "U2", "U3"):
        await store.add_subscription("console", f"user:{who}", "keyword", "diffusion")
    await store.add_subscription("console", "user:U3", "keyword", "GPT-4")
    await store.add_subscription("console", "channel:C9", "keyword", "diffusion")
    out = io.StringIO()
    deliverer = Deliverer(store, {"console": ConsoleTransport(Console(file=out, width=120, color_system=None))})
    run = await alerts.run_alerts(store, deliverer, DAY, PAPERS)
    assert sorted((r.target, r.outcome, r.sent) for r in run.results) == [
        ("C9", "sent", 1), ("user:U1", "sent", 1), ("user:U2", "sent", 1), ("user:U3", "sent", 1)]
    assert (run.renders, run.renders_reused) == (2, 2)  # U1, U2 and C9 got the same alert: rendered once
    text = out.getvalue()
    alerts_shown = re.split(r"(?=→ )", text)[1:]
    assert len(alerts_shown) == 4
    day = Lang(DEFAULT).date(DAY)  # as the header shows it
    assert sum(f"1 new paper for your alerts — {day}" in a and "matched: diffusion" in a
               for a in alerts_shown) == 3
    (u3,) = [a for a in alerts_shown if "2 new papers" in a]
    assert "matched: diffusion, GPT-4" in u3 and "matched: GPT-4" in u3
    assert [line for line in text.splitlines() if line.startswith("→ #C9")]  # the channel alert went to the channel
    # claimed once ever: a second run finds nothing new, renders and sends nothing
    again = await alerts.run_alerts(store, deliverer, DAY, PAPERS)
    assert (again.results, again.renders) == ([], 0)


async def test_many_subscribers_get_one_alert_each_sent_at_once(store):
    await store.ingest(Digest(DAY, PAPERS))
    for i in range(300):
        await store.add_subscription("console", f"user:M{i}", "keyword", ("추론", "diffusion", "RAG")[i % 3])
    out = io.StringIO()
    transport = ConsoleTransport(Console(file=out, width=120, color_system=None))
    transport.max_concurrency = 50  # type: ignore[misc]
    run = await alerts.run_alerts(store, Deliverer(store, {"console": transport}), DAY, PAPERS)
    assert len(run.results) == 300 and {r.outcome for r in run.results} == {"sent"}
    assert run.renders == 3 and run.batches == 300
    assert sorted(re.findall(r"→ you: 🔔 (\d) new", out.getvalue())).count("2") == 100  # 추론: two papers
    assert out.getvalue().count("→ you: ") == 300


def test_a_paper_matched_by_the_same_terms_is_one_card_rendered_once_for_every_subscriber():
    from adapters.slack.render import render
    from bot.alert_send import AlertBatch, alert_messages

    a, b, c = PAPERS[:3]
    cards: dict = {}
    t = Lang("en")
    one = alert_messages(AlertBatch("slack", "user:U1", DAY, ((a, ("RAG",)), (b, ("추론",))), "alert:x"), t, cards)
    two = alert_messages(AlertBatch("slack", "user:U2", DAY, ((b, ("추론",)), (c, ("추론",))), "alert:x"), t, cards)
    assert one[0].blocks[2] is two[0].blocks[1]  # the same card object, wherever it stands in the alert
    first, second = render(one)[0].body["blocks"], render(two)[0].body["blocks"]
    card_b = [block for block in first if "Fragmented" in str(block)]
    assert card_b and all(any(block is mine for mine in second) for block in card_b)  # rendered once, shared
    assert card_b[0]["text"]["text"].startswith("*<")  # no rank before the title: the same in every alert


async def test_claims_in_many_statements_give_each_subscriber_its_own_papers_once(store, monkeypatch):
    """Claims go to the store a few statements at a time while the next are combined: the alerts are the same
    as from one statement, and a second run finds nothing."""
    await store.ingest(Digest(DAY, PAPERS))
    terms = ("추론", "diffusion", "RAG", "GPT-4")
    for i in range(60):
        for term in terms[i % 4:i % 4 + 2]:
            await store.add_subscription("console", f"user:M{i:02d}", "keyword", term)
    whole = await alerts.match_terms(store, PAPERS)
    monkeypatch.setattr(alerts, "CLAIM_PAIRS", 3)
    monkeypatch.setattr(alerts, "_YIELD_EVERY", 2)
    got = await alerts.batches(store, DAY, PAPERS)
    assert [b.subscriber for b in got] == [f"user:M{i:02d}" for i in range(60)]
    order = [p.arxiv_id for p in PAPERS]
    for batch in got:
        hits = whole.hits(("console", batch.subscriber))
        assert [(p.arxiv_id, terms) for p, terms in batch.papers] == [
            (pid, tuple(hits[pid])) for pid in order if pid in hits]  # digest order, each with its terms
    assert await alerts.batches(store, DAY, PAPERS) == []


async def test_a_claim_that_fails_stops_the_run_with_no_claim_left_running(store, monkeypatch):
    await store.ingest(Digest(DAY, PAPERS))
    for i in range(20):
        await store.add_subscription("console", f"user:F{i:02d}", "keyword", "diffusion")
    claim, calls = store.claim_alerts_many, []

    async def failing(platform, key, claims):
        calls.append(sorted(claims))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        await asyncio.sleep(0.01)
        return await claim(platform, key, claims)

    monkeypatch.setattr(store, "claim_alerts_many", failing)
    monkeypatch.setattr(alerts, "CLAIM_PAIRS", 2)
    monkeypatch.setattr(alerts, "_YIELD_EVERY", 1)
    with pytest.raises(RuntimeError, match="disk full"):
        await alerts.batches(store, DAY, PAPERS)
    assert asyncio.all_tasks() == {asyncio.current_task()}
    monkeypatch.setattr(store, "claim_alerts_many", claim)
    recovered = await alerts.orphans(store, {"console"})  # claimed before the failure: resumed, not lost
    again = await alerts.batches(store, DAY, PAPERS)
    assert sorted(b.subscriber for b in recovered + again) == [f"user:F{i:02d}" for i in range(20)]
