"""A payload is stored as the JSON it always was (so a stored part reads back as rendered), however its pieces
were encoded (list elements shared between payloads are encoded once)."""

from __future__ import annotations

import json

import pytest

from bot.identity_cache import WrittenJson
from bot.payload import Payload
from storage.payload_codec import encoded, loaded, markers, stored, whole

CARD = {"type": "section", "text": {"type": "mrkdwn", "text": "*추론* \"quoted\" \\ ✓ \n line"}}
PAYLOADS = [
    Payload({"text": "오늘의 논문", "blocks": [CARD, {"type": "divider"}, CARD], "unfurl_links": False}),
    Payload({"content": "reply", "embeds": [{"title": "t", "fields": [{"name": "a", "value": "b"}]}]},
            thread_of=0, ephemeral=True, source=2),
    Payload({"blocks": [], "empty": {}, "nested": [[1, 2], "x"], "n": None}),
    Payload({}),
]


def test_the_stored_json_is_the_payload_as_json_and_reads_back_the_same():
    for payload in PAYLOADS:
        data, digest = stored(payload)
        expected = json.dumps({"body": payload.body, "thread_of": payload.thread_of,
                               "ephemeral": payload.ephemeral, "source": payload.source}, ensure_ascii=False)
        assert data == expected.encode()
        assert loaded(data) == loaded(data.decode()) == payload
        assert stored(Payload(json.loads(json.dumps(payload.body)), payload.thread_of, payload.ephemeral,
                              payload.source)) == (data, digest)  # equal content, equal key


def test_different_payloads_get_different_keys():
    keys = {stored(p)[1] for p in PAYLOADS}
    assert len(keys) == len(PAYLOADS)
    assert stored(Payload({"text": "a"}))[1] != stored(Payload({"text": "a"}, thread_of=0))[1]


def test_payloads_made_of_the_same_elements_differently_get_different_keys():
    a, b = {"type": "section", "text": "a"}, {"type": "section", "text": "b"}
    variants = [Payload({"blocks": [a, b]}), Payload({"blocks": [b, a]}), Payload({"blocks": [a]}),
                Payload({"blocks": [a, b, a]}), Payload({"blocks": [a], "attachments": [b]}),
                Payload({"blocks": [{"type": "section", "text": "a"}, {"type": "section", "text": "b "}]})]
    assert len({stored(p)[1] for p in variants}) == len(variants)
    assert stored(Payload({"blocks": [dict(a), dict(b)]}))[1] == stored(variants[0])[1]


def test_a_skeleton_and_its_elements_give_the_whole_json_back():
    for payload in PAYLOADS:
        e = encoded(payload)
        expected = json.dumps({"body": payload.body, "thread_of": payload.thread_of,
                               "ephemeral": payload.ephemeral, "source": payload.source}, ensure_ascii=False)
        assert whole(e.skeleton, e.elements) == expected.encode()  # the JSON itself, not the codec's other path
        assert set(markers(e.skeleton)) == set(e.elements)
        assert len(e.skeleton) < len(e.data) or not e.elements  # each element named by 33 bytes
    first = encoded(PAYLOADS[0])
    assert len(markers(first.skeleton)) == 3 and len(first.elements) == 2  # CARD twice, one element stored
    missing = dict(first.elements)
    missing.pop(markers(first.skeleton)[1])
    with pytest.raises(KeyError):
        whole(first.skeleton, missing)


def test_a_block_written_with_its_json_is_stored_as_the_same_block_encoded():
    written = WrittenJson(CARD, json.dumps(CARD, ensure_ascii=False).encode())
    as_dict = Payload({"text": "오늘의 논문", "blocks": [CARD, {"type": "divider"}]})
    as_written = Payload({"text": "오늘의 논문", "blocks": [written, {"type": "divider"}]})
    assert stored(as_written) == stored(as_dict)  # the same JSON, the same key
    assert encoded(as_written).elements == encoded(as_dict).elements
    assert loaded(stored(as_written)[0]) == as_dict
