"""What a digest source is: something that fetches the digest of a day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.models import Digest, Problem


@dataclass(frozen=True, slots=True)
class SourceResult:
    """What a fetch brought back.

    ``digest`` is ``None`` when nothing usable came back (the ``problems`` say why);
    a digest with no papers is a real answer (a day without papers). ``origin`` is the
    URL or path the digest was read from.
    """

    digest: Digest | None
    problems: tuple[Problem, ...] = ()
    origin: str = ""

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


@runtime_checkable
class Source(Protocol):
    """A digest source. ``fetch(None)`` asks for the latest digest available.

    A fetch that fails as a whole (network, HTTP status, missing file) raises
    :class:`bot.http.FetchError`; problems with single entries come back as ``problems``.
    """

    name: str

    async def fetch(self, date: dt.date | None) -> SourceResult: ...
