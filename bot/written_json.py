"""A rendered block that comes with its JSON, written by its renderer from pieces it keeps.

An alert run lists the papers past each alert's cards in sections of one line a paper, and each of those sections
is new (each alert lists its own papers) though its lines are not (a paper's line is the same in thousands of
alerts). The ledger encodes every new block of a payload (:mod:`storage.payload_codec`): JSON-escaping and
UTF-8-encoding each list section's ~3,000 characters again cost ~1 s of the event loop's time in an alert run to
100,000 subscribers. Slack's renderer writes each paper's line as JSON once and a section's JSON by joining its
lines'; the codec takes that instead of encoding the block.
"""

from __future__ import annotations

from typing import Any

__all__ = ["WrittenJson"]


class WrittenJson(dict[str, Any]):
    """A block (a plain ``dict`` to everything else) and ``json``: exactly
    ``json.dumps(block, ensure_ascii=False).encode()``. Like every rendered block, never mutated."""

    __slots__ = ("json",)

    def __init__(self, block: dict[str, Any], json: bytes) -> None:
        super().__init__(block)
        self.json = json
