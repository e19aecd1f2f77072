"""Values derived from an object, kept by the object's identity while the object is kept with them — or on the
object itself (:class:`WrittenJson`).

For objects that are not hashable, or whose hash costs as much as the work it would save (a payload's body, a
rendered card, a list of Block Kit elements): an alert run or a fan-out hands the same objects over again and
again, and each is encoded or rendered once. Bounded: emptied when full.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

__all__ = ["IdentityCache", "WrittenJson"]

K = TypeVar("K")
V = TypeVar("V")


class IdentityCache(Generic[K, V]):
    """``get(key, make)``: ``make(key)`` once per object ``key`` while it is kept (``size`` objects at most)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: dict[int, tuple[K, V]] = {}  # the key kept with its value: its id is not reused meanwhile

    def get(self, key: K, make: Callable[[K], V]) -> V:
        kept = self._kept.get(id(key))
        if kept is not None and kept[0] is key:
            return kept[1]
        value = make(key)
        if len(self._kept) >= self.size:
            self._kept.clear()
        self._kept[id(key)] = (key, value)
        return value

    def clear(self) -> None:
        """Forget every object kept (and let go of them)."""
        self._kept.clear()

    def get_many(self, keys: Iterable[K], make: Callable[[K], V]) -> list[V]:
        """``[get(key, make) for key in keys]`` without a method call a key found (an alert's list of papers)."""
        kept = self._kept.get
        return [found[1] if (found := kept(id(key))) is not None and found[0] is key else self.get(key, make)
                for key in keys]


class WrittenJson(dict[str, Any]):
    """A rendered block (a plain ``dict`` to everything else) with its JSON, written by its renderer from pieces it
    keeps: ``json`` is exactly ``json.dumps(block, ensure_ascii=False).encode()``. Like every rendered block, never
    mutated.

    An alert run lists the papers past each alert's cards in sections of one line a paper, and each such section is
    new (each alert lists its own papers) though its lines are not (a paper's line is the same in thousands of
    alerts). The ledger encodes every new block of a payload (:mod:`storage.payload_codec`): JSON-escaping and
    UTF-8-encoding each list section's ~3,000 characters again cost ~0.7 s of the event loop's time in an alert run
    to 100,000 subscribers. Slack's renderer writes each paper's line as JSON once and a section's JSON by joining
    its lines'; the codec takes that instead of encoding the block.
    """

    __slots__ = ("json",)

    def __init__(self, block: dict[str, Any], json: bytes) -> None:
        super().__init__(block)
        self.json = json
