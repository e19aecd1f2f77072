"""A paper being assembled while its lines are read: its fields and its summary sections."""

from __future__ import annotations

from bot import arxiv
from bot.digest_markdown.fields import literal_list, squash
from bot.digest_markdown.lines import ITEM
from bot.models import Paper

#: the section that unlabelled summary bullets go to
SUMMARY = "Summary"


class Section:
    __slots__ = ("lines", "name")

    def __init__(self, name: str, first: str) -> None:
        self.name = name
        self.lines: list[list[str]] = [[first]] if first.strip() else []

    def add(self, text: str) -> None:
        """A continuation: a list item starts a new line, anything else continues the last one."""
        if not self.lines or ITEM.match(text):
            self.lines.append([text])
        else:
            self.lines[-1].append(text)

    def text(self) -> str:
        lines = [squash(" ".join(parts)) for parts in self.lines]
        text = "\n".join(line for line in lines if line)
        if "\n" not in text:
            items = literal_list(text)
            if items is not None:
                return "\n".join(f"- {item}" for item in items)
        return text


class Entry:
    """A paper being assembled while its lines are read."""

    def __init__(self, line: int, title: str, arxiv_id: str, version: str) -> None:
        self.line = line
        self.title = title
        self.arxiv_id = arxiv_id
        self.url = arxiv.abs_url(arxiv_id, version)
        self.thumbnail: str | None = None
        self.media: str | None = None
        self.votes: int | None = None
        self.authors: tuple[str, ...] = ()
        self.links: list[tuple[str, str]] = []
        self.sections: list[Section] = []
        self.dropped = 0  # body lines that produced nothing

    def add_text(self, text: str) -> None:
        if self.sections:
            self.sections[-1].add(text)
        else:
            self.sections.append(Section(SUMMARY, text))

    def paper(self) -> Paper:
        return Paper(
            arxiv_id=self.arxiv_id,
            url=self.url,
            title=self.title,
            thumbnail=self.thumbnail,
            votes=self.votes,
            authors=self.authors,
            sections=tuple((s.name, s.text()) for s in self.sections),
            links=tuple(self.links),
            media=self.media,
        )
