"""The paths PostgreSQL's keyword search takes through its index of terms, checked on both backends alike:
Korean pairs then the substring, word prefixes of every length (its prefix lexemes of 2-16 characters,
its vocabulary for the others, the index's prefix scan), whole author words, title hits."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.models import Digest, Paper
from storage.postgres import search_terms

PAPERS = {
    "2405.00001": ("Agentic planning", ("Raghav Kumar",), "모델 델을 나눕니다. Tools for agents."),
    "2405.00002": ("Survey of methods", ("Mina Park",), "이 모델을 씁니다. An agentic workflow, ragged arrays."),
    "2405.00003": ("A study", ("Yu Rag",), "아무 내용 없음. Planning with graphs."),
    "2405.00004": ("Another study", ("Li Wei",), "강화 학습. Attention sinks in transformers, hyperparameterization."),
}


def _paper(pid: str) -> Paper:
    title, authors, text = PAPERS[pid]
    return Paper(pid, f"https://arxiv.org/abs/{pid}", title, None, 1, authors, (("What's New", text),))


@pytest.fixture
async def store(any_store: Any) -> Any:
    await any_store.ingest(Digest(dt.date(2024, 5, 1), tuple(_paper(pid) for pid in PAPERS)))
    return any_store


async def ids(store: Any, query: str) -> list[str]:
    return [h.paper.paper.arxiv_id for h in (await store.search(query)).hits]


async def test_a_korean_term_is_a_substring_not_its_pairs_apart(store: Any) -> None:
    assert await ids(store, "모델을") == ["2405.00002"]  # 00001 has 모델 and 델을, not 모델을
    assert sorted(await ids(store, "모델")) == ["2405.00001", "2405.00002"]
    assert await ids(store, "강화학습") == ["2405.00004"]


@pytest.mark.parametrize("query", ["a", "ag", "agen", "agenti", "agentic", "agents", "hyperparameteriza"])
async def test_a_word_prefix_of_any_length_finds_the_words_it_starts(store: Any, query: str) -> None:
    found = await ids(store, query)
    if query == "a":  # every paper: the three titles (A study, Another, Agentic) first
        assert sorted(found[:3]) == ["2405.00001", "2405.00003", "2405.00004"] and found[3] == "2405.00002"
    else:
        expected = {"agents": ["2405.00001"], "hyperparameteriza": ["2405.00004"]}
        assert found == expected.get(query, ["2405.00001", "2405.00002"])


async def test_a_prefix_starting_more_words_than_named_is_still_found(store: Any,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_terms, "MAX_EXPANSION", 0)  # PostgreSQL: the index's prefix scan
    assert await ids(store, "hyperparameteriza") == ["2405.00004"]  # past the prefix lexemes' 16 characters
    assert sorted(await ids(store, "a")) == sorted(PAPERS)  # one character


async def test_author_words_match_whole_and_text_words_as_prefixes(store: Any) -> None:
    assert sorted(await ids(store, "Rag")) == ["2405.00002", "2405.00003"]  # ragged; Yu Rag, not Raghav
    assert await ids(store, "Raghav") == ["2405.00001"]
    assert await ids(store, '"agentic workflow"') == ["2405.00002"]
    assert await ids(store, "workflow agentic") == ["2405.00002"]  # two terms: each anywhere
    assert await ids(store, '"workflow agentic"') == []  # a phrase: in order
    assert await ids(store, "planning") == ["2405.00001", "2405.00003"]  # the title hit first
