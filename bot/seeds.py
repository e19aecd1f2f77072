"""The sample digest shipped with paperbot (package ``seeds``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def seed_files() -> list[Path]:
    """The bundled digests, oldest first; they live in the installed ``seeds`` package."""
    root = resources.files("seeds")
    return sorted(Path(str(entry)) for entry in root.iterdir() if entry.name.endswith(".md"))
