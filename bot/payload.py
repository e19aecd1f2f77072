"""What a renderer returns: the exact body one API call sends, and where it goes.

Platform-neutral: renderers in ``adapters/`` produce it, and delivery (``bot.delivery``)
hands it to a platform's transport.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Payload:
    #: the request body as the platform receives it (Discord message JSON, Slack Block Kit, console text)
    body: dict[str, Any]
    #: index, in the same rendered list, of the payload whose thread this one replies in
    thread_of: int | None = None
    #: only the asking user sees it (interaction responses), where the platform can
    ephemeral: bool = False
    #: the neutral message it came from (several payloads may share one)
    source: int = 0
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def preview(self) -> dict[str, Any]:
        return {"thread_of": self.thread_of, "ephemeral": self.ephemeral, **self.body}
