"""A part's payload as the ledger stores it: UTF-8 JSON bytes and their hash, encoded once per payload.

A fan-out records the same rendered payloads for every channel, and an alert run's parts are made of
paper cards that many subscribers share: a payload is encoded once while it is alive (kept by identity,
with the payload, so an id is never reused while its entry lives), and so is each element of a list-valued
field (Slack blocks, Discord embeds). The pieces are joined as UTF-8 bytes: hashing them and handing them
to the database (``CAST(? AS TEXT)`` on SQLite, ``convert_from(…, 'UTF8')`` on PostgreSQL) then copies
them once instead of encoding the text again each time. The bytes are exactly
``json.dumps({"body": …, "thread_of": …, "ephemeral": …, "source": …}, ensure_ascii=False).encode()``.
The key a payload is stored under is a SHA-256 over it with each shared element hashed once
(:func:`stored`); rows stored under BLAKE2b of the whole text before stay as they are (a part names
its row by key).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from bot.identity_cache import IdentityCache
from bot.payload import Payload

_encode = json.JSONEncoder(ensure_ascii=False).encode

#: payloads encoded lately: (bytes, hash)
_payloads: IdentityCache[Payload, tuple[bytes, str]] = IdentityCache(256)
#: list elements encoded lately: (bytes, marker: NUL and the SHA-256 of the bytes)
_elements: IdentityCache[Any, tuple[bytes, bytes]] = IdentityCache(200_000)


def _element(value: Any) -> tuple[bytes, bytes]:
    data = _encode(value).encode()
    return data, b"\x00" + hashlib.sha256(data).digest()


def _body(body: dict[str, Any], out: list[bytes], keyed: list[bytes]) -> None:
    """``json.dumps(body, ensure_ascii=False)`` as UTF-8 pieces (``out``), each element of a list-valued field
    encoded once; ``keyed``: the same pieces with each such list's elements as their markers instead."""
    out.append(b"{")
    keyed.append(b"{")
    for n, (key, value) in enumerate(body.items()):
        name = (b", " if n else b"") + _encode(key).encode()
        out.append(name)
        keyed.append(name)
        if isinstance(value, list) and value and isinstance(value[0], dict):
            elements = [_elements.get(v, _element) for v in value]
            out.append(b": [" + b", ".join([e[0] for e in elements]) + b"]")
            keyed.append(b": [" + b"".join([e[1] for e in elements]) + b"]")
        else:
            text = b": " + _encode(value).encode()
            out.append(text)
            keyed.append(text)
    out.append(b"}")
    keyed.append(b"}")


def stored(payload: Payload) -> tuple[bytes, str]:
    """A payload's JSON (UTF-8) and the key it is stored under: the SHA-256 (first 128 bits) of the JSON with
    each list element's text replaced by its marker — NUL, which JSON text never holds raw, and the element's
    own SHA-256 — so that equal payloads get equal keys, different ones different keys, and a payload's key
    hashes a few bytes per element instead of its whole text (elements are shared: each is hashed once)."""
    return _payloads.get(payload, _stored)


def _stored(payload: Payload) -> tuple[bytes, str]:
    out = [b'{"body": ']
    keyed = [b'{"body": ']
    _body(payload.body, out, keyed)
    tail = (f', "thread_of": {_encode(payload.thread_of)}, "ephemeral": {_encode(payload.ephemeral)},'
            f' "source": {_encode(payload.source)}}}'.encode())
    out.append(tail)
    keyed.append(tail)
    data = b"".join(out)
    digest = hashlib.sha256(b"".join(keyed)).hexdigest()[:32]
    return data, digest


def loaded(text: str | bytes) -> Payload:
    """The payload stored as ``text``."""
    data = json.loads(text)
    return Payload(data.get("body") or {}, data.get("thread_of"), bool(data.get("ephemeral")),
                   int(data.get("source") or 0))
