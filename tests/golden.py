"""Golden files: a value compared with reviewed JSON on disk, rewritten only when asked.

``PAPERBOT_UPDATE_GOLDEN=1 pytest tests/adapters`` rewrites the goldens from what the code renders now; review
the diff by eye before committing it. Without the flag a missing golden fails the test: it is never created
silently (a missing file would otherwise freeze whatever the code happens to render).
"""

from __future__ import annotations

import json
import os
import pathlib
from typing import Any

import pytest

UPDATE = "PAPERBOT_UPDATE_GOLDEN"


def assert_matches_golden(value: Any, path: pathlib.Path) -> None:
    """``value`` equals the JSON in ``path``; with ``PAPERBOT_UPDATE_GOLDEN=1`` the file is rewritten first."""
    if os.environ.get(UPDATE) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if not path.exists():
        pytest.fail(f"golden file {path} is missing: run with {UPDATE}=1 to write it, review it, commit it",
                    pytrace=False)
    assert value == json.loads(path.read_text(encoding="utf-8"))
