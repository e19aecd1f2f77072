"""A part's payload as the ledger stores it: UTF-8 JSON, encoded once per payload, and the pieces it is made of.

A fan-out records the same rendered payloads for every channel, and an alert run's parts are made of
paper cards that many subscribers share: a payload is encoded once while it is alive (kept by identity,
with the payload, so an id is never reused while its entry lives), and so is each element of a list-valued
field (Slack blocks, Discord embeds). The whole JSON is exactly
``json.dumps({"body": …, "thread_of": …, "ephemeral": …, "source": …}, ensure_ascii=False).encode()``.

Its *skeleton* is that JSON with each such element's text replaced by its marker — NUL, which JSON text
never holds raw, and the SHA-256 of the element's JSON (33 bytes) — and the key a payload is stored under is
the SHA-256 (first 128 bits, hex) of the skeleton: equal payloads get equal keys, different ones different
keys, and a payload's key hashes a few bytes per element instead of its whole text (each element is hashed
once). A ledger may store the skeleton and each distinct element once (:meth:`Encoded.elements`) instead of
the whole text, so that a card shared by a thousand alerts is written once: :func:`whole` puts the JSON back
together, byte for byte. Rows stored whole (under this key, or under BLAKE2b of the whole text before)
stay as they are (a part names its row by key).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from bot.identity_cache import IdentityCache, WrittenJson
from bot.payload import Payload

_encode = json.JSONEncoder(ensure_ascii=False).encode
_MARK = b"\x00"
_MARKER = 33  # bytes: NUL and a SHA-256 digest

#: payloads encoded lately
_payloads: IdentityCache[Payload, Encoded] = IdentityCache(256)
#: list elements encoded lately: (marker: NUL and the SHA-256 of the bytes, bytes)
_elements: IdentityCache[Any, tuple[bytes, bytes]] = IdentityCache(200_000)


@dataclass(frozen=True, eq=False)
class Encoded:
    """One payload encoded: its key, its skeleton and the elements the skeleton names."""

    key: str
    skeleton: bytes
    #: each distinct list element's JSON (UTF-8) by its marker (NUL and its SHA-256 digest, as in the
    #: skeleton); empty: the skeleton is the whole JSON
    elements: Mapping[bytes, bytes]

    @cached_property
    def data(self) -> bytes:
        """The whole JSON (UTF-8)."""
        return whole(self.skeleton, self.elements)


def encoded(payload: Payload) -> Encoded:
    """``payload`` encoded (once while it is kept, see the module docstring)."""
    return _payloads.get(payload, _encoded)


def stored(payload: Payload) -> tuple[bytes, str]:
    """A payload's whole JSON (UTF-8) and the key it is stored under."""
    e = encoded(payload)
    return e.data, e.key


def _element(value: Any) -> tuple[bytes, bytes]:
    """An element's marker and JSON; a block its renderer wrote the JSON of (:class:`~bot.identity_cache.WrittenJson`)
    is not encoded again."""
    data = value.json if type(value) is WrittenJson else _encode(value).encode()
    return _MARK + hashlib.sha256(data).digest(), data


def _encoded(payload: Payload) -> Encoded:
    """``json.dumps`` of the payload as its skeleton's pieces, each element of a list-valued field of the body
    encoded once and named by its marker."""
    keyed = [b'{"body": {']
    elements: dict[bytes, bytes] = {}
    get = _elements.get
    for n, (key, value) in enumerate(payload.body.items()):
        keyed.append((b", " if n else b"") + _encode(key).encode())
        if isinstance(value, list) and value and isinstance(value[0], dict):
            found = [get(v, _element) for v in value]
            elements.update(found)
            keyed.append(b": [" + b"".join([marker for marker, _ in found]) + b"]")
        else:
            keyed.append(b": " + _encode(value).encode())
    keyed.append(f'}}, "thread_of": {_encode(payload.thread_of)}, "ephemeral": {_encode(payload.ephemeral)},'
                 f' "source": {_encode(payload.source)}}}'.encode())
    skeleton = b"".join(keyed)
    return Encoded(hashlib.sha256(skeleton).hexdigest()[:32], skeleton, elements)


def _runs(skeleton: bytes) -> Iterator[tuple[int, int]]:
    """Each run of markers in ``skeleton`` (one list's elements): its start and end."""
    start = skeleton.find(_MARK)
    while start >= 0:
        end = start
        while skeleton[end:end + 1] == _MARK:
            end += _MARKER
        yield start, end
        start = skeleton.find(_MARK, end)


def markers(skeleton: bytes) -> list[bytes]:
    """The markers of the elements ``skeleton`` names, in order (a marker: NUL and the element's digest)."""
    return [skeleton[at:at + _MARKER] for start, end in _runs(skeleton) for at in range(start, end, _MARKER)]


def whole(skeleton: bytes, elements: Mapping[bytes, bytes]) -> bytes:
    """The whole JSON of the payload stored as ``skeleton``, its elements' JSON given by marker (``KeyError``
    names one missing)."""
    pieces = []
    done = 0
    for start, end in _runs(skeleton):
        pieces.append(skeleton[done:start])
        pieces.append(b", ".join([elements[skeleton[at:at + _MARKER]] for at in range(start, end, _MARKER)]))
        done = end
    pieces.append(skeleton[done:])
    return b"".join(pieces)


def loaded(text: str | bytes) -> Payload:
    """The payload stored as ``text`` (its whole JSON)."""
    data = json.loads(text)
    return Payload(data.get("body") or {}, data.get("thread_of"), bool(data.get("ephemeral")),
                   int(data.get("source") or 0))
