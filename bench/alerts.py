"""Alert benchmark: the whole alert run (match, claim, render, send) and :func:`bot.alert_match.match_terms`
(one automaton over every subscribed term) against a naive loop.

    python -m bench.alerts [--papers 1000] [--subscriptions 100000] [--history 5000] [--topics focused|uniform]
                           [--seed 0] [--repeat 1] [--naive-sample 1000] [--send null|slack|off]
                           [--whole-repeat 1] [--send-samples 1000] [--json]

A store holds ``--history`` synthetic papers (``bench.synth``'s text: English titles, Korean
summaries with English terms in parentheses, author lists; by default each paper about a few
Zipf-popular topics, see :class:`FocusedGenerator`). Subscriptions (all on Slack) are then written in bulk
with SQL, ``gram`` from the store's own ``_gram`` rule: Korean keywords of 2–6 characters,
English words and phrases, and authors (full names, surnames, names nobody has), each drawn
with Zipf-like popularity from a pool where research topics, models and benchmarks come first
and a long tail of distinct terms (generic words such as ``모델`` among them) follows. Then
``--papers`` new papers arrive (ingested, as the bot does before alerting) and matching is
timed: a cold run, then the median of ``--repeat`` runs, each from a collected heap, with the
time spent reading the papers with the automaton and in the store's SQL split out. The
baseline is every paper against every subscription with ``bot.matching``'s rules, timed on a
sample of subscriptions and extrapolated (labelled so); on that sample both paths must find
the same (subscription, paper) pairs, as the claim stage combines them.

Then the whole run, :func:`bot.alerts.run_alerts` with a real :class:`~bot.delivery.Deliverer`
from a clean slate (nothing alerted or posted): match, claim (one statement per 50,000 pairs),
render (Slack's renderer; each paper's card once per language, given each subscriber's terms;
identical alerts once) and send every part through the ledger, each stage's wall and CPU time — with
``--send null`` each rendered payload is then dropped (no network: the run's own cost), with
``--send slack`` it goes through slack-sdk and ``SlackTransport`` to the fake Slack in a child
process (``bench.fanout.FakeProcess``; minutes at 100,000 subscriptions on 2 cores). Slack's
own sending floor is reported apart: the larger of its rate limit (the most messages to one
channel − 1 seconds, channels in parallel) and the transport alone (``--send-samples`` messages
and DM opens straight through ``SlackTransport``, no ledger, scaled to the run's counts). All
of it again with twice the subscriptions. ``--whole-repeat`` runs each size's whole run that many times, each
from cold caches (what the renderer and the payload codec keep of an earlier run) and a clean slate, and reports
the median run with every total. Progress goes to stderr; the tables (or ``--json``)
to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import datetime as dt
import gc
import importlib
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import synth
from bench.fanout import FakeProcess, raise_nofile
from bench.results import row, save
from bot import alert_match, alert_send, alerts, matching
from bot.alert_match import subscription_label
from bot.models import Digest, Paper
from bot.store import Subscription
from bot.text import fold
from storage.sqlite import SQLiteStore

TARGET_S = 1.0  # match() for the new papers against all subscriptions, at most
TARGET_SCALING = 2.0  # time(2N subscriptions) / time(N), below
WHOLE_TARGET_S = 10.0  # the whole run (match, claim, render, send) beyond the platform's own sending floor
WHOLE_TARGET_SCALING = 1.5  # whole run at 2N subscriptions / at N, below
SLACK_GAP = 1.0  # the fake Slack's (and Slack's) one message per second per channel
#: what an alert run writes, emptied before each whole run (claims, posts, parts and their stored payloads)
CLEAN_SLATE = ("alerted", "alerted_papers", "alert_claims", "parts", "posts", "payloads", "payload_skeletons",
               "payload_elements")
PLATFORMS = ("slack",)  # the whole run sends through the Slack fake
SHARES = (("keyword-ko", 0.35), ("keyword-en", 0.35), ("author", 0.30))
SUBS_PER_SUBSCRIBER = 3  # on average
ZIPF_S, ZIPF_OFFSET = 1.0, 25  # weight of rank r: 1 / (r + offset) ** s

#: nouns every paper uses whatever its topic
GENERIC = frozenset({"모델", "학습", "데이터셋", "벤치마크", "평가", "파이프라인", "프레임워크", "아키텍처", "레이어",
                     "최적화", "토큰", "프롬프트", "처리량", "임베딩", "손실 함수"})
#: English words as generic as those: few people subscribe to them
GENERIC_EN = frozenset({"model", "models", "benchmark", "framework", "pipeline", "architecture", "layer", "token",
                        "prompt", "embedding", "throughput", "dataset", "training", "evaluation", "optimization",
                        "method", "performance"})


# -- the subscription vocabulary ----------------------------------------------------------------------------------
#: Korean topics beyond the corpus' nouns (most appear in no paper, as most niche subscriptions do)
KO_EXTRA = (
    "양자 컴퓨팅", "추천 시스템", "음성 합성", "단백질 구조", "분자 생성", "시계열 예측", "이상 탐지", "경량화",
    "모델 병합", "데이터 증강", "멀티태스크", "지속 학습", "메타 학습", "인과 추론", "수식 인식", "표 이해",
    "문서 요약", "개체명 인식", "음악 생성", "동작 생성", "포즈 추정", "깊이 추정", "광학 흐름", "초해상도",
    "이미지 복원", "얼굴 인식", "행동 인식", "점군", "궤적 예측", "경로 계획", "보행자 탐지", "차선 인식",
    "의료 챗봇", "법률 문서", "금융 예측", "기후 모델", "신약 개발", "유전체", "뇌파", "수어 번역", "방언 인식",
    "저자원 언어", "한국어 모델", "형태소 분석", "맞춤법 교정", "감성 대화", "페르소나", "대화 시스템",
    "질의 확장", "랭킹 모델", "밀집 검색", "희소 검색", "벡터 검색", "지식 그래프", "관계 추출", "사건 추출",
    "코드 리뷰", "버그 수정", "테스트 생성", "수학 증명", "정리 증명", "기하 문제", "물리 시뮬레이션", "강건성",
    "공정성", "편향", "프라이버시", "차등 프라이버시", "모델 탈옥", "레드팀", "안전성", "해석 가능성",
    "회로 분석", "스케일링 법칙", "데이터 정제", "중복 제거", "커리큘럼 학습", "능동 학습", "준지도 학습",
    "도메인 적응", "분포 이동", "보정", "앙상블", "베이지안", "가우시안 과정", "최적 수송", "신경 미분방정식",
    "스파이킹", "뉴로모픽", "엣지 추론", "온디바이스", "캐시 압축", "KV 캐시", "추측 디코딩", "병렬 디코딩",
    "저정밀도", "희소 전문가", "라우팅", "토크나이저",
)  # fmt: skip
#: English topics beyond the corpus' terms
EN_EXTRA = (
    "protein folding", "weather forecasting", "recommendation", "time series", "anomaly detection", "federated",
    "privacy", "causal inference", "knowledge graph", "speech synthesis", "music generation", "pose estimation",
    "depth estimation", "optical flow", "super-resolution", "image restoration", "face recognition", "point cloud",
    "trajectory prediction", "motion planning", "drug discovery", "genomics", "EEG", "sign language",
    "low-resource", "Korean", "tokenizer", "dialogue", "persona", "query expansion", "reranking", "dense retrieval",
    "vector search", "relation extraction", "code review", "program repair", "test generation", "theorem proving",
    "geometry", "physics simulation", "robustness", "fairness", "bias", "differential privacy", "jailbreak",
    "red teaming", "safety", "interpretability", "mechanistic", "scaling laws", "data curation", "deduplication",
    "curriculum learning", "active learning", "semi-supervised", "domain adaptation", "distribution shift",
    "calibration", "ensemble", "Bayesian", "Gaussian process", "optimal transport", "neural ODE", "spiking",
    "neuromorphic", "on-device", "KV cache", "parallel decoding", "low precision", "FP8", "routing", "world model",
    "embodied", "humanoid", "navigation", "SLAM", "NeRF", "LoRA", "RLHF", "DPO", "PPO", "GRPO", "reward hacking",
    "self-play", "synthetic", "instruction following", "long-form", "math word problems", "olympiad", "AIME",
    "ARC-AGI", "multilingual", "cross-lingual", "OCR", "table", "chart", "layout", "screenshot parsing",
    "web agents", "tool learning", "function calling", "memory", "retrieval", "RAG", "Mamba", "RWKV", "xLSTM",
)  # fmt: skip
EN_NOUNS = (
    "Reasoning", "Segmentation", "Generation", "Retrieval", "Alignment", "Compression", "Distillation", "Decoding",
    "Planning", "Evaluation", "Benchmarks", "Agents", "Transformers", "Tokenization", "Attention", "Pruning",
)  # fmt: skip
SYLLABLES = ("zor", "qui", "vax", "blor", "fen", "tho", "wick", "ul", "mar", "dre", "quen", "ott", "bry", "nix")


def absent_author(rng: random.Random) -> str:
    """A name no paper has (someone subscribes to a colleague who has not published here)."""
    def word() -> str:
        return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3)))).capitalize()
    return f"{word()} {word()}"


def _dedupe(terms: Iterator[str] | Sequence[str], ok: Callable[[str], bool] = lambda _: True) -> list[str]:
    seen: dict[str, str] = {}
    for term in terms:
        key = fold(term)
        if key and key not in seen and ok(term):
            seen[key] = term
    return list(seen.values())


def korean_pool(rng: random.Random) -> list[str]:
    """Research topics first (popular), then a long tail of distinct 2–6 character terms, generic words among them."""

    def fits(term: str) -> bool:
        return 2 <= len(term) <= 6

    generic = [ko for ko, _ in synth.NOUNS if ko in GENERIC] + list(synth.KO_SHORT)
    head = [ko for ko, _ in synth.NOUNS if ko not in GENERIC] + list(KO_EXTRA)
    rng.shuffle(head)
    words = sorted({w for term in head + generic for w in term.split()})
    tail = [f"{a} {b}" for a, b in itertools.permutations(words, 2)] + generic
    tail += [a + b for a, b in itertools.permutations(words, 2)]
    rng.shuffle(tail)
    return _dedupe(itertools.chain(head, tail), fits)


def english_pool(rng: random.Random) -> list[str]:
    """Research topics, models and benchmarks first (popular), then distinct phrases, generic words among them."""
    corpus = [part for _, en in synth.NOUNS for part in en.split(", ")]
    generic_en = {fold(en) for ko, en in synth.NOUNS if ko in GENERIC} | GENERIC_EN
    head = [t for t in corpus if fold(t) not in generic_en] + list(synth.MODELS) + list(synth.BENCHMARKS)
    head += [t for t in synth.EN_WORDS if fold(t) not in generic_en] + [p.strip('"') for p in synth.EN_PHRASES]
    head += list(EN_EXTRA)
    rng.shuffle(head)
    tasks = list(synth.TITLE_TASK) + list(synth.TITLE_METHOD) + list(synth.TITLE_OBJECT) + list(EN_NOUNS)
    tail = [f"{adj} {noun}" for adj in synth.TITLE_ADJ for noun in tasks]
    tail += [f"{a}{b}" for a, b in itertools.permutations(synth.ACRONYM_PARTS, 2)]
    tail += [f"{extra} {noun}" for extra in EN_EXTRA for noun in EN_NOUNS]
    tail += sorted(generic_en)
    rng.shuffle(tail)
    return _dedupe(itertools.chain(head, tail))


class Zipf:
    def __init__(self, items: Sequence[Any], s: float = ZIPF_S, offset: int = ZIPF_OFFSET) -> None:
        self.items = items
        self.cum = list(itertools.accumulate(1.0 / (r + offset) ** s for r in range(len(items))))

    def draw(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect(self.cum, rng.random() * self.cum[-1])]


class FocusedGenerator(synth.Generator):
    """``bench.synth`` papers, each about a few topics of its own.

    ``synth.Generator`` draws every noun uniformly from ~90, so any topic is in about a quarter
    of all papers; real digests are skewed — a few topics are everywhere, most are rare. Here a
    paper picks 2–4 topics with Zipf-like popularity and its sentences use those (60%) or generic
    nouns (``모델``, ``학습`` …); titles, models, benchmarks and authors are synth's own.
    """

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self._generic = [i for i, (ko, _) in enumerate(synth.NOUNS) if ko in GENERIC]
        topics = [i for i in range(len(synth.NOUNS)) if i not in self._generic]
        random.Random(f"topics-{seed}").shuffle(topics)
        self._topics = Zipf(topics, s=1.0, offset=2)
        self._focus: list[int] = topics[:3]

    def paper(self, arxiv_id: str) -> Paper:
        focus: dict[int, None] = {}
        want = self.rng.choice((2, 3, 3, 4))
        while len(focus) < want:
            focus[self._topics.draw(self.rng)] = None
        self._focus = list(focus)
        return super().paper(arxiv_id)

    def noun_index(self) -> int:  # nouns from the paper's topics, else generic ones
        return self.rng.choice(self._focus if self.rng.random() < 0.6 else self._generic)


@dataclass
class Mix:
    korean: Zipf
    english: Zipf
    authors: synth.AuthorPool

    def draw(self, rng: random.Random) -> tuple[str, str]:
        roll = rng.random()
        if roll < SHARES[0][1]:
            return "keyword", self.korean.draw(rng)
        if roll < SHARES[0][1] + SHARES[1][1]:
            return "keyword", self.english.draw(rng)
        name = self.authors.sample(rng, 1)[0]
        pick = rng.random()
        if pick < 0.05:
            return "author", absent_author(rng)
        if pick < 0.15 and " " in name:  # a surname alone
            return "author", name.rsplit(" ", 1)[-1]
        return "author", name


# -- the store ------------------------------------------------------------------------------------------------------
@contextlib.asynccontextmanager
async def bulk(store: SQLiteStore) -> AsyncIterator[None]:
    """The store's backfill mode when it has one."""
    mode = getattr(store, "bulk", None)
    if mode is None:
        yield
    else:
        async with mode():
            yield


