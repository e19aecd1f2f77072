"""The Block Kit renderer: golden payloads for the seed digest, limits and escaping for any digest."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import random
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from adapters.slack import limits
from adapters.slack.mrkdwn import ZWSP, escape, label, link, plain, safe_url
from adapters.slack.render import render
from bot.layout import digest_messages, paper_card
from bot.messages import SHOW_DETAILS, Action, Detail, Header, Level, Message, Notice, PaperCard, PaperList, Text
from bot.models import Digest, Paper
from bot.payload import Payload
from bot.store import StoredDigest, StoredPaper
from tests.adapters.slack.checks import assert_within_limits, foreign_markup, mrkdwn_texts
from tests.bot.strategies import HOSTILE, KOREAN, digests, papers
from tests.golden import assert_matches_golden

GOLDEN = pathlib.Path(__file__).parent / "golden" / "seed_digest.json"
HOSTILE_TITLE = "*_weird_* <!channel> <!everyone> <@U123> <https://evil.example|click> @everyone a & b ~x~ `c`"


def stored(digest: Digest) -> StoredDigest:
    return StoredDigest(digest.date, tuple(StoredPaper(p, (digest.date,)) for p in digest.papers))


def paper(**fields: Any) -> Paper:
    base: dict[str, Any] = {"arxiv_id": "2406.00001", "url": "https://arxiv.org/abs/2406.00001", "title": "A paper"}
    return Paper(**(base | fields))


def all_text(payloads: list[Payload]) -> str:
    return json.dumps([p.body for p in payloads], ensure_ascii=False)


def check(payloads: list[Payload], our_urls: set[str]) -> None:
    for payload in payloads:
        assert_within_limits(payload.body)
        assert foreign_markup(payload.body, our_urls) == []
        for text in mrkdwn_texts(payload.body):
            assert "<!" not in text and "<@" not in text and "<#" not in text


def urls_of(digest: Digest) -> set[str]:
    return {p.url for p in digest.papers} | {u for p in digest.papers for _, u in p.links}


# -- golden ------------------------------------------------------------------------------------------------------
async def test_seed_digest_matches_the_golden_payloads(seeded: Any) -> None:
    rendered = [p.preview() for p in render(digest_messages(await seeded.digest()))]
    assert_matches_golden(rendered, GOLDEN)


async def test_seed_digest_shape(seeded: Any) -> None:
    payloads = render(digest_messages(await seeded.digest()))
    assert len(payloads) == 10
    assert [p.thread_of for p in payloads] == [None] + [0] * 9
    post = payloads[0].body
    header = {"type": "plain_text", "text": "📰 Daily Papers — Fri, Jun 28, 2024", "emoji": True}
    assert post["blocks"][0] == {"type": "header", "text": header}
    listing = post["blocks"][2]["text"]["text"].splitlines()
    assert listing[0] == ("1. ▲14 <https://arxiv.org/abs/2406.18629|Step-DPO: Step-wise Preference Optimization "
                          "for Long-chain Reasoning of LLMs>")
    assert listing[-1].startswith("9. ▲- <https://arxiv.org/abs/2406.14629|")
    svg = next(p.body for p in payloads[1:] if "2406.19263" in p.body["blocks"][0]["text"]["text"])
    assert "accessory" not in svg["blocks"][0]  # Slack cannot show the SVG avatar
    png = payloads[1].body["blocks"][0]["accessory"]
    assert png["image_url"].endswith("2406.18629.png")
    check(payloads, {f"https://arxiv.org/abs/{i}" for i in
                     ("2406.18629", "2406.19389", "2406.19226", "2406.19215", "2406.19227", "2406.19263",
                      "2406.14909", "2406.08316", "2406.14629")})


# -- text rules --------------------------------------------------------------------------------------------------
def test_escape_and_neutralise() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert plain("*_weird_*") == f"{ZWSP}*{ZWSP}{ZWSP}_{ZWSP}weird{ZWSP}_{ZWSP}{ZWSP}*{ZWSP}"
    assert plain("a `b` ~c~").replace(ZWSP, "") == "a `b` ~c~"
    assert label("x | y\nz") == "x ∣ y z"
    assert safe_url("javascript:alert(1)") is None and safe_url("/relative") is None
    assert safe_url("https://x.example/a b?q=1&r=<2>|") == "https://x.example/a%20b?q=1&amp;r=%3C2%3E%7C"
    assert link("https://arxiv.org/abs/1", label("<b>")) == "<https://arxiv.org/abs/1|&lt;b&gt;>"
    assert link("ftp://x", "t") == "t"


def test_hostile_title_is_shown_not_acted_on() -> None:
    hostile = paper(title=HOSTILE_TITLE, authors=("<@U999>", "*Bold* Name"),
                    sections=(("What's New", "<!here> *not bold* _nor italic_ ~nor struck~ `nor code`"),))
    messages = [Message((PaperList((hostile,)),)), Message((paper_card(StoredPaper(hostile, ()), Detail.FULL),))]
    payloads = render(messages)
    check(payloads, {hostile.url})
    text = all_text(payloads)
    assert "&lt;!channel&gt;" in text and "&lt;@U123&gt;" in text and "&lt;https://evil.example" in text
    card_title = payloads[1].body["blocks"][0]["text"]["text"]
    assert card_title.startswith("*<https://arxiv.org/abs/2406.00001|") and card_title.endswith(">*")
    assert card_title.replace(ZWSP, "").count("*") == 2 + 2  # our bold markers + the title's own two …
    assert card_title.count(f"{ZWSP}*{ZWSP}") == 2  # … which are isolated
    assert "*weird*" not in card_title and "_weird_" not in card_title


def test_notices_texts_and_headers() -> None:
    [payload] = render([Message((Header("h" * 400), Text("use `/papers show <arXiv id>` & more"),
                                 Notice("No papers for <!channel>", Level.WARNING)), ephemeral=True)])
    assert payload.ephemeral
    header, text, notice = payload.body["blocks"]
    assert len(header["text"]["text"]) == limits.HEADER_TEXT
    assert text["text"]["text"] == "use `/papers show &lt;arXiv id&gt;` &amp; more"
    assert notice["text"]["text"] == ":warning: No papers for &lt;!channel&gt;"
    assert "&lt;!channel&gt;" in payload.body["text"]


def test_compact_card_snippet_and_buttons() -> None:
    card = PaperCard(paper(authors=("Juanzi Li",)), Detail.COMPACT, rank=3,
                     snippet=(("…모델의 ", False), ("추론", True), ("은 <@U1> ", False), (" *x* ", True)),
                     matched=("Juanzi Li",),
                     actions=(Action(SHOW_DETAILS, "Show details", "2406.00001"),
                              Action(SHOW_DETAILS, "duplicate", "x"), Action("too_long", "v", "v" * 2001)))
    [payload] = render([Message((card,))])
    blocks = payload.body["blocks"]
    assert blocks[0]["text"]["text"].startswith("3. *<https://arxiv.org/abs/2406.00001|A paper>*")
    assert [e["text"] for e in blocks[1]["elements"]] == ["▲-", "👥 Juanzi Li", "🎯 Juanzi Li"]
    assert blocks[2]["text"]["text"] == (f"…모델의 {ZWSP}*추론*{ZWSP}은 &lt;@U1&gt;  "
                                         f"{ZWSP}*{ZWSP}*{ZWSP}x{ZWSP}*{ZWSP}*{ZWSP} ")
    assert blocks[3]["elements"] == [{"type": "button", "text": {"type": "plain_text", "text": "Show details",
                                                                 "emoji": True},
                                      "action_id": SHOW_DETAILS, "value": "2406.00001"}]
    assert_within_limits(payload.body)


def test_full_card_cuts_long_sections_with_a_more_link() -> None:
    long = " ".join(f"문장 {i} 입니다." for i in range(2000))
    card = paper_card(StoredPaper(paper(sections=(("Technical Details", long),),
                                        thumbnail="https://x.example/t.svg"), ()), Detail.FULL)
    [payload] = render([Message((card,))])
    section = payload.body["blocks"][2]["text"]["text"]
    assert section.startswith("*Technical Details*\n문장 0 입니다.")
    assert section.endswith("입니다.… <https://arxiv.org/abs/2406.00001|more>")  # cut after a sentence
    assert len(section) <= limits.SECTION_TEXT
    assert "accessory" not in payload.body["blocks"][0]


def test_a_long_list_is_split_into_sections_and_keeps_every_paper() -> None:
    many = tuple(paper(arxiv_id=f"2406.{i:05d}", url=f"https://arxiv.org/abs/2406.{i:05d}", title="T" * 300)
                 for i in range(200))
    payloads = render([Message((PaperList(many),))])  # ~70,000 characters: eight messages of ≤ 11,000
    assert len(payloads) == 8 and [p.thread_of for p in payloads] == [None] * 8
    sections = [s for p in payloads for s in p.body["blocks"]]
    assert len(sections) > 20
    lines = [line for s in sections for line in s["text"]["text"].splitlines()]
    assert [line.split(" ")[0] for line in lines] == [f"{i}." for i in range(1, 201)]
    check(payloads, {p.url for p in many})


def test_over_fifty_blocks_split_into_continuations_with_thread_mapping() -> None:
    cards = tuple(paper_card(StoredPaper(paper(arxiv_id=f"2406.{i:05d}", url=f"https://arxiv.org/abs/2406.{i:05d}",
                                               authors=("A",)), ()), Detail.COMPACT) for i in range(30))
    messages = [Message((Header("post"), Text("x"))), Message(cards, thread_of=0, ephemeral=True),
                Message((Text("reply to the post"),), thread_of=0), Message((Text("bad ref"),), thread_of=7)]
    payloads = render(messages)
    assert [p.source for p in payloads] == [0, 1, 1, 2, 3]  # 30 cards x 3 blocks: 48 + 42
    assert [p.thread_of for p in payloads] == [None, 0, 0, 0, None]
    assert payloads[1].ephemeral and payloads[2].ephemeral and not payloads[3].ephemeral
    assert [p.meta["part"] for p in payloads[1:3]] == [1, 2]
    assert payloads[2].body["text"].endswith("(2/2)")
    assert [len(p.body["blocks"]) for p in payloads[1:3]] == [48, 42]  # a card is never cut apart
    for p in payloads:
        assert_within_limits(p.body)


def test_an_empty_message_still_has_text_and_a_block() -> None:
    [payload] = render([Message(())])
    assert payload.body["text"] == "paperbot"
    assert_within_limits(payload.body)


# -- properties --------------------------------------------------------------------------------------------------
# (how many examples: the Hypothesis profile in tests/conftest.py)
def check_digest(digest: Digest) -> None:
    payloads = render(digest_messages(stored(digest)))
    check(payloads, urls_of(digest))
    text = all_text(payloads)
    for p in digest.papers:
        assert f"<{p.url}|" in text, f"{p.url} missing"
    if digest.papers:  # the post lists every paper; one thread reply per paper
        assert sum(1 for p in payloads if p.thread_of is None) >= 1
        assert len({p.source for p in payloads if p.thread_of == 0}) == len(digest.papers)


@given(digests(max_papers=200, max_section=600))
def test_any_digest_renders_within_limits(digest: Digest) -> None:
    check_digest(digest)


@given(digests(max_papers=3, max_section=20_000))
def test_long_sections_render_within_limits(digest: Digest) -> None:
    check_digest(digest)


@given(st.lists(papers(max_section=3000), min_size=1, max_size=5), st.sampled_from(list(Detail)))
def test_cards_render_within_limits(found: list[Paper], detail: Detail) -> None:
    cards = tuple(paper_card(StoredPaper(p, (dt.date(2024, 6, 28),)), detail, rank=i,
                             snippet=((p.title, False), (p.title, True)), matched=p.authors[:2])
                  for i, p in enumerate(found, start=1))
    payloads = render([Message((Header("🔎 results"), *cards, Notice("… and more")), ephemeral=True)])
    check(payloads, {p.url for p in found} | {u for p in found for _, u in p.links})
    assert all(p.ephemeral for p in payloads)


def worst_case_digest(seed: int, count: int = 200, max_section: int = 20_000) -> Digest:
    """Hypothesis keeps examples small; this is the other end: 200 hostile papers, sections up to 20,000 chars."""
    rng = random.Random(seed)
    words = [*HOSTILE, *KOREAN, "model", "추론은", "LLM.", "x*y", "a_b", "<", "&"]

    def text(n: int) -> str:
        out: list[str] = []
        size = 0
        while size < n:
            out.append(rng.choice(words) + ("." if rng.random() < 0.1 else ""))
            size += len(out[-1]) + 1
        return " ".join(out)[:n].strip() or "x"

    items = []
    for i in range(count):
        pid = f"24{i // 100:02d}.{i:05d}"
        sections = tuple((name, text(rng.choice([0, 50, 3000, max_section]))) for name in
                         rng.sample(["What's New", "Technical Details", "Performance *Highlights*", "요약 <!here>"],
                                    rng.randint(0, 4)))
        items.append(Paper(arxiv_id=pid, url=f"https://arxiv.org/abs/{pid}", title=text(rng.randint(1, 400)),
                           thumbnail=rng.choice([None, f"https://x.example/{pid}.png", "https://x.example/a.svg"]),
                           votes=rng.choice([None, 0, 5000]),
                           authors=tuple(text(20) for _ in range(rng.randint(0, 30))),
                           sections=sections, links=(("Code <!channel>", "https://github.com/org/repo?a=1&b=<2>"),)))
    return Digest(dt.date(2024, 6, 28), tuple(items))


def test_worst_case_digests_render_within_limits() -> None:
    check_digest(worst_case_digest(seed=0))
    check_digest(worst_case_digest(seed=1, count=20))


def test_the_checks_catch_what_they_look_for() -> None:
    def body(text: str) -> dict[str, Any]:
        return {"text": "x", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}

    ours = "https://arxiv.org/abs/1"
    assert foreign_markup(body(f"<{ours}|ok> &lt;!channel&gt;"), {ours}) == []
    for live in ("<!channel>", "<@U123>", "<https://evil.example|x>", "<#C1>", "a < b"):
        assert foreign_markup(body(live), {ours}), live
