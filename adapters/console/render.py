"""Neutral messages → terminal output (rich). Paper text is shown as text, never as markup."""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.text import Text as RichText

from bot.messages import Block, Detail, Header, Level, Message, Notice, PaperCard, PaperList, Text, votes_label
from bot.payload import Payload

WIDTH = 100
_LEVEL_STYLE = {Level.INFO: "cyan", Level.SUCCESS: "green", Level.WARNING: "yellow", Level.ERROR: "bold red"}
_LEVEL_ICON = {Level.INFO: "ℹ", Level.SUCCESS: "✓", Level.WARNING: "!", Level.ERROR: "✗"}


def _card(card: PaperCard) -> RenderableType:
    p = card.paper
    head = RichText()
    if card.rank is not None:
        head.append(f"{card.rank}. ", style="bold")
    head.append(p.title, style="bold")
    head.append(f"  {votes_label(p.votes)}", style="magenta")
    lines: list[RenderableType] = [head, RichText(p.url, style="blue underline")]
    if p.media:
        lines.append(RichText(f"{card.video_label} {p.media}", style="blue"))
    meta = []
    if p.authors:
        shown = p.authors if card.detail is Detail.FULL else p.authors[:6]
        meta.append(", ".join(shown) + (" …" if len(shown) < len(p.authors) else ""))
    if card.date_labels:
        meta.append("📅 " + ", ".join(card.date_labels))
    if meta:
        lines.append(RichText(" · ".join(meta), style="dim"))
    if card.matched:
        lines.append(RichText(f"{card.matched_label}: " + ", ".join(card.matched), style="green"))
    if card.snippet and card.detail is not Detail.FULL:
        snippet = RichText()
        for text, match in card.snippet:
            snippet.append(text, style="reverse" if match else "")
        lines.append(snippet)
    if card.detail is Detail.FULL:
        for name, text in p.sections:
            lines.append(RichText(name, style="bold underline"))
            lines.append(RichText(text))
        for label, url in p.links:
            lines.append(RichText(f"{label}: {url}", style="blue"))
        if card.other_language:
            lines.append(RichText(f"🌐 {card.other_language}", style="dim"))
    if card.actions:
        lines.append(RichText("  ".join(f"[{a.label}]" for a in card.actions), style="dim"))
    lines.append(RichText(""))
    return Group(*lines)


def _list(block: PaperList) -> RenderableType:
    rows = []
    for i, p in enumerate(block.papers, start=block.start):
        row = RichText(f"{i:>2}. ")
        row.append(f"{votes_label(p.votes):>5} ", style="magenta")
        row.append(p.title, style="bold")
        row.append(f"\n      {p.url}", style="blue")
        rows.append(row)
    return Group(*rows)


def renderable(block: Block) -> RenderableType:
    match block:
        case Header(text=text):
            return RichText(text, style="bold reverse")
        case Text(text=text):
            return RichText(text)
        case Notice(text=text, level=level):
            return RichText(f"{_LEVEL_ICON[level]} {text}", style=_LEVEL_STYLE[level])
        case PaperList():
            return _list(block)
        case PaperCard():
            return _card(block)
    raise TypeError(f"not a block: {block!r}")


def message_renderable(message: Message) -> RenderableType:
    body: RenderableType = Group(*(renderable(b) for b in message.blocks))
    if message.thread_of is not None:
        body = Padding(body, (0, 0, 0, 4))  # thread replies are indented under their post
    return body


def render(messages: Sequence[Message]) -> list[Payload]:
    payloads = []
    for index, message in enumerate(messages):
        console = Console(width=WIDTH, record=True, file=io.StringIO(), color_system=None)
        console.print(message_renderable(message))
        payloads.append(Payload({"text": console.export_text().rstrip()}, message.thread_of,
                                message.ephemeral, index))
    return payloads