async def add_subscriptions(store: SQLiteStore, mix: Mix, n: int, rng: random.Random, first_subscriber: int,
                            grams: dict[tuple[str, str], str]) -> int:
    """``n`` new subscriptions written with SQL in bulk, ``gram`` by the store's own rule; rows added."""
    db = store._db
    created = dt.datetime(2024, 6, 1, tzinfo=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    subscribers = max(1, n // SUBS_PER_SUBSCRIBER)
    added = 0
    while added < n:
        rows = []
        for _ in range(min(n - added, 20_000)):
            kind, term = mix.draw(rng)
            key = fold(term)
            if (kind, key) not in grams:
                grams[(kind, key)] = await store._gram(kind, key)
            who = first_subscriber + rng.randrange(subscribers)
            subscriber = f"channel:C{who}" if who % 10 == 0 else f"user:U{who}"
            rows.append((PLATFORMS[who % len(PLATFORMS)], subscriber, kind, term, key, grams[(kind, key)], created))
        async with store._write:
            before = (await db.execute_fetchall("SELECT count(*) FROM subscriptions"))[0][0]  # type: ignore[index]
            await db.execute("BEGIN")
            await db.executemany("INSERT OR IGNORE INTO subscriptions(platform, subscriber, kind, term, term_key,"
                                 " gram, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            await db.execute("COMMIT")
            after = (await db.execute_fetchall("SELECT count(*) FROM subscriptions"))[0][0]  # type: ignore[index]
        added += after - before
    return added


# -- measuring ------------------------------------------------------------------------------------------------------
@dataclass
class Run:
    subscriptions: int
    cold_s: float = 0.0
    times_s: list[float] = field(default_factory=list)
    papers_s: float = 0.0  # alert_match.match_papers: the automaton built and every paper read, in the median run
    sql_s: float = 0.0  # store.subscribed_terms and store.term_subscribers
    candidates: int = 0  # distinct terms subscribed to (the automaton's)
    distinct_terms: int = 0
    pairs: int = 0  # (subscription, paper) matches
    subscribers: int = 0  # subscribers alerted

    @property
    def median_s(self) -> float:
        return statistics.median(self.times_s) if self.times_s else 0.0


@contextlib.contextmanager
def phase_timer(store: SQLiteStore) -> Iterator[dict[str, float]]:
    """Time the automaton's pass over the papers and the SQL inside ``match_terms`` without changing them."""
    spent = {"papers": 0.0, "sql": 0.0, "candidates": 0}
    match_papers, terms, subscribers = alert_match.match_papers, store.subscribed_terms, store.term_subscribers

    def timed_papers(papers: Sequence[Paper], wanted: Sequence[tuple[str, str]]) -> Any:
        t = time.perf_counter()
        try:
            spent["candidates"] = len(wanted)
            return match_papers(papers, wanted)
        finally:
            spent["papers"] += time.perf_counter() - t

    async def timed_terms() -> list[tuple[str, str]]:
        t = time.perf_counter()
        try:
            return await terms()
        finally:
            spent["sql"] += time.perf_counter() - t

    async def timed_subscribers(keyword_keys: Sequence[str], author_keys: Sequence[str]) -> Any:
        t = time.perf_counter()
        try:
            return await subscribers(keyword_keys, author_keys)
        finally:
            spent["sql"] += time.perf_counter() - t

    alert_match.match_papers = timed_papers  # type: ignore[assignment]
    store.subscribed_terms = timed_terms  # type: ignore[method-assign]
    store.term_subscribers = timed_subscribers  # type: ignore[method-assign]
    try:
        yield spent
    finally:
        alert_match.match_papers = match_papers  # type: ignore[assignment]
        del store.subscribed_terms, store.term_subscribers


async def time_match(store: SQLiteStore, papers: Sequence[Paper], subscriptions: int,
                     repeat: int) -> tuple[Run, alerts.Matches]:
    """A cold run, then ``repeat`` timed ones, each from a collected heap (no result of the last run alive)."""
    run = Run(subscriptions)
    gc.collect()
    t = time.perf_counter()
    found = await alerts.match_terms(store, papers)
    run.cold_s = time.perf_counter() - t
    phases = []
    for _ in range(repeat):
        del found
        gc.collect()
        with phase_timer(store) as spent:
            t = time.perf_counter()
            found = await alerts.match_terms(store, papers)
            run.times_s.append(time.perf_counter() - t)
        phases.append(spent)
    middle = phases[sorted(range(repeat), key=lambda i: run.times_s[i])[repeat // 2]]
    run.papers_s, run.sql_s, run.candidates = middle["papers"], middle["sql"], int(middle["candidates"])
    run.pairs = found.pairs
    run.subscribers = len(found.subscribers)
    return run, found


def naive(subs: Sequence[Subscription], papers: Sequence[Paper]) -> dict[int, set[str]]:
    """Every paper against every subscription with ``bot.matching``'s rules: ``{subscription id: {arxiv_id}}``."""
    texts = [(p.arxiv_id, matching.paper_text(p)) for p in papers]
    authors = [(p.arxiv_id, matching.paper_author_tokens(p)) for p in papers]
    out: dict[int, set[str]] = {}
    for sub in subs:
        if sub.kind == "keyword":
            hits = {pid for pid, text in texts if matching.keyword_matches(sub.term_key, text)}
        else:
            hits = {pid for pid, tokens in authors if matching.author_matches(sub.term_key, tokens)}
        if hits:
            out[sub.id] = hits
    return out


def indexed_hits(found: alerts.Matches, sub: Subscription) -> set[str]:
    """The papers ``sub`` alerts its subscriber to, as the claim stage combines them."""
    who = (sub.platform, sub.subscriber)
    if who not in found.subscribers:
        return set()
    wanted = subscription_label(sub.kind, sub.term)
    return {pid for pid, terms in found.hits(who).items() if wanted in terms}


# -- the whole run: match, claim, render, send --------------------------------------------------------------------
@dataclass
class Whole:
    """One whole alert run (``alerts.run_alerts``) through the real Slack transport to the fake Slack."""

    subscriptions: int
    match_s: float = 0.0
    claim_s: float = 0.0
    render_s: float = 0.0
    send_s: float = 0.0  # sending through the ledger, rendering left out
    total_s: float = 0.0
    cpu_s: float = 0.0  # the bot's process
    #: the bot's CPU time in each stage (all its threads): what a busy machine inflates less than the wall times
    match_cpu_s: float = 0.0
    claim_cpu_s: float = 0.0
    render_cpu_s: float = 0.0
    send_cpu_s: float = 0.0  # rendering left out
    batches: int = 0
    pairs: int = 0
    renders: int = 0
    renders_reused: int = 0
    messages: int = 0  # parts sent
    most_parts: int = 0  # to one subscriber
    dm_targets: int = 0
    requests: int = 0  # Web API calls the fake answered
    rate_limited: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    rate_floor_s: float = 0.0  # Slack: one message per second per channel, channels in parallel
    client_floor_s: float = 0.0  # the transport alone (no ledger): sampled costs × this run's counts
    timed_out: bool = False
    #: every repeat's total, in the order run (this run is their median's)
    totals_s: list[float] = field(default_factory=list)

    @property
    def floor_s(self) -> float:
        return max(self.rate_floor_s, self.client_floor_s)


@dataclass
class SendCost:
    """What the platform's client costs per call here, sampled without the ledger."""

    samples: int
    per_message_s: float  # chat.postMessage of one full alert message, to a fresh channel
    per_dm_open_s: float  # conversations.open for a fresh user


def slack_transport(info: dict[str, Any]) -> Any:
    from adapters.slack.client import make_client
    from adapters.slack.transport import SlackTransport
    from bot.config import Settings

    settings = Settings(_env_file=None, SLACK_BOT_TOKEN=info["token"], SLACK_API_URL=info["api_url"])
    return SlackTransport(make_client(settings))


async def send_cost(info: dict[str, Any], papers: Sequence[Paper], date: dt.date, samples: int) -> SendCost:
    """The Slack floor per message and per DM: ``samples`` of each straight through the transport, as many at
    once as an alert run has in flight."""
    from bot.delivery import new_nonce

    transport = slack_transport(info)
    batch = alert_send.AlertBatch("slack", "user:U0", date, tuple((p, ("agent",)) for p in papers[:13]), "alert:x")
    payload = transport.render(alert_send.alert_messages(batch))[0]
    gate = asyncio.Semaphore(alert_send.ALERTS_IN_FLIGHT)

    async def timed(calls: Sequence[Callable[[], Any]]) -> float:
        async def one(call: Callable[[], Any]) -> None:
            async with gate:
                await call()

        t = time.perf_counter()
        await asyncio.gather(*(one(c) for c in calls))
        return (time.perf_counter() - t) / len(calls)

    per_message = await timed([lambda i=i: transport.send(f"CFLOOR{i:07d}", payload, parent=None, nonce=new_nonce(),
                                                          unknown=False) for i in range(samples)])
    per_open = await timed([lambda i=i: transport.client.conversations_open(users=f"UFLOOR{i:07d}")
                            for i in range(samples)])
    return SendCost(samples, per_message, per_open)


class NullSend:
    """Slack's own rendering, each payload then dropped (no network, ids made up): the run's own cost, the
    platform's left out (its floor is measured apart, :func:`send_cost`)."""

    platform = "slack"

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.max_concurrency = inner.max_concurrency
        self._ids = itertools.count(1)

    def render(self, messages: Sequence[Any]) -> Any:
        return self.inner.render(messages)

    async def send(self, target: str, payload: Any, *, parent: Any, nonce: str, unknown: bool) -> Any:
        from bot.delivery import SentRef

        message_id = str(next(self._ids))
        return SentRef(message_id, parent.message_id if parent else message_id)


def cold_caches() -> None:
    """Forget what an earlier run in this process rendered and encoded (kept by object identity or by value in
    the renderer's and the payload codec's caches), so that each whole run starts as a day's first run does: a
    repeat, or the 2N run after the N run, would otherwise find the same papers' lines and cards' pieces made."""
    from adapters.slack import blocks
    from storage import payload_codec

    slack_render = importlib.import_module("adapters.slack.render")  # the package's ``render`` is the function

    for cache in (blocks._LINES, slack_render._RENDERED, slack_render._TEXTS, payload_codec._payloads,
                  payload_codec._elements):
        cache.clear()
    slack_render._PARTS.clear()
    for heads in blocks._HEADS:  # each rank's list head
        heads.clear()
    blocks.matched_element.cache_clear()
    matching._parts.cache_clear()  # each paper's text split for the automaton
    for header in (alert_send.alert_header, alert_send.more_header, alert_send.alert_footer, alert_send.day_label):
        header.cache_clear()


async def whole_runs(store: SQLiteStore, fake: Any, papers: Sequence[Paper], date: dt.date, subscriptions: int,
                     cost: SendCost, mode: str, limit_s: float, repeat: int) -> Whole:
    """:func:`whole_run` ``repeat`` times, each from cold caches and a clean slate: the run whose total is the
    median (the middle one; of an even number, the slower of the two middle ones), with every total. A run that
    timed out ends the repeats and is the one reported. With ``--send slack`` the fake Slack keeps its state (each
    channel's last post, for its pacing) from one repeat to the next."""
    runs = []
    for n in range(repeat):
        cold_caches()
        runs.append(await whole_run(store, fake, papers, date, subscriptions, cost, mode, limit_s))
        print(f"whole run {n + 1}/{repeat}: {subscriptions} subscriptions, {runs[-1].total_s:.1f}s", file=sys.stderr)
        if runs[-1].timed_out:
            break
    median = sorted(runs, key=lambda w: (w.timed_out, w.total_s))[len(runs) // 2]
    median.totals_s = [round(w.total_s, 2) for w in runs]
    return median


async def whole_run(store: SQLiteStore, fake: Any, papers: Sequence[Paper], date: dt.date, subscriptions: int,
                    cost: SendCost, mode: str, limit_s: float) -> Whole:
    """``alerts.run_alerts`` from a clean slate (nothing alerted or posted yet), every stage timed."""
    from bench.fanout import capture_logs
    from bot.delivery import Deliverer

    async with store._write:
        tables = await store._db.execute_fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
        present = {r[0] for r in tables}
        for table in CLEAN_SLATE:
            if table in present:  # tables of later migrations too: a run never finds the last one's rows
                await store._db.execute(f"DELETE FROM {table}")
    whole = Whole(subscriptions)
    transport = slack_transport(fake.info) if mode == "slack" else NullSend(slack_transport(fake.info))
    await fake.call("mark")
    gc.collect()
    cpu, t = time.process_time(), time.perf_counter()
    with capture_logs("slack_sdk", "bot.delivery", "adapters.slack"):
        async with Deliverer(store, {"slack": transport}) as deliverer:
            run = alerts.AlertRun([])
            try:
                async with asyncio.timeout(limit_s):
                    await alerts.run_alerts(store, deliverer, date, papers, run=run)
            except TimeoutError:
                whole.timed_out = True
    whole.total_s, whole.cpu_s = time.perf_counter() - t, time.process_time() - cpu
    report = await fake.call("report", timeout=300)
    whole.match_s, whole.claim_s, whole.render_s = run.match_s, run.claim_s, run.render_s
    whole.send_s = run.send_s - run.render_s
    whole.match_cpu_s, whole.claim_cpu_s, whole.render_cpu_s = run.match_cpu_s, run.claim_cpu_s, run.render_cpu_s
    whole.send_cpu_s = run.send_cpu_s - run.render_cpu_s
    whole.batches, whole.pairs, whole.renders, whole.renders_reused = run.batches, run.pairs, run.renders, \
        run.renders_reused
    whole.messages = sum(r.sent for r in run.results)
    whole.most_parts = max((r.sent + r.skipped + r.rejected for r in run.results), default=0)
    whole.dm_targets = sum(1 for r in run.results if r.target.startswith("user:"))
    whole.outcomes = dict(Counter(str(r.outcome) for r in run.results))
    whole.requests = len(report["requests"])
    whole.rate_limited = sum(1 for _, status, _ in report["requests"] if status == 429)
    whole.rate_floor_s = max(0, whole.most_parts - 1) * SLACK_GAP
    whole.client_floor_s = whole.messages * cost.per_message_s + whole.dm_targets * cost.per_dm_open_s
    return whole


# -- main -----------------------------------------------------------------------------------------------------------
async def bench(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(f"alerts-{args.seed}")
    gen = FocusedGenerator(args.seed) if args.topics == "focused" else synth.Generator(args.seed)
    mix = Mix(Zipf(korean_pool(rng)), Zipf(english_pool(rng)), gen.pool)
    out: dict[str, Any] = {"papers": args.papers, "history": args.history, "seed": args.seed, "topics": args.topics,
                           "pools": {"korean": len(mix.korean.items), "english": len(mix.english.items),
                                     "authors": len(mix.authors.names)}}
    wholes: list[Whole] = []
    async with contextlib.AsyncExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="paperbot-alerts-"))
        fake = await stack.enter_async_context(FakeProcess("slack", 0)) if args.send != "off" else None
        store = await SQLiteStore.open(Path(tmp) / "alerts.db")
        try:
            digests = list(gen.digests(args.history + args.papers))
            new: list[Paper] = []
            old: list[Digest] = []
            for digest in reversed(digests):
                if len(new) < args.papers:
                    take = digest.papers[-(args.papers - len(new)):]
                    new[:0] = take
                    if len(take) < len(digest.papers):
                        old.insert(0, Digest(digest.date, digest.papers[: len(digest.papers) - len(take)]))
                else:
                    old.insert(0, digest)
            t = time.perf_counter()
            async with bulk(store):
                for digest in old:
                    await store.ingest(digest, source="bench")
            print(f"history: {sum(len(d.papers) for d in old)} papers stored in {time.perf_counter() - t:.1f}s",
                  file=sys.stderr)
            grams: dict[tuple[str, str], str] = {}
            t = time.perf_counter()
            added = await add_subscriptions(store, mix, args.subscriptions, rng, 0, grams)
            print(f"subscriptions: {added} written in {time.perf_counter() - t:.1f}s "
                  f"({len(grams)} distinct terms)", file=sys.stderr)
            # the new papers arrive: stored first, as the bot does before alerting
            by_date: dict[dt.date, list[Paper]] = {}
            ids = {p.arxiv_id for p in new}
            for digest in digests:
                by_date.setdefault(digest.date, []).extend(p for p in digest.papers if p.arxiv_id in ids)
            for date, papers in by_date.items():
                if papers:
                    await store.ingest(Digest(date, tuple(papers)), source="bench")
            alert_date = max(date for date, papers in by_date.items() if papers)
            all_subs = await store.all_subscriptions()
            out["mix"] = mix_summary(all_subs)
            count, distinct = len(all_subs), len({(s.kind, s.term_key) for s in all_subs})
            sample = random.Random(args.seed).sample(all_subs, min(args.naive_sample, len(all_subs)))
            del all_subs  # only what the bot itself would hold stays alive while timing
            first, found = await time_match(store, new, count, args.repeat)
            first.distinct_terms = distinct
            print(f"match: {count} subscriptions, median {first.median_s:.3f}s", file=sys.stderr)

            # the baseline on a sample, and the same pairs from both paths
            t = time.perf_counter()
            expected = naive(sample, new)
            naive_s = time.perf_counter() - t
            mismatched = [s for s in sample if expected.get(s.id, set()) != indexed_hits(found, s)]
            out["check"] = {"sample": len(sample), "matching_in_sample": len(expected),
                            "pairs_in_sample": sum(len(v) for v in expected.values()),
                            "mismatched": len(mismatched),
                            "examples": [(s.kind, s.term,
                                          sorted(expected.get(s.id, set()) ^ indexed_hits(found, s))[:3])
                                         for s in mismatched[:5]]}
            out["naive"] = {"sample_subscriptions": len(sample), "sample_s": round(naive_s, 3),
                            "per_subscription_ms": round(naive_s / len(sample) * 1000, 3)}
            del found, expected
            print(f"naive: {len(sample)} subscriptions × {len(new)} papers in {naive_s:.2f}s", file=sys.stderr)
            if fake is not None:
                cost = await send_cost(fake.info, new, alert_date, args.send_samples)
                out["send_cost"] = asdict(cost)
                print(f"slack floor: {cost.per_message_s * 1e3:.2f} ms/message, {cost.per_dm_open_s * 1e3:.2f} ms/DM "
                      f"open ({cost.samples} each, no ledger)", file=sys.stderr)
                wholes.append(await whole_runs(store, fake, new, alert_date, count, cost, args.send, args.send_timeout,
                                               args.whole_repeat))

            t = time.perf_counter()
            added = await add_subscriptions(store, mix, args.subscriptions, rng, 10 * args.subscriptions, grams)
            print(f"subscriptions: {added} more written in {time.perf_counter() - t:.1f}s", file=sys.stderr)
            all_subs = await store.all_subscriptions()
            count, distinct = len(all_subs), len({(s.kind, s.term_key) for s in all_subs})
            del all_subs
            second, _ = await time_match(store, new, count, args.repeat)
            second.distinct_terms = distinct
            print(f"match: {count} subscriptions, median {second.median_s:.3f}s", file=sys.stderr)
            if fake is not None:
                wholes.append(await whole_runs(store, fake, new, alert_date, count, cost, args.send, args.send_timeout,
                                               args.whole_repeat))
        finally:
            await store.close()
    out["runs"] = [asdict(first) | {"median_s": first.median_s}, asdict(second) | {"median_s": second.median_s}]
    per = naive_s / len(sample)
    out["naive"]["extrapolated_s"] = {str(r.subscriptions): round(per * r.subscriptions, 1) for r in (first, second)}
    out["scaling"] = round(second.median_s / first.median_s, 3) if first.median_s else None
    out["pass"] = {"target": first.median_s <= TARGET_S,
                   "scaling": out["scaling"] is not None and out["scaling"] < TARGET_SCALING,
                   "same_matches": not mismatched}
    if wholes:
        out["whole"] = [asdict(w) | {"floor_s": w.floor_s} for w in wholes]
        one, two = wholes[0], wholes[-1]
        out["whole_scaling"] = round(two.total_s / one.total_s, 3) if one.total_s and len(wholes) == 2 else None
        out["send"] = args.send
        allowed = WHOLE_TARGET_S + (one.floor_s if args.send == "slack" else 0.0)  # null: the floor is not in it
        out["pass"] |= {"whole_run": not one.timed_out and one.total_s <= allowed,
                        "whole_scaling": out["whole_scaling"] is not None
                        and out["whole_scaling"] < WHOLE_TARGET_SCALING,
                        "all_sent": all(set(w.outcomes) <= {"sent"} and not w.timed_out for w in wholes)}
    return out


def mix_summary(subs: Sequence[Subscription]) -> dict[str, Any]:
    kinds: Counter[str] = Counter()
    for s in subs:
        kinds["author" if s.kind == "author" else "keyword-ko" if not s.term_key.isascii() else "keyword-en"] += 1
    terms = Counter((s.kind, s.term_key) for s in subs)
    top = terms.most_common(10)
    return {"by_kind": dict(kinds), "distinct_terms": len(terms), "subscribers": len({(s.platform, s.subscriber)
                                                                                        for s in subs}),
            "top_terms": [(k[1], n) for k, n in top], "singletons": sum(1 for n in terms.values() if n == 1)}


def render(out: dict[str, Any], console: Console) -> None:
    first, second = out["runs"]
    naive_s = out["naive"]["extrapolated_s"]
    t = Table(title=f"Alert matching: {out['papers']} new papers (store of {out['history'] + out['papers']}, "
                    f"{out['topics']} topics)")
    for name in ("path", "subscriptions", "time s", "target", "result"):
        t.add_column(name, justify="right" if name != "path" else "left")

    def verdict(ok: bool) -> str:
        return "[green]PASS[/]" if ok else "[red]MISS[/]"

    name = "automaton: alert_match.match_terms (median of runs)"
    t.add_row(name, f"{first['subscriptions']:,}", f"{first['median_s']:.3f}",
              f"≤ {TARGET_S:g} s", verdict(out["pass"]["target"]))
    t.add_row(name, f"{second['subscriptions']:,}", f"{second['median_s']:.3f}",
              "—", "")
    t.add_row("automaton: 2× subscriptions / 1×", "", f"{out['scaling']:.2f}×", f"< {TARGET_SCALING:g}×",
              verdict(out["pass"]["scaling"]))
    for run in (first, second):
        t.add_row(f"naive: every paper × every subscription (extrapolated from {out['naive']['sample_subscriptions']:,}"
                  " sampled)", f"{run['subscriptions']:,}", f"{naive_s[str(run['subscriptions'])]:.1f}", "", "")
    check = out["check"]
    t.add_row(f"same matches on {check['sample']:,} sampled subscriptions ({check['matching_in_sample']} matching, "
              f"{check['pairs_in_sample']} pairs)", "", f"{check['mismatched']} differ", "0",
              verdict(out["pass"]["same_matches"]))
    console.print(t)
    d = Table(title="Inside alert_match.match_terms (median run)")
    for name in ("subscriptions", "cold 1st run s", "runs s", "automaton + papers s", "SQL s", "rest s",
                 "terms in automaton", "matched pairs", "subscribers alerted", "distinct terms"):
        d.add_column(name, justify="right")
    for run in (first, second):
        rest = run["median_s"] - run["papers_s"] - run["sql_s"]
        d.add_row(f"{run['subscriptions']:,}", f"{run['cold_s']:.3f}", ", ".join(f"{x:.3f}" for x in run["times_s"]),
                  f"{run['papers_s']:.3f}", f"{run['sql_s']:.3f}", f"{rest:.3f}", f"{run['candidates']:,}",
                  f"{run['pairs']:,}", f"{run['subscribers']:,}", f"{run['distinct_terms']:,}")
    console.print(d)
    mix = out["mix"]
    console.print(f"mix (first {first['subscriptions']:,}): {mix['by_kind']}, {mix['distinct_terms']:,} distinct terms "
                  f"({mix['singletons']:,} held by one subscriber), {mix['subscribers']:,} subscribers; "
                  f"most popular: {', '.join(f'{k} ×{n}' for k, n in mix['top_terms'])}")
    if check["examples"]:
        console.print(f"differences (kind, term, papers): {check['examples']}")
    if out.get("whole"):
        render_whole(out, console)


def render_whole(out: dict[str, Any], console: Console) -> None:
    def verdict(ok: bool) -> str:
        return "[green]PASS[/]" if ok else "[red]MISS[/]"

    cost = out["send_cost"]
    null = out["send"] == "null"
    how = ("alerts rendered for Slack, each payload then dropped (the platform's floor measured apart, not in the "
           "total)" if null else "slack-sdk SlackTransport → the fake Slack in a child process")
    t = Table(title=f"Whole alert run (alerts.run_alerts): match, claim, render, send through the ledger — {how}; "
                    "every subscriber on Slack")
    for name in ("subscriptions", "match s", "claim s", "render s", "send s", "total s", "per alert µs",
                 "Slack floor s", "judged s", "target", "result"):
        t.add_column(name, justify="right")
    for i, w in enumerate(out["whole"]):
        judged = w["total_s"] if null else w["total_s"] - w["floor_s"]
        t.add_row(f"{w['subscriptions']:,}", f"{w['match_s']:.2f}", f"{w['claim_s']:.2f}", f"{w['render_s']:.2f}",
                  f"{w['send_s']:.2f}", f"{w['total_s']:.1f}" + (" (timed out)" if w["timed_out"] else "")
                  + (f" (median of {', '.join(f'{x:.1f}' for x in w['totals_s'])})" if len(w["totals_s"]) > 1 else ""),
                  f"{per_alert_us(w):.0f}", f"{w['floor_s']:.1f}", f"{judged:.1f}",
                  (f"≤ {WHOLE_TARGET_S:g} s" + ("" if null else " + floor")) if i == 0 else "—",
                  verdict(out["pass"]["whole_run"]) if i == 0 else "")
    if out.get("whole_scaling") is not None:
        one, two = out["whole"][0], out["whole"][-1]

        def ratio(key: str) -> str:
            return f"{two[key] / one[key]:.2f}×" if one[key] else "—"

        t.add_row("2× / 1×", ratio("match_s"), ratio("claim_s"), ratio("render_s"), ratio("send_s"),
                  f"{out['whole_scaling']:.2f}×",
                  f"{per_alert:.2f}×" if (per_alert := per_alert_ratio(one, two)) is not None else "—",
                  f"(alerts {alerts_sent(two) / alerts_sent(one):.2f}×)" if alerts_sent(one) else "",
                  f"(pairs {ratio('pairs')})", f"< {WHOLE_TARGET_SCALING:g}×",
                  verdict(out["pass"]["whole_scaling"]))
    t.caption = (f"judged: the total{'' if null else ' beyond the floor'}. Slack floor: the larger of Slack's rate "
                 f"limit (the most messages to one channel − 1) × {SLACK_GAP:g} s, "
                 f"channels in parallel) and the transport alone (messages × {cost['per_message_s'] * 1e3:.2f} ms + "
                 f"DM opens × {cost['per_dm_open_s'] * 1e3:.2f} ms, each sampled {cost['samples']}× straight through "
                 "SlackTransport, no ledger, as many at once as an alert run has)")
    console.print(t)
    d = Table(title="Inside the whole run")
    for name in ("subscriptions", "alerts", "pairs", "renders (reused)", "messages", "most to one", "DMs",
                 "requests", "429s", "rate floor s", "client floor s", "bot cpu s", "cpu match/claim/render/send s",
                 "outcomes"):
        d.add_column(name, justify="right")
    for w in out["whole"]:
        d.add_row(f"{w['subscriptions']:,}", f"{w['batches']:,}", f"{w['pairs']:,}",
                  f"{w['renders']:,} ({w['renders_reused']:,})", f"{w['messages']:,}", str(w["most_parts"]),
                  f"{w['dm_targets']:,}", f"{w['requests']:,}", f"{w['rate_limited']:,}", f"{w['rate_floor_s']:.1f}",
                  f"{w['client_floor_s']:.1f}", f"{w['cpu_s']:.1f}",
                  "/".join(f"{w[k]:.2f}" for k in ("match_cpu_s", "claim_cpu_s", "render_cpu_s", "send_cpu_s")),
                  ", ".join(f"{k} {v}" for k, v in sorted(w["outcomes"].items())))
    console.print(d)


def alerts_sent(whole: dict[str, Any]) -> int:
    """The alerts a whole run sent (each subscriber's one message, or two)."""
    return int(whole["outcomes"].get("sent", 0))


def per_alert_us(whole: dict[str, Any]) -> float:
    """A whole run's total over the alerts it sent: what scales with the subscribers alerted, whatever the number
    of subscriptions (0 when it sent none)."""
    sent = alerts_sent(whole)
    return whole["total_s"] / sent * 1e6 if sent else 0.0


def per_alert_ratio(one: dict[str, Any], two: dict[str, Any]) -> float | None:
    """The 2N run's time per alert sent over the N run's."""
    return per_alert_us(two) / per_alert_us(one) if per_alert_us(one) and per_alert_us(two) else None


def save_results(out: dict[str, Any], argv: Sequence[str]) -> None:
    """The figures as rows of ``bench/results/alerts.json`` (``bench.results``), each with its target and its
    baseline or floor from this run."""
    first, second = out["runs"]
    naive_s = out["naive"]["extrapolated_s"]
    n1, n2 = f"{first['subscriptions']:,}", f"{second['subscriptions']:,}"
    rows = [
        row(f"match, {n1} subscriptions (median)", round(first["median_s"], 3), "s", target=f"<= {TARGET_S:g}",
            baseline=naive_s[str(first["subscriptions"])], ok=out["pass"]["target"]),
        row(f"match, {n2} subscriptions (median)", round(second["median_s"], 3), "s",
            baseline=naive_s[str(second["subscriptions"])]),
        row("match, 2x subscriptions / 1x", out["scaling"], "x", target=f"< {TARGET_SCALING:g}",
            ok=out["pass"]["scaling"]),
        row(f"matches differing from the rule ({out['check']['sample']:,} sampled subscriptions)",
            out["check"]["mismatched"], "", target="0", ok=out["pass"]["same_matches"]),
    ]
    null = out.get("send") == "null"
    for i, w in enumerate(out.get("whole", [])):
        n = f"{w['subscriptions']:,} subscriptions"
        for stage in ("match", "claim", "render", "send"):
            rows.append(row(f"whole run, {n}: {stage}", round(w[f"{stage}_s"], 2), "s"))
        judged = w["total_s"] if null else w["total_s"] - w["floor_s"]
        rows.append(row(f"whole run, {n}: total" + (" (platform floor apart)" if null else ""), round(w["total_s"], 1),
                        "s", target=(f"<= {WHOLE_TARGET_S:g}" + ("" if null else " + floor")) if i == 0 else "",
                        baseline=round(w["floor_s"], 1) or None, ok=(judged <= WHOLE_TARGET_S) if i == 0 else None))
        rows.append(row(f"whole run, {n}: Slack's own floor", round(w["floor_s"], 1), "s"))
        rows.append(row(f"whole run, {n}: alerts sent", alerts_sent(w), ""))
        rows.append(row(f"whole run, {n}: total per alert sent", round(per_alert_us(w)), "µs"))
    if out.get("whole_scaling") is not None:
        one, two = out["whole"][0], out["whole"][-1]
        rows.append(row("whole run, 2x subscriptions / 1x", out["whole_scaling"], "x",
                        target=f"< {WHOLE_TARGET_SCALING:g}", ok=out["pass"]["whole_scaling"]))
        if alerts_sent(one) and (per_alert := per_alert_ratio(one, two)) is not None:
            rows.append(row("whole run, 2x subscriptions / 1x: alerts sent", round(alerts_sent(two) / alerts_sent(one),
                                                                                   3), "x"))
            rows.append(row("whole run, 2x subscriptions / 1x: time per alert sent", round(per_alert, 3), "x"))
    notes = [f"whole run, {w['subscriptions']:,} subscriptions: the median of {len(w['totals_s'])} runs, each from "
             f"cold caches and a clean slate (totals {', '.join(f'{x:.1f}' for x in w['totals_s'])} s)"
             for w in out.get("whole", []) if len(w.get("totals_s", [])) > 1]
    save("alerts", f"Topic alerts: {out['papers']:,} new papers against N and 2N subscriptions "
                   f"(load average {out['load_average']})", " ".join(["python -m bench.alerts", *argv]), rows,
         notes=notes)


def at_least_one(text: str) -> int:
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {n}")
    return n


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.alerts", description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=1000, help="new papers to match")
    parser.add_argument("--subscriptions", type=int, default=100_000, help="subscriptions (then twice as many)")
    parser.add_argument("--history", type=int, default=5000, help="papers stored before (their trigram counts "
                        "choose each keyword's index gram)")
    parser.add_argument("--topics", choices=("focused", "uniform"), default="focused",
                        help="papers about a few Zipf-popular topics each, or bench.synth's uniform noun draws")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="timed runs after a cold one")
    parser.add_argument("--naive-sample", type=int, default=1000, help="subscriptions the naive loop is timed on")
    parser.add_argument("--send", choices=("null", "slack", "off"), default="null",
                        help="the whole run too (match, claim, render, send through the ledger), its alerts rendered "
                        "for Slack and then dropped (null), or sent through slack-sdk to the fake Slack in a child "
                        "process (slack: minutes at 100,000 subscriptions here); off: matching only")
    parser.add_argument("--send-timeout", type=float, default=300.0,
                        help="seconds a whole run may take; a run cut short shows the stages it finished")
    parser.add_argument("--whole-repeat", type=at_least_one, default=1,
                        help="whole runs at each size, each from cold caches and a clean slate; the median's reported")
    parser.add_argument("--send-samples", type=int, default=1000,
                        help="messages and DM opens sent straight through the transport for its floor")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/alerts.json")
    args = parser.parse_args(argv)
    print(raise_nofile(4096), file=sys.stderr)
    started = time.perf_counter()
    out = asyncio.run(bench(args))
    out["elapsed_s"] = round(time.perf_counter() - started, 1)
    out["load_average"] = [round(x, 1) for x in os.getloadavg()]  # others' work on the machine skews every figure
    if not args.no_save:
        save_results(out, sys.argv[1:] if argv is None else argv)
    if args.json:
        print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    else:
        console = Console(width=200)
        render(out, console)
        console.print(f"bench wall time {out['elapsed_s']:.1f}s; load average at the end {out['load_average']} "
                      f"on {os.cpu_count()} cores")
    return 0 if all(out["pass"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
