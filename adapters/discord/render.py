"""Neutral messages → Discord message payloads ``{"content", "embeds", "allowed_mentions"}``.

Embeds are built with discord.py's own :class:`discord.Embed` and serialised with
``to_dict()``; every message carries ``AllowedMentions.none()`` (``{"parse": []}``), so
paper text never pings anyone. Paper text is Markdown-escaped and mention-escaped (one
``escape()``), and every length is fitted with :func:`bot.text.fit` against
:mod:`adapters.discord.limits`. A digest post is one embed listing the papers (split
over several embeds and messages when long); each thread reply is one full paper card;
cards are packed into messages while they stay within 10 embeds and 6000 characters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import discord

from adapters.discord import limits
from bot.messages import Block, Detail, Header, Level, Message, Notice, PaperCard, PaperList, Text, votes_label
from bot.models import Paper
from bot.payload import Payload
from bot.text import fit

COLOUR = 0xF5A623
_ICON = {Level.INFO: "ℹ️", Level.SUCCESS: "✅", Level.WARNING: "⚠️", Level.ERROR: "❌"}
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\*_~`|[]<>#"})
_LINE_START = re.compile(r"^([-+>])", re.MULTILINE)  # bullets and quotes
_NUMBERED = re.compile(r"^(\d+)\.", re.MULTILINE)  # numbered lists
_MENTION = re.compile(r"@(everyone|here)")
ALLOWED_MENTIONS = discord.AllowedMentions.none().to_dict()


def escape(text: str) -> str:
    """Paper or user text, shown literally: no Markdown, no mentions, no masked links.

    Every Markdown-active character is backslash-escaped (Discord shows ``\\*`` as ``*``)
    and ``@everyone`` / ``@here`` get a zero-width space, as discord.py's
    ``escape_mentions`` does; a translate table keeps it fast, since long summaries are
    escaped many times while they are fitted.
    """
    escaped = _NUMBERED.sub(r"\1\\.", _LINE_START.sub(r"\\\1", text.translate(_MARKDOWN)))
    return _MENTION.sub("@\u200b\\1", escaped)


def link(label: str, url: str, limit: int) -> str:
    """A masked link to one of our URLs, its label fitted to ``limit`` characters in all."""
    return f"[{fit(label, max(1, limit - len(url) - 4), escape=escape)}]({url})"


def _thumbnail(paper: Paper) -> str | None:
    url = paper.thumbnail
    return url if url and url.lower().split("?")[0].endswith(_IMAGE_SUFFIXES) else None


def _snippet(segments: tuple[tuple[str, bool], ...], limit: int) -> str:
    out = ""
    for text, match in segments:
        piece = f"**{escape(text)}**" if match else escape(text)
        if len(out) + len(piece) > limit:
            rest = limit - len(out) - 4
            if rest > 10 and not match:
                out += fit(text, rest, escape=escape)
            break
        out += piece
    return out


def card_embed(card: PaperCard, *, field_limit: int = limits.FIELD_VALUE) -> discord.Embed:
    p = card.paper
    rank = f"{card.rank}. " if card.rank is not None else ""
    embed = discord.Embed(title=rank + fit(p.title, limits.TITLE - len(rank), escape=escape), url=p.url,
                          colour=COLOUR)
    lines = []
    if p.authors:
        shown = ", ".join(p.authors)
        lines.append(fit(shown, 600, escape=escape))
    if card.matched:
        lines.append(f"{card.matched_label}: " + fit(", ".join(card.matched), 300, escape=escape))
    if card.snippet and card.detail is not Detail.FULL:
        lines.append(_snippet(card.snippet, 1200))
    links = [link(label, url, 300) for label, url in p.links[:5]]
    if p.media:  # the paper's video, next to where its thumbnail shows
        links.insert(0, link(card.video_label, p.media.replace("(", "%28").replace(")", "%29"), 300))
    if links:
        lines.append(" · ".join(links))
    if card.other_language and card.detail is Detail.FULL:  # our own text: its `code` marks are meant
        lines.append(f"🌐 {card.other_language}")
    if lines:
        embed.description = fit("\n".join(lines), limits.DESCRIPTION) if len("\n".join(lines)) > limits.DESCRIPTION \
            else "\n".join(lines)
    if card.detail is Detail.FULL:
        more = link(card.more_label, p.url, len(p.url) + 24)
        for name, text in p.sections[: limits.FIELDS]:
            embed.add_field(name=fit(name, limits.FIELD_NAME, escape=escape) or "—",
                            value=fit(text, field_limit, escape=escape, more=more) or "—", inline=False)
    thumb = _thumbnail(p)
    if thumb:
        embed.set_thumbnail(url=thumb)
    footer = [votes_label(p.votes), f"arXiv {p.arxiv_id}"]
    if card.date_labels:
        footer.append(", ".join(card.date_labels[-3:]))
    embed.set_footer(text=fit(" · ".join(footer), limits.FOOTER))
    return embed


def _fitted_card(card: PaperCard) -> discord.Embed:
    """A card within one message's 6000-character budget, shortening its sections if needed."""
    field_limit = limits.FIELD_VALUE
    embed = card_embed(card)
    while len(embed) > limits.EMBED_TOTAL and field_limit > 80:
        field_limit = field_limit * 3 // 4
        embed = card_embed(card, field_limit=field_limit)
    return embed


