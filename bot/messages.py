"""Platform-neutral messages: what the core says, before any platform renders it.

A reply is a list of :class:`Message`; each holds blocks (a header, text, notices,
paper cards). Renderers in ``adapters/`` turn them into Discord embeds, Slack Block Kit
or terminal text, splitting them as their platform's limits require; ``fallback()`` is
the plain text of a message for notifications and platforms without rich layout.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from bot.models import VIDEO_LABEL, Paper


class Level(StrEnum):
    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


class Detail(StrEnum):
    LINE = "line"  # one line in a list: rank, votes, linked title
    COMPACT = "compact"  # a card: title, authors, votes, snippet
    FULL = "full"  # every summary section


@dataclass(frozen=True, slots=True)
class Header:
    text: str


@dataclass(frozen=True, slots=True)
class Text:
    """Plain text from us (never from a paper): renderers show it as it is."""

    text: str


@dataclass(frozen=True, slots=True)
class Notice:
    text: str
    level: Level = Level.INFO


@dataclass(frozen=True, slots=True)
class Action:
    """A button on a card: ``id`` names the handler, ``value`` is its argument."""

    id: str
    label: str
    value: str


SHOW_DETAILS = "show_paper"
SUBSCRIBE_AUTHOR = "subscribe_author"


@dataclass(frozen=True, slots=True)
class PaperCard:
    paper: Paper
    detail: Detail = Detail.COMPACT
    rank: int | None = None
    dates: tuple[dt.date, ...] = ()
    snippet: tuple[tuple[str, bool], ...] = ()  # (text, is_match) segments
    matched: tuple[str, ...] = ()  # why it is shown: matched authors or alert terms
    actions: tuple[Action, ...] = ()
    # the card's fixed words and dates in the reply's language (bot.layout fills them; renderers show them as is)
    matched_label: str = "matched"  # the word before ``matched``
    date_labels: tuple[str, ...] = ()  # ``dates`` through ``Lang.date``: ``Fri, Jun 28, 2024``
    more_label: str = "more"  # the link after a cut summary
    video_label: str = VIDEO_LABEL  # the link to the paper's video
    other_language: str = ""  # a note that the paper's text in the other language was left out (posts)


@dataclass(frozen=True, slots=True)
class PaperList:
    """A compact list of papers, one line each (the daily post)."""

    papers: tuple[Paper, ...]
    start: int = 1  # rank of the first line


Block = Header | Text | Notice | PaperCard | PaperList


class MessageKind(StrEnum):
    REPLY = "reply"  #: an answer to a command
    DIGEST = "digest"  #: a daily post (or its "no new papers" note) and its thread
    ALERT = "alert"  #: a topic alert, or a notice to a schedule's owner


@dataclass(frozen=True, slots=True)
class Message:
    blocks: tuple[Block, ...]
    ephemeral: bool = False  # only the asking user sees it, where the platform can
    thread_of: int | None = None  # index of the message in the same list this one replies to
    kind: MessageKind = MessageKind.REPLY

    def fallback(self) -> str:
        return "\n".join(block_text(b) for b in self.blocks).strip()


def votes_label(votes: int | None) -> str:
    return f"▲{'-' if votes is None else votes}"


def block_text(block: Block) -> str:
    """A block as plain text (fallbacks, console, tests)."""
    match block:
        case Header(text=text) | Text(text=text):
            return text
        case Notice(text=text):
            return text
        case PaperList():
            return list_text(block)
        case PaperCard(paper=p, rank=rank, detail=detail):
            head = f"{rank}. " if rank is not None else ""
            lines = [f"{head}{p.title} ({votes_label(p.votes)})", p.url]
            if p.authors:
                lines.append(", ".join(p.authors))
            if block.matched:
                lines.append(f"{block.matched_label}: " + ", ".join(block.matched))
            if detail is Detail.FULL:
                lines += [f"{name}: {text}" for name, text in p.sections]
                if block.other_language:
                    lines.append(block.other_language)
            elif block.snippet:
                lines.append("".join(t for t, _ in block.snippet))
            return "\n".join(lines)
    raise TypeError(f"not a block: {block!r}")


def list_text(block: PaperList, enough: int | None = None) -> str:
    """A list's plain text (:func:`block_text`), or only as many of its first lines as make ``enough`` characters
    (a fallback cut at 3,000 characters reads a dozen lines of a long alert's list, not all of them)."""
    lines = (f"{i}. {votes_label(p.votes)} {p.title} {p.url}" for i, p in enumerate(block.papers, start=block.start))
    if enough is None:
        return "\n".join(lines)
    taken = []
    size = -1  # the newlines between lines
    for line in lines:
        taken.append(line)
        size += len(line) + 1
        if size >= enough:
            break
    return "\n".join(taken)


@dataclass(frozen=True, slots=True)
class Reply:
    """What a command returns: messages in order (threads refer to earlier ones)."""

    messages: tuple[Message, ...] = field(default_factory=tuple)

    @classmethod
    def notice(cls, text: str, level: Level = Level.INFO, *, ephemeral: bool = True) -> Reply:
        return cls((Message((Notice(text, level),), ephemeral=ephemeral),))
