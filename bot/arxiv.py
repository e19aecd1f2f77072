"""arXiv identifiers: the one place that knows what an id looks like."""

from __future__ import annotations

import re

_NEW = r"\d{4}\.\d{4,5}"
_OLD = r"[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}"
_ID = rf"(?P<id>{_NEW}|{_OLD})(?:v\d+)?"

#: A bare id as a user types it: ``2406.18629``, ``2406.18629v2``, ``arXiv:2406.18629``.
_BARE = re.compile(rf"^\s*(?:arxiv:)?\s*{_ID}\s*$", re.IGNORECASE)
#: An id inside a link: arxiv.org/abs/…, arxiv.org/pdf/….pdf, huggingface.co/papers/….
_IN_URL = re.compile(
    rf"(?:arxiv\.org/(?:abs|pdf|html)/|huggingface\.co/papers/){_ID}(?:\.pdf)?(?:[/?#]|$)",
    re.IGNORECASE,
)


def from_url(url: str) -> str | None:
    """The normalised arXiv id in a paper link, or ``None`` when there is none."""
    match = _IN_URL.search(url.strip())
    return match.group("id") if match else None


def normalize(text: str) -> str | None:
    """A user-typed id or link, normalised (no version suffix); ``None`` when it is not one."""
    match = _BARE.match(text)
    if match:
        return match.group("id")
    return from_url(text)


def abs_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/abs/{arxiv_id}"