def list_embeds(header: str, intro: str, block: PaperList) -> list[discord.Embed]:
    """The daily post: linked lines in as many embeds as the description limit needs."""
    lines = []
    for i, p in enumerate(block.papers, start=block.start):
        prefix = f"`{i:>2}.` {votes_label(p.votes)} "
        lines.append(prefix + link(p.title, p.url, 300))
    embeds: list[discord.Embed] = []
    current = intro + "\n\n" if intro else ""  # our own text: its `code` marks are meant
    for line in lines:
        if len(current) + len(line) + 1 > limits.DESCRIPTION - 100:
            embeds.append(discord.Embed(description=current.rstrip(), colour=COLOUR))
            current = ""
        current += line + "\n"
    embeds.append(discord.Embed(description=current.rstrip(), colour=COLOUR))
    if header:
        embeds[0].title = fit(header, limits.TITLE, escape=escape)
    return embeds


def _content_chunks(text: str) -> list[str]:
    """Our own text split into message-sized pieces on line boundaries."""
    chunks, current = [], ""
    for line in text.split("\n"):
        while len(line) > limits.CONTENT:
            chunks.append(current) if current else None
            current = ""
            chunks.append(fit(line, limits.CONTENT))
            line = ""
        if len(current) + len(line) + 1 > limits.CONTENT:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


def _text_of(block: Block) -> str | None:
    match block:
        case Header(text=text):
            return f"**{escape(text)}**"
        case Text(text=text):
            return text  # our own text: its `code` marks are meant
        case Notice(text=text, level=level):
            return f"{_ICON[level]} {text}"
    return None


