"""Which links a digest keeps: ``https://`` thumbnails and videos, http(s) extra links; the video a line shows."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

HF_BASE = "https://huggingface.co"
VIDEO_SUFFIXES = (".mp4", ".webm", ".mov", ".m4v", ".ogv")

_MEDIA_LINK = re.compile(r"^\[(?P<label>[^\]]{0,80})\]\s*\(?(?P<url>[^\s()<>]+)\)?$")
_VIDEO_TAG = re.compile(
    r"""<(?:video|source)\b[^>]*?\bsrc\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s>"']+))""",
    re.IGNORECASE,
)


def _clean_url(src: str) -> str | None:
    text = src.strip().strip("<>").strip()
    if not text or any(c.isspace() or ord(c) < 32 for c in text):
        return None
    return text


def _with_host(text: str, schemes: tuple[str, ...]) -> str | None:
    """``text`` when it is a URL of one of ``schemes`` with a host and no user name, else ``None``."""
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in schemes or not host or parts.username is not None:
        return None
    return text


def safe_https(src: str) -> str | None:
    """An ``https://`` URL with a host, or ``None``; ``//host/…`` and ``/path`` (Hugging Face) are resolved."""
    text = _clean_url(src)
    if text is None:
        return None
    if text.startswith("//"):
        text = "https:" + text
    elif text.startswith("/"):
        text = HF_BASE + text
    return _with_host(text, ("https",))


def safe_web_url(src: str) -> str | None:
    """An http(s) URL with a host (extra links such as code pages), or ``None``."""
    text = _clean_url(src)
    return None if text is None else _with_host(text, ("http", "https"))


def absolute_thumbnail(src: str) -> str | None:
    """A thumbnail as stored: ``https://`` only (relative ``/avatars/…`` against huggingface.co)."""
    return safe_https(src)


def media_src(line: str) -> str | bool | None:
    """The video a line shows: its URL, ``False`` when the line is not a video line."""
    lowered = line[:200].lower()
    if line.startswith("<") and ("<video" in lowered or "<source" in lowered or "<div" in lowered):
        match = _VIDEO_TAG.search(line)
        if match:
            return match.group("dq") or match.group("sq") or match.group("bare") or ""
        return False
    if line.startswith("["):
        match = _MEDIA_LINK.match(line)
        if match and ("video" in match.group("label").lower()
                      or _url_path(match.group("url")).endswith(VIDEO_SUFFIXES)):
            return match.group("url")
    return False


def _url_path(url: str) -> str:
    try:
        return urlsplit(url).path.lower()
    except ValueError:
        return ""
