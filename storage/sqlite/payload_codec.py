"""A part's payload as the ledger stores it: UTF-8 JSON bytes and their hash, encoded once per payload.

A fan-out records the same rendered payloads for every channel, and an alert run's parts are made of
paper cards that many subscribers share: a payload is encoded once while it is alive (kept by identity,
with the payload, so an id is never reused while its entry lives), and so is each element of a list-valued
field (Slack blocks, Discord embeds). The pieces are joined as UTF-8 bytes: hashing them and handing them
to the database (``CAST(? AS TEXT)`` on SQLite, ``convert_from(…, 'UTF8')`` on PostgreSQL) then copies
them once instead of encoding the text again each time. The bytes are exactly
``json.dumps({"body": …, "thread_of": …, "ephemeral": …, "source": …}, ensure_ascii=False).encode()``;
the hash is SHA-256's first 128 bits (in hardware on current CPUs: less than half BLAKE2b's time on a
part; rows stored under BLAKE2b before stay as they are, a part names its row by hash).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from bot.payload import Payload

_encode = json.JSONEncoder(ensure_ascii=False).encode

#: payloads encoded lately, by identity: (payload, bytes, hash)
_PAYLOADS_KEPT = 256
_payloads: dict[int, tuple[Payload, bytes, str]] = {}
#: list elements encoded lately, by identity: (element, bytes)
_ELEMENTS_KEPT = 200_000
_elements: dict[int, tuple[Any, bytes]] = {}


def _element(value: Any) -> bytes:
    kept = _elements.get(id(value))
    if kept is not None and kept[0] is value:
        return kept[1]
    data = _encode(value).encode()
    if len(_elements) >= _ELEMENTS_KEPT:
        _elements.clear()
    _elements[id(value)] = (value, data)
    return data


def _body(body: dict[str, Any], out: list[bytes]) -> None:
    """``json.dumps(body, ensure_ascii=False)`` as UTF-8 pieces, each element of a list-valued field encoded once."""
    out.append(b"{")
    for n, (key, value) in enumerate(body.items()):
        out.append(b", " if n else b"")
        out.append(_encode(key).encode())
        if isinstance(value, list) and value and isinstance(value[0], dict):
            out.append(b": [")
            out.append(b", ".join([_element(v) for v in value]))
            out.append(b"]")
        else:
            out.append(b": ")
            out.append(_encode(value).encode())
    out.append(b"}")


def stored(payload: Payload) -> tuple[bytes, str]:
    """A payload's JSON (UTF-8) and the hash it is stored under."""
    kept = _payloads.get(id(payload))
    if kept is not None and kept[0] is payload:
        return kept[1], kept[2]
    out = [b'{"body": ']
    _body(payload.body, out)
    out.append(f', "thread_of": {_encode(payload.thread_of)}, "ephemeral": {_encode(payload.ephemeral)},'
               f' "source": {_encode(payload.source)}}}'.encode())
    data = b"".join(out)
    digest = hashlib.sha256(data).hexdigest()[:32]
    if len(_payloads) >= _PAYLOADS_KEPT:
        _payloads.clear()
    _payloads[id(payload)] = (payload, data, digest)
    return data, digest


def loaded(text: str | bytes) -> Payload:
    """The payload stored as ``text``."""
    data = json.loads(text)
    return Payload(data.get("body") or {}, data.get("thread_of"), bool(data.get("ephemeral")),
                   int(data.get("source") or 0))