def render_message(message: Message) -> list[dict[str, Any]]:
    """One neutral message → one or more Discord message bodies."""
    texts: list[str] = []
    embeds: list[discord.Embed] = []
    blocks = list(message.blocks)
    lists = [b for b in blocks if isinstance(b, PaperList)]
    if lists and not any(isinstance(b, PaperCard) for b in blocks):  # the daily post: header and intro go into the
        # listing embed
        header = next((b.text for b in blocks if isinstance(b, Header)), "Papers")
        intro = "\n".join(b.text for b in blocks if isinstance(b, Text))
        for listing in lists:
            embeds.extend(list_embeds(header, intro, listing))
        texts = [t for b in blocks if isinstance(b, Notice) and (t := _text_of(b))]
    else:  # cards (an alert: past its cards, a header over a listing, which titles the listing's embed)
        for i, block in enumerate(blocks):
            if isinstance(block, PaperCard):
                embeds.append(_fitted_card(block))
            elif isinstance(block, PaperList):
                title = blocks[i - 1].text if i and isinstance(blocks[i - 1], Header) else ""  # type: ignore[union-attr]
                embeds.extend(list_embeds(title, "", block))
            elif isinstance(block, Header) and i + 1 < len(blocks) and isinstance(blocks[i + 1], PaperList):
                continue  # the listing's title
            elif (text := _text_of(block)) is not None:
                texts.append(text)
    bodies: list[dict[str, Any]] = []
    chunks = _content_chunks("\n".join(texts)) if texts else [""]
    for chunk in chunks[:-1]:
        bodies.append({"content": chunk, "embeds": [], "allowed_mentions": ALLOWED_MENTIONS})
    current: list[discord.Embed] = []
    content = chunks[-1]
    for embed in embeds:
        size = sum(len(e) for e in current)
        if current and (len(current) == limits.EMBEDS_PER_MESSAGE or size + len(embed) > limits.EMBED_TOTAL):
            bodies.append({"content": content, "embeds": [e.to_dict() for e in current],
                           "allowed_mentions": ALLOWED_MENTIONS})
            content, current = "", []
        current.append(embed)
    if current or content:
        bodies.append({"content": content, "embeds": [e.to_dict() for e in current],
                       "allowed_mentions": ALLOWED_MENTIONS})
    return bodies


def _cards_only(message: Message) -> bool:
    return all(isinstance(b, PaperCard) for b in message.blocks)


def render(messages: Sequence[Message]) -> list[Payload]:
    """Payloads in send order. Consecutive thread replies made only of cards share messages
    (up to 10 embeds / 6000 characters each), so a thread takes 3-4 papers per message."""
    payloads: list[Payload] = []
    first_payload: dict[int, int] = {}
    index = 0
    while index < len(messages):
        message = messages[index]
        group = [index]
        if message.thread_of is not None and _cards_only(message):
            while (group[-1] + 1 < len(messages) and messages[group[-1] + 1].thread_of == message.thread_of
                   and _cards_only(messages[group[-1] + 1])):
                group.append(group[-1] + 1)
            if len(group) > 1:
                message = Message(tuple(b for i in group for b in messages[i].blocks), message.ephemeral,
                                  message.thread_of, message.kind)
        start = len(payloads)
        for i in group:
            first_payload[i] = start
        thread_of = first_payload.get(message.thread_of) if message.thread_of is not None else None
        for body in render_message(message):
            payloads.append(Payload(body, thread_of, message.ephemeral, index))
        index = group[-1] + 1
    return payloads


NO_MENTIONS = discord.AllowedMentions.none()


def send_kwargs(payload: Payload, marker: str = "") -> dict[str, Any]:
    """``content`` (when not empty), ``embeds`` and ``allowed_mentions`` for discord.py's ``send``; with
    ``marker``, a ``ref …`` tag in the last embed's footer (or a subtext line) where it fits the limits."""
    body = payload.body
    embeds = [discord.Embed.from_dict(e) for e in body.get("embeds") or []]
    content = body.get("content") or ""
    if marker:
        tag = f"ref {marker}"
        if embeds and sum(len(e) for e in embeds) + len(tag) + 3 <= limits.EMBED_TOTAL:
            last = embeds[-1]
            footer = last.footer.text or ""
            last.set_footer(text=f"{footer} · {tag}" if footer else tag, icon_url=last.footer.icon_url)
        elif len(content) + len(tag) + 4 <= limits.CONTENT:
            content = f"{content}\n-# {tag}" if content else f"-# {tag}"
    kwargs: dict[str, Any] = {"embeds": embeds, "allowed_mentions": NO_MENTIONS}
    if content:
        kwargs["content"] = content
    return kwargs
