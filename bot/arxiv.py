"""arXiv identifiers and paper links: the one place that knows what an id and a paper link look like."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_NEW = r"\d{4}\.\d{4,5}"
_OLD = r"[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}"
_ID = rf"(?P<id>{_NEW}|{_OLD})(?P<version>v\d+)?"

#: A bare id as a user types it: ``2406.18629``, ``2406.18629v2``, ``arXiv:2406.18629``.
_BARE = re.compile(rf"^\s*(?:arxiv:)?\s*{_ID}\s*$", re.IGNORECASE)
#: The path of a paper on arxiv.org (``/abs/…``, ``/pdf/….pdf``, ``/html/…``) and on huggingface.co (``/papers/…``).
_ARXIV_PATH = re.compile(rf"^/(?:abs|pdf|html)/{_ID}(?:\.pdf)?/?$", re.IGNORECASE)
_HF_PATH = re.compile(rf"^/papers/{_ID}/?$", re.IGNORECASE)
ARXIV_HOSTS = frozenset({"arxiv.org", "www.arxiv.org", "export.arxiv.org"})
HF_HOSTS = frozenset({"huggingface.co", "www.huggingface.co"})


def paper_link(url: str) -> tuple[str, str] | None:
    """``(id, version)`` of a genuine paper link, ``version`` being ``"v2"`` or ``""``.

    Only an http(s) link to arxiv.org or huggingface.co/papers, or a path relative to
    Hugging Face (``/papers/<id>``), names a paper: ``javascript:…//arxiv.org/abs/…`` or
    ``https://evil.example/arxiv.org/abs/…`` do not.
    """
    text = url.strip()
    if not text or any(c.isspace() or ord(c) < 32 for c in text):
        return None
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme:
        if parts.scheme.lower() not in ("http", "https") or host is None:
            return None
    elif parts.netloc:  # //arxiv.org/abs/…
        if host is None:
            return None
    else:  # relative to huggingface.co
        match = _HF_PATH.match(parts.path)
        return (match.group("id"), match.group("version") or "") if match else None
    if parts.username is not None or parts.password is not None:
        return None
    if host in ARXIV_HOSTS:
        match = _ARXIV_PATH.match(parts.path)
    elif host in HF_HOSTS:
        match = _HF_PATH.match(parts.path)
    else:
        return None
    return (match.group("id"), (match.group("version") or "").lower()) if match else None


def from_url(url: str) -> str | None:
    """The normalised arXiv id in a genuine paper link, or ``None`` when there is none."""
    found = paper_link(url)
    return found[0] if found else None


def normalize(text: str) -> str | None:
    """A user-typed id or link, normalised (no version suffix); ``None`` when it is not one."""
    match = _BARE.match(text)
    if match:
        return match.group("id")
    return from_url(text)


def abs_url(arxiv_id: str, version: str = "") -> str:
    """The one form a paper's link is stored in: ``https://arxiv.org/abs/<id>[vN]``."""
    return f"https://arxiv.org/abs/{arxiv_id}{version}"
