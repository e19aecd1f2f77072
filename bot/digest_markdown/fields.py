"""One field's text: whitespace folded, Python list literals (authors, section bodies) read safely."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

#: list literals longer than this are kept as text (``ast.literal_eval`` on a bounded string only)
MAX_LITERAL = 200_000

_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    """Whitespace-normalise one field: the canonical form of every text in a digest."""
    return _WS.sub(" ", text).strip()


def literal_list(text: str) -> list[str] | None:
    """The strings of a Python list literal such as ``['A', 'B']``, or ``None`` when it is not one."""
    text = text.strip()
    if not (text.startswith(("['", '["')) and text.endswith("]")) or len(text) > MAX_LITERAL:
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        return None
    items = [squash(v) for v in value]
    return [i for i in items if i] or None


def _unique(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n for n in names if n))


def split_authors(value: str) -> tuple[str, ...]:
    """``A, B`` or ``['A', 'B']`` → ``("A", "B")``, each once, in order."""
    listed = literal_list(value)
    if listed is not None:
        return _unique(listed)
    value = value.strip()
    if value.startswith("[") and value.endswith("]"):  # a list literal that did not evaluate
        return _unique(squash(x.strip().strip("'\"")) for x in value[1:-1].split(","))
    return _unique(squash(x) for x in value.split(","))
