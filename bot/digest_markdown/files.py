"""Digest files: the names that hold one, and the size cap a file is refused above."""

from __future__ import annotations

import os
from pathlib import PurePath

from bot.models import Problem

#: the file names a digest is read from, by ``paperbot ingest`` and by folder sources alike
DIGEST_SUFFIXES = (".md", ".markdown", ".txt")
#: files larger than this are refused (bytes); the environment variable overrides it
DEFAULT_MAX_DIGEST_BYTES = 8_000_000
MAX_DIGEST_BYTES_ENV = "PAPERBOT_MAX_DIGEST_BYTES"


def is_digest_file(path: str | PurePath) -> bool:
    """A file name ending in one of :data:`DIGEST_SUFFIXES` (any case): ``2024-06-28.md``, ``seed.TXT``."""
    return PurePath(path).suffix.lower() in DIGEST_SUFFIXES


def max_digest_bytes() -> int:
    """The size cap for one digest file: ``$PAPERBOT_MAX_DIGEST_BYTES`` or the default."""
    value = os.environ.get(MAX_DIGEST_BYTES_ENV, "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return DEFAULT_MAX_DIGEST_BYTES


def too_large(path: str, size: int, limit: int | None = None) -> Problem | None:
    """The error for a file over the size cap, or ``None``."""
    limit = max_digest_bytes() if limit is None else limit
    if size <= limit:
        return None
    return Problem(path, 1, f"{size:,} bytes, over the {limit:,}-byte limit for one digest "
                            f"(set {MAX_DIGEST_BYTES_ENV} to raise it); nothing read", cause="too large")
