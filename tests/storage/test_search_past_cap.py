"""Search past COUNT_CAP matches on both backends: the count caps, title hits rank first however old,
and pages past the ranked set continue newest first — for Korean terms of two and more characters,
Latin terms and a mix (on PostgreSQL, the path through the pair index, the trigram LIKE and the word
index with its parameters)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.models import Digest, Paper
from storage.sqlite.search import COUNT_CAP, RANKED

PER_DAY = 100
DAYS = COUNT_CAP // PER_DAY + 1  # 1,100 papers: every summary matches every term below
OLD_TITLE = "2401.00007"  # the oldest digest: every term in its title too


def _paper(day: int, i: int) -> Paper:
    pid = f"2401.{day * PER_DAY + i:05d}"
    title = "추론 양자화 diffusion transformer" if pid == OLD_TITLE else f"Method {day}-{i}"
    text = f"이 논문은 수학적추론과 양자화를 다룹니다. 모델 {i}번은 diffusion transformer 기반입니다."
    return Paper(pid, f"https://arxiv.org/abs/{pid}", title, None, i, (f"Author {i}",), (("What's New", text),))


@pytest.mark.parametrize("query", ["추론", "양자화", "diffusion", '"diffusion transformer"', "추론 diffusion"])
async def test_a_term_past_the_cap(store_opener, query):
    store = await store_opener()
    for day in range(DAYS):
        await store.ingest(Digest(dt.date(2024, 1, 1) + dt.timedelta(days=day),
                                  tuple(_paper(day, i) for i in range(PER_DAY))))
    first = await store.search(query, limit=10)
    assert first.capped and first.total_text == f"{COUNT_CAP:,}+"
    assert first.hits[0].paper.paper.arxiv_id == OLD_TITLE  # a title hit first, however old
    seen = {h.paper.paper.arxiv_id for h in first.hits}
    deep = await store.search(query, limit=10, offset=RANKED + 20)  # past the ranked set: newest first
    ids = [h.paper.paper.arxiv_id for h in deep.hits]
    assert len(ids) == 10 and ids == sorted(ids, reverse=True) and not seen & set(ids)
