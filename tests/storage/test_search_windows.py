"""Matches spread thin, or only among old papers, are found exactly on both backends: the count, the
order past the ranked set (newest first) and title hits however old. (PostgreSQL reads the papers in
id windows, newest first, sized by the share of matches seen so far: these terms need several.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.models import Digest, Paper
from storage.postgres import search as pg_search
from storage.sqlite.search import COUNT_CAP, RANKED
from tests.storage.conftest import Opener

PER_DAY = 100
DAYS = 24  # 2,400 papers


def _words(n: int) -> str:
    words = ["희소한" if n % 2 == 0 else "", "sparse" if n % 3 == 0 else "", "드문말" if n % 40 == 0 else "",
             "ancient" if n < 20 else ""]
    return " ".join(w for w in words if w)


def _paper(n: int) -> Paper:
    pid = f"2401.{n:05d}"
    title = f"Method {n}" + (" lighthouse" if n % 30 == 0 else "")
    text = f"이 논문은 모델 {n}번을 다룹니다. {_words(n)} lighthouse" if n % 7 == 0 else f"논문 {n}. {_words(n)}"
    return Paper(pid, f"https://arxiv.org/abs/{pid}", title, None, n % 50, (f"Author {n}",), (("What's New", text),))


async def _archive(store_opener: Opener) -> Any:
    store = await store_opener()
    for day in range(DAYS):
        await store.ingest(Digest(dt.date(2024, 1, 1) + dt.timedelta(days=day),
                                  tuple(_paper(day * PER_DAY + i) for i in range(PER_DAY))))
    return store


async def _all_ids(store: Any, query: str, total: int) -> list[str]:
    out: list[str] = []
    while len(out) < min(total, COUNT_CAP + 1):
        page = await store.search(query, limit=100, offset=len(out))
        if not page.hits:
            break
        out += [h.paper.paper.arxiv_id for h in page.hits]
    return out


async def test_thin_and_old_matches_are_counted_and_ordered_exactly(store_opener: Opener,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pg_search, "FIRST_WINDOW", 1)  # windows smaller than this archive: several are read
    store = await _archive(store_opener)
    n = DAYS * PER_DAY
    for query, every in [("희소한", 2), ("sparse", 3), ("드문말", 40), ("희소한 sparse", 6)]:
        matching = [f"2401.{i:05d}" for i in range(n - 1, -1, -1) if i % every == 0]
        page = await store.search(query, limit=10)
        assert page.total == min(len(matching), COUNT_CAP + 1), query
        ids = await _all_ids(store, query, page.total)
        assert sorted(ids) == sorted(matching[: COUNT_CAP + 1]) or len(matching) > COUNT_CAP, query
        if len(matching) > RANKED:  # past the ranked set: the rest newest first
            rest = ids[RANKED + 10 :]
            assert rest == sorted(rest, reverse=True), query
            assert set(ids) <= set(matching), query
    old = await store.search("ancient", limit=50)
    assert old.total == 20 and {h.paper.paper.arxiv_id for h in old.hits} == {f"2401.{i:05d}" for i in range(20)}
    lighthouse = await store.search("lighthouse", limit=RANKED)  # the newest RANKED title hits (every 30th) first
    titles = {h.paper.paper.arxiv_id for h in lighthouse.hits}
    assert titles == {f"2401.{i:05d}" for i in range(0, n, 30)[-RANKED:]}
