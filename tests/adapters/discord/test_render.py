from __future__ import annotations

import json
import pathlib
import re

from hypothesis import given

from adapters.discord.render import escape, render
from bot.layout import DigestOptions, digest_messages
from bot.messages import Message, Notice, Text
from tests.adapters.discord.conftest import assert_within_limits
from tests.bot.strategies import hostile_digests, stored
from tests.golden import assert_matches_golden

GOLDEN = pathlib.Path(__file__).parent / "golden" / "seed_digest.json"


def test_seed_digest_matches_the_golden_payloads(seed_digest):
    payloads = [p.preview() for p in render(digest_messages(stored(seed_digest)))]
    assert_matches_golden(payloads, GOLDEN)
    assert [p["thread_of"] for p in payloads] == [None, 0, 0]
    assert all(set(p) == {"thread_of", "ephemeral", "content", "embeds", "allowed_mentions"} for p in payloads)
    for p in payloads:
        assert_within_limits({k: v for k, v in p.items() if k not in ("thread_of", "ephemeral")})
    # the svg avatar is not an image Discord shows: no thumbnail for that paper
    gui = next(e for p in payloads for e in p["embeds"] if "2406.19263" in e.get("url", ""))
    assert "thumbnail" not in gui


def test_markdown_specials_and_mentions_are_neutralised():
    raw = "@everyone *bold* _it_ ~~s~~ `c` |p| [x](https://evil.example) <@123456789012345678>"
    text = escape(raw)
    assert "@everyone" not in text and "\\*bold\\*" in text and "\\[x\\]" in text
    assert re.sub(r"\\(.)", r"\1", text).replace("\u200b", "") == raw


def test_long_notices_are_split_into_messages():
    long = "\n".join(f"line {i} " + "가" * 80 for i in range(100))
    payloads = render([Message((Text(long), Notice("done")))])
    assert len(payloads) > 1
    for p in payloads:
        assert_within_limits(p.body)
    joined = "\n".join(p.body["content"] for p in payloads)
    assert "line 0 " in joined and "line 99 " in joined and "done" in joined


@given(hostile_digests(), hostile_digests(max_papers=3).map(lambda d: d))
def test_any_digest_renders_within_limits_keeps_every_paper_and_pings_no_one(digest, small):
    for d, options in ((digest, DigestOptions()), (small, DigestOptions(details=False))):
        payloads = render(digest_messages(stored(d), options))
        for p in payloads:
            assert_within_limits(p.body)
            assert "@everyone" not in p.body["content"] and "@here" not in p.body["content"]
        text = json.dumps([p.body for p in payloads], ensure_ascii=False)
        for paper in d.papers:
            assert f"]({paper.url})" in text or paper.url in text  # linked in the post
            if options.details:
                assert sum(1 for p in payloads for e in p.body["embeds"] if e.get("url") == paper.url) == 1
        assert "@everyone" not in text.replace("@\u200beveryone", "")
        if not d.papers:
            assert "No papers" in text
