"""Assertions shared by the Slack tests: every Slack limit, and no live mention or foreign link."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from adapters.slack import limits
from adapters.slack.mrkdwn import safe_url

_ANGLE = re.compile(r"<([^<>]*)>")
_OUR_LINK = re.compile(r"^(https?://[^\s|<>]+)(?:\|[^|<>]*)?$")


def text_objects(blocks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for block in blocks:
        if isinstance(block.get("text"), dict):
            yield block["text"]
        yield from block.get("fields") or []
        for element in block.get("elements") or []:
            if element.get("type") in ("mrkdwn", "plain_text"):
                yield element
            elif isinstance(element.get("text"), dict):
                yield element["text"]


def mrkdwn_texts(body: dict[str, Any]) -> list[str]:
    """The fallback text and every mrkdwn text object: the strings Slack parses for mentions and links."""
    return [body["text"], *(t["text"] for t in text_objects(body.get("blocks") or []) if t["type"] == "mrkdwn")]


def total_text(blocks: list[dict[str, Any]]) -> int:
    return sum(len(t["text"]) for t in text_objects(blocks))


def assert_within_limits(body: dict[str, Any]) -> None:
    assert set(body) >= {"text", "blocks"}
    text, blocks = body["text"], body["blocks"]
    assert isinstance(text, str) and text.strip(), "fallback text must not be empty"
    assert len(text) <= limits.MESSAGE_TEXT
    assert 1 <= len(blocks) <= limits.MAX_BLOCKS
    assert total_text(blocks) <= limits.MESSAGE_BLOCKS_TEXT
    for block in blocks:
        kind = block["type"]
        if kind == "header":
            assert block["text"]["type"] == "plain_text"
            assert 0 < len(block["text"]["text"]) <= limits.HEADER_TEXT
        elif kind == "section":
            assert block["text"]["type"] == "mrkdwn" and block["text"]["verbatim"] is True
            assert 0 < len(block["text"]["text"]) <= limits.SECTION_TEXT
            assert block["text"]["text"].strip()
            fields = block.get("fields") or []
            assert len(fields) <= limits.SECTION_FIELDS
            assert all(len(f["text"]) <= limits.SECTION_FIELD_TEXT for f in fields)
            if accessory := block.get("accessory"):
                assert accessory["type"] == "image"
                assert accessory["image_url"].lower().split("?")[0].endswith(limits.IMAGE_SUFFIXES)
                assert len(accessory["image_url"]) <= limits.IMAGE_URL
                assert 0 < len(accessory["alt_text"]) <= limits.IMAGE_ALT_TEXT
        elif kind == "context":
            assert 1 <= len(block["elements"]) <= limits.CONTEXT_ELEMENTS
            assert all(0 < len(e["text"]) <= limits.CONTEXT_TEXT for e in block["elements"])
        elif kind == "actions":
            elements = block["elements"]
            assert 1 <= len(elements) <= limits.ACTIONS_ELEMENTS
            ids = [e["action_id"] for e in elements]
            assert len(ids) == len(set(ids)), "action ids must be unique within a block"
            for button in elements:
                assert button["type"] == "button" and button["text"]["type"] == "plain_text"
                assert 0 < len(button["text"]["text"]) <= limits.BUTTON_TEXT
                assert 0 < len(button["action_id"]) <= limits.ACTION_ID
                assert len(button.get("value", "")) <= limits.ACTION_VALUE
        else:
            raise AssertionError(f"unexpected block type {kind}")


def foreign_markup(body: dict[str, Any], our_urls: Iterable[str]) -> list[str]:
    """Every ``<…>`` in parsed text that is not one of our links (mentions, specials, other URLs)."""
    allowed = {safe_url(url) for url in our_urls} - {None}
    bad = []
    for text in mrkdwn_texts(body):
        for match in _ANGLE.finditer(text):
            link = _OUR_LINK.match(match.group(1))
            if link is None or link.group(1) not in allowed:
                bad.append(match.group(0))
        # an unmatched "<" would also be parsed by Slack
        stripped = _ANGLE.sub("", text)
        if "<" in stripped or ">" in stripped:
            bad.append(stripped)
    return bad
