"""A paper list's sections come with their JSON (for the ledger, written from each paper's line): the JSON is
exactly the section's, whatever a title holds, and the sections are those of the list's lines packed as any text."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.slack.blocks import list_line, list_sections, sections
from adapters.slack.render import render
from bot.identity_cache import WrittenJson
from bot.messages import Message, MessageKind, PaperList
from bot.models import Paper

# any character a title may hold: quotes, backslashes, control characters, Korean, emoji (no lone surrogates)
_titles = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)


@st.composite
def listed(draw: st.DrawFn) -> Paper:
    n = draw(st.integers(0, 99_999))
    return Paper(arxiv_id=f"2406.{n:05d}", title=draw(_titles), url=draw(st.sampled_from(
        [f"https://arxiv.org/abs/2406.{n:05d}", "https://x.example/a b|c<d>\"e", "javascript:alert(1)", ""])),
        votes=draw(st.none() | st.integers(-5, 10_000)))


@settings(max_examples=80, deadline=None)
@given(st.lists(listed(), max_size=120), st.integers(-20, 10_000))
def test_each_section_carries_exactly_its_own_json(papers: list[Paper], start: int):
    blocks = list_sections(papers, start)
    assert blocks == sections(list_line(p, rank) for rank, p in enumerate(papers, start=start))
    for block in blocks:
        assert isinstance(block, WrittenJson)
        assert block.json == json.dumps(block, ensure_ascii=False).encode()


def test_a_rendered_list_reads_as_its_lines():
    papers = tuple(Paper(arxiv_id=f"2406.{n:05d}", title=f'"Quoted" \\ title {n}\t추론',
                         url=f"https://arxiv.org/abs/2406.{n:05d}", votes=n) for n in range(1, 121))
    payloads = render([Message((PaperList(papers, start=6),), kind=MessageKind.ALERT)])
    shown = [b for p in payloads for b in p.body["blocks"]]
    text = "\n".join(b["text"]["text"] for b in shown)
    assert text.startswith("6. ▲1 <https://arxiv.org/abs/2406.00001|\"Quoted\" \\ title 1 추론>\n7. ▲2 ")
    assert text.count("\n") == 119
    assert all(json.loads(b.json) == b for b in shown)
