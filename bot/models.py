"""The domain: a digest is a dated, ordered list of papers.

Everything here is immutable; parsers and sources build these, the store keeps them,
and the message layer reads them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

#: Summary sections of the Korean daily-papers digest, in their usual order.
KNOWN_SECTIONS: tuple[str, ...] = ("What's New", "Technical Details", "Performance Highlights")
#: how posts name a paper's media (a link where a thumbnail would show)
VIDEO_LABEL = "▶ video"


@dataclass(frozen=True, slots=True)
class Paper:
    """One paper as a digest presents it.

    ``votes`` is ``None`` when the digest shows ``Vote: -``. ``sections`` is an ordered
    tuple of ``(name, text)`` pairs; unknown section names are kept as they are.
    ``links`` holds extra ``(label, url)`` pairs such as code or project pages. ``media``
    is a video the digest shows instead of (or besides) the thumbnail, an ``https://`` URL.
    """

    arxiv_id: str
    url: str
    title: str
    thumbnail: str | None = None
    votes: int | None = None
    authors: tuple[str, ...] = ()
    sections: tuple[tuple[str, str], ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    media: str | None = None

    def section(self, name: str) -> str | None:
        for key, text in self.sections:
            if key == name:
                return text
        return None


@dataclass(frozen=True, slots=True)
class Digest:
    """The papers of one day, in the order the digest lists them."""

    date: dt.date
    papers: tuple[Paper, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong in an input, located as ``path:line``.

    ``severity`` is ``"error"`` when an entry was rejected, ``"warning"`` when the entry
    was kept but something in it was ignored or repaired. ``cause`` is a short key for
    the kind of problem (``"unsafe link"``, ``"bad vote"`` …), used to summarise a file's
    problems; it does not take part in equality.
    """

    path: str
    line: int
    message: str
    severity: str = "error"
    cause: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


@dataclass(frozen=True, slots=True)
class ParseResult:
    digest: Digest | None
    problems: tuple[Problem, ...] = ()

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")
