"""Search on a real-sized archive: relevance past 1,000 matches, whole-word authors, Korean spacing.

One synthetic archive of 3,000 papers (60 daily digests) is built once for the module: every
summary says 추론 and diffusion, so both terms match far more than COUNT_CAP papers.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.models import Digest, Paper
from storage.sqlite import COUNT_CAP, SQLiteStore

DAYS, PER_DAY = 60, 50
OLD_TITLE_KO = "2401.00007"  # the oldest digest: 추론 in its title
OLD_TITLE_EN = "2401.00011"  # the oldest digest: Diffusion in its title
RAGHAV = "2402.00003"  # author "Raghav Kumar", nothing else about RAG
RAG = "2402.00004"  # "RAG" in its summary
SPACED, UNSPACED = "2402.00005", "2402.00006"  # 강화 학습 / 강화학습


def _paper(day: int, i: int) -> Paper:
    pid = f"24{day // 30 + 1:02d}.{(day % 30) * PER_DAY + i:05d}"
    title = f"Method {day}-{i} for graphs"
    text = f"이 논문은 수학적추론을 다룹니다. 모델 {i}번은 diffusion 기반의 방법입니다."
    authors: tuple[str, ...] = (f"Author {i}", "Li Wei")
    if pid == OLD_TITLE_KO:
        title = "추론 is all you need"
    elif pid == OLD_TITLE_EN:
        title = "Diffusion beats everything"
    elif pid == RAGHAV:
        authors = ("Raghav Kumar", "Li Wei")
    elif pid == RAG:
        text += " RAG 파이프라인을 씁니다."
    elif pid == SPACED:
        text += " 강화 학습을 씁니다."
    elif pid == UNSPACED:
        text += " 강화학습을 씁니다."
    return Paper(pid, f"https://arxiv.org/abs/{pid}", title, None, i, authors, (("What's New", text),))


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> str:
    import asyncio

    path = str(tmp_path_factory.mktemp("archive") / "archive.db")

    async def build() -> None:
        store = await SQLiteStore.open(path)
        try:
            async with store.bulk():
                for day in range(DAYS):
                    papers = tuple(_paper(day, i) for i in range(PER_DAY))
                    await store.ingest(Digest(dt.date(2024, 1, 1) + dt.timedelta(days=day), papers))
        finally:
            await store.close()

    asyncio.run(build())
    return path


@pytest.fixture
async def big(archive):
    store = await SQLiteStore.open(archive)
    yield store
    await store.close()


def ids(page) -> list[str]:
    return [h.paper.paper.arxiv_id for h in page.hits]


async def test_a_title_hit_outranks_summary_hits_past_a_thousand_matches(big):
    korean = await big.search("추론", limit=5)
    assert korean.capped and korean.total_text == f"{COUNT_CAP:,}+"
    assert ids(korean)[0] == OLD_TITLE_KO  # the oldest paper, but the only one with 추론 in its title
    latin = await big.search("diffusion", limit=5)
    assert latin.capped and ids(latin)[0] == OLD_TITLE_EN
    assert OLD_TITLE_EN not in ids(await big.search("추론", limit=5))
    second = await big.search("추론", limit=5, offset=5)  # pages continue the same order
    assert set(ids(second)).isdisjoint(ids(korean)) and len(ids(second)) == 5
    first_70 = ids(await big.search("추론", limit=70))
    deep = ids(await big.search("추론", limit=5, offset=70))  # past the ranked set: newest first
    assert len(deep) == 5 and set(deep).isdisjoint(first_70) and deep == sorted(deep, reverse=True)


async def test_two_korean_characters_are_found_inside_a_word(big):
    page = await big.search("추론", limit=3)
    snippet = page.hits[1].snippet  # a summary hit: 추론 highlighted inside 수학적추론을
    at = snippet.index(("추론", True))
    assert snippet[at - 1][0].endswith("수학적") and snippet[at + 1][0].startswith("을")


async def test_keyword_search_matches_authors_as_whole_words_only(big):
    assert ids(await big.search("RAG")) == [RAG]  # not Raghav Kumar's paper
    assert RAGHAV in ids(await big.search("Raghav"))
    assert (await big.search("Wei", limit=1)).capped  # a whole author word: every paper
    assert RAGHAV in ids(await big.search_authors("Rag"))  # the author lookup keeps prefixes


async def test_korean_spacing_is_ignored(big):
    spaced, unspaced = await big.search("강화 학습"), await big.search("강화학습")
    assert sorted(ids(spaced)) == sorted(ids(unspaced)) == sorted([SPACED, UNSPACED])
    both_words = await big.search('"강화" "학습"')  # quoted apart: each anywhere
    assert sorted(ids(both_words)) == sorted([SPACED, UNSPACED])


async def test_two_character_terms_see_papers_another_process_indexed(tmp_path):
    path = tmp_path / "shared.db"
    bot, cli = await SQLiteStore.open(path), await SQLiteStore.open(path)
    try:
        first = Paper("2407.00001", "https://arxiv.org/abs/2407.00001", "A", sections=(("S", "추론은 쉽다"),))
        await bot.ingest(Digest(dt.date(2024, 7, 1), (first,)))
        assert ids(await bot.search("추론")) == ["2407.00001"]
        later = Paper("2407.00002", "https://arxiv.org/abs/2407.00002", "B", sections=(("S", "새로운추론됨"),))
        await cli.ingest(Digest(dt.date(2024, 7, 2), (later,)))  # a trigram (추론됨) the bot has not seen
        assert sorted(ids(await bot.search("추론"))) == ["2407.00001", "2407.00002"]
    finally:
        await bot.close()
        await cli.close()
