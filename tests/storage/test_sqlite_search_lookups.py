"""SQLite's search lookup tables (migration 0016): the titles' word index and the trigram list stay
exact as papers change, and a database upgraded from before them finds what a new one finds."""

from __future__ import annotations

import datetime as dt

from bot.models import Digest, Paper
from storage.migrations import migrations
from storage.sqlite import SQLiteStore
from storage.sqlite.db import _statements


def paper(pid: str, title: str, text: str) -> Paper:
    return Paper(pid, f"https://arxiv.org/abs/{pid}", title, None, None, ("Yu Wang",), (("What's New", text),))


def ids(page) -> list[str]:
    return [h.paper.paper.arxiv_id for h in page.hits]


DAY = dt.date(2024, 7, 1)
PAPERS = (
    paper("2407.00001", "Lighthouse transformers", "트랜스포머의 추론을 다룹니다. reasoning traces"),
    paper("2407.00002", "Harbour models", "등대를 닮은 lighthouse 구조. 추론됨"),
    paper("2407.00003", "Reasonings about GPT-4", "수학적추론은 어렵다. reasoner 모델"),
)
QUERIES = ("lighthouse", "추론", "reasoning", "reason", "transformers 추론", "GPT-4", "harbour 등대", "모델")


async def answers(store: SQLiteStore) -> dict[str, list[str]]:
    return {q: ids(await store.search(q)) for q in QUERIES}


async def test_a_retitled_paper_is_found_by_its_new_title_and_no_longer_ranked_by_its_old_one(tmp_path):
    store = await SQLiteStore.open(tmp_path / "s.db")
    try:
        await store.ingest(Digest(DAY, PAPERS))
        assert ids(await store.search("lighthouse")) == ["2407.00001", "2407.00002"]  # the title hit first
        retitled = paper("2407.00001", "Beacon transformers", "트랜스포머의 추론을 다룹니다. reasoning traces")
        await store.ingest(Digest(DAY + dt.timedelta(days=1), (retitled,)))
        assert ids(await store.search("lighthouse")) == ["2407.00002"]
        assert ids(await store.search("beacon")) == ["2407.00001"]
        assert ids(await store.search("reasoning")) == ["2407.00003", "2407.00001"]  # "Reasonings" in a title
    finally:
        await store.close()


async def test_two_character_terms_find_text_indexed_after_the_first_search(tmp_path):
    store = await SQLiteStore.open(tmp_path / "s.db")
    try:
        await store.ingest(Digest(DAY, PAPERS))
        assert ids(await store.search("추론")) == ["2407.00003", "2407.00002", "2407.00001"]
        later = paper("2407.00004", "Later", "추론꾼의 새 글자")  # a trigram (추론꾼) no paper had
        await store.ingest(Digest(DAY + dt.timedelta(days=1), (later,)))
        assert ids(await store.search("추론"))[0] == "2407.00004"
        assert ids(await store.search("론꾼")) == ["2407.00004"]
    finally:
        await store.close()


async def test_a_database_upgraded_to_the_lookup_tables_finds_what_a_new_one_finds(tmp_path):
    path = tmp_path / "old.db"
    store = await SQLiteStore.open(path)
    try:
        await store.ingest(Digest(DAY, PAPERS))
        expected = await answers(store)
        async with store.transaction() as db:  # back to the layout before migration 0016, then through it
            await db.execute("DROP TABLE titles_words")
            await db.execute("DROP TABLE ko_trigrams")
            await db.execute("DROP TABLE long_words")
            for statement in _statements(next(m for m in migrations() if m.version == 16).sql):
                await db.execute(statement)
    finally:
        await store.close()
    upgraded = await SQLiteStore.open(path)
    try:
        assert await answers(upgraded) == expected
        assert expected["transformers 추론"] == ["2407.00001"] and expected["GPT-4"] == ["2407.00003"]
    finally:
        await upgraded.close()


async def test_a_long_word_finds_every_word_it_starts_and_authors_only_whole(tmp_path):
    path = tmp_path / "s.db"
    bot, cli = await SQLiteStore.open(path), await SQLiteStore.open(path)
    try:
        await bot.ingest(Digest(DAY, (
            paper("2407.00001", "Plain", "knowledge distillations at scale"),
            Paper("2407.00002", "https://arxiv.org/abs/2407.00002", "Other", None, None, ("Kim Distillationsen",),
                  (("What's New", "nothing to see"),)),
            paper("2407.00003", "Many forms", " ".join(f"transformer{c}{d}" for c in "abcdef" for d in "abcdefg")),
        )))
        assert ids(await bot.search("distillation")) == ["2407.00001"]  # not the author "Distillationsen"
        assert ids(await bot.search("Distillationsen")) == ["2407.00002"]  # a whole author word
        assert ids(await bot.search("transformer")) == ["2407.00003"]  # 42 words start with it
        later = paper("2407.00004", "Later", "self-distillationwise training")  # a form no paper had
        await cli.ingest(Digest(DAY + dt.timedelta(days=1), (later,)))  # written by another process
        assert ids(await bot.search("distillation")) == ["2407.00004", "2407.00001"]
        assert ids(await bot.search('"distillation"')) == []  # a quoted word is whole
    finally:
        await bot.close()
        await cli.close()
