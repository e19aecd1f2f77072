"""Neutral messages → Slack message bodies: ``render(messages) -> list[Payload]``.

Each body is a plain dict ``{"text": fallback, "blocks": [...]}`` — exactly what
``chat.postMessage`` (plus ``channel``/``thread_ts``) or a ``response_url`` takes. Blocks come
from :mod:`.blocks`; text rules (escaping every piece of paper/user text, neutralising
``*_~``` `` with zero-width spaces, our own ``<url|label>`` links, ``verbatim`` mrkdwn) are
in :mod:`.mrkdwn`.

A message with more blocks than one Slack message holds (50, or more text than
:data:`~adapters.slack.limits.MESSAGE_BLOCKS_TEXT`) becomes several payloads, split between
neutral blocks where possible. Continuations keep the message's ``thread_of``; a neutral
``thread_of`` (an index into ``messages``) becomes the index of that message's *first*
payload. ``ephemeral`` is carried over; ``source`` is the neutral message's index and
``meta`` holds ``{"part", "parts", "kind"}``.

The fallback ``text`` (notifications, clients without blocks) is the message's plain text,
escaped and neutralised like paper text, cut at :data:`~adapters.slack.limits.FALLBACK_TEXT`
and never empty.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import fields
from typing import Any

from adapters.slack import limits
from adapters.slack.blocks import CardParts, SlackBlock, card_parts, render_block, section, with_matched
from adapters.slack.mrkdwn import plain
from bot.identity_cache import IdentityCache
from bot.messages import Block, Message, PaperCard, PaperList, block_text, list_text
from bot.payload import Payload
from bot.text import fit

EMPTY_FALLBACK = "paperbot"


def render(messages: Sequence[Message]) -> list[Payload]:
    payloads: list[Payload] = []
    first_payload: list[int] = []  # neutral message index → index of its first payload
    for index, message in enumerate(messages):
        chunks = packed(rendered_blocks(message.blocks))
        fallback = fallback_text(message)
        if not chunks:
            group = [section(fallback)]
            chunks = packed([(group, [text_size(b) for b in group], text_size(group))])
        thread_of = None
        if message.thread_of is not None and 0 <= message.thread_of < index:
            thread_of = first_payload[message.thread_of]
        first_payload.append(len(payloads))
        parts = len(chunks)
        head = continued_head(fallback) if parts > 1 else ""
        for part, chunk in enumerate(chunks, start=1):
            payloads.append(Payload(
                body={"text": fallback if part == 1 else f"{head} ({part}/{parts})", "blocks": chunk},
                thread_of=thread_of,
                ephemeral=message.ephemeral,
                source=index,
                meta={"part": part, "parts": parts, "kind": message.kind},
            ))
    return payloads


def fallback_text(message: Message) -> str:
    """``message.fallback()`` cut to :data:`~adapters.slack.limits.FALLBACK_TEXT`, its blocks read only as far as
    the cut (a long alert's text is not built whole for the few cards its fallback shows)."""
    limit = limits.FALLBACK_TEXT
    texts: list[str] = []
    read = 0
    for block in message.blocks:
        if isinstance(block, PaperList):  # its lines as far as the cut
            texts.append(list_text(block, limit + 1 - read))
        else:
            texts.append(card_text(block) if isinstance(block, PaperCard) else block_text(block))
        read += len(texts[-1]) + 1
        if read > limit + 1:  # past the cut (once leading and trailing space is stripped): the rest can't change it
            text = "\n".join(texts).strip()
            if len(text) > limit + 1:
                return fit(text, limit, escape=plain) or EMPTY_FALLBACK
            if isinstance(block, PaperList):  # not past it once stripped: the whole list, then the rest
                texts[-1] = block_text(block)
                read = sum([len(t) + 1 for t in texts])
    return fit("\n".join(texts).strip(), limit, escape=plain) or EMPTY_FALLBACK


def card_text(card: PaperCard) -> str:
    """A card's plain text, kept with the card: an alert's fallback reads the same cards many times."""
    return _TEXTS.get(card, block_text)


def continued_head(fallback: str) -> str:
    """The fallback of a message's payloads after its first, before its ``(part/parts)``: the fallback's first line
    fitted in 200 characters (fitting reads 201 at most, so only the fallback's first 202 are split into lines; a
    long alert's fallback is 3,000)."""
    first_line = fallback[:202].splitlines()[0][:201] if fallback.strip() else EMPTY_FALLBACK
    return fit(first_line, 200)


def text_size(value: Any) -> int:
    """Characters of text in a block (every ``text`` string, at any depth)."""
    if isinstance(value, dict):
        return sum(len(v) if k == "text" and isinstance(v, str) else text_size(v) for k, v in value.items())
    if isinstance(value, list):
        return sum(text_size(v) for v in value)
    return 0


#: a neutral block's Slack blocks, their text sizes (:func:`text_size`) and their sum
Rendered = tuple[list[SlackBlock], list[int], int]

#: a card's parts (:func:`~adapters.slack.blocks.card_parts`) and their blocks' text sizes, by card with its matched
#: terms left out: an alert run shows each paper to many subscribers, each with their own terms; looked up by the
#: identities of the card's other fields (a subscriber's card is made from the paper's card, sharing them) and kept
#: with them. Rendered blocks by identity (kept with the block): an alert run's messages hold the same card, header
#: and footer objects many times. All bounded (emptied when full); nothing mutates rendered blocks.
_PARTS: dict[tuple[int, ...], tuple[tuple[Any, ...], CardParts, list[int], list[int]]] = {}
#: a card's fields but its matched terms
_unmatched = operator.attrgetter(*[f.name for f in fields(PaperCard) if f.name != "matched"])
CARDS_KEPT = 50_000
_RENDERED: IdentityCache[Block, Rendered] = IdentityCache(CARDS_KEPT)
_TEXTS: IdentityCache[PaperCard, str] = IdentityCache(CARDS_KEPT)


def rendered_blocks(blocks: Sequence[Block]) -> Iterator[Rendered]:
    """Each neutral block's Slack blocks, sizes and size, rendered once while the block is kept (an alert holds
    dozens of cards, most shared with other alerts, and the same header and footer as many others)."""
    kept = _RENDERED.get
    for block in blocks:
        yield kept(block, rendered_block)


def rendered_block(block: Block) -> Rendered:
    """A neutral block's Slack blocks, their text sizes and their sum."""
    if isinstance(block, PaperCard):
        return rendered_card(block)
    group = render_block(block)
    sizes = [text_size(b) for b in group]
    return group, sizes, sum(sizes)


def rendered_card(block: PaperCard) -> Rendered:
    """:func:`~adapters.slack.blocks.card` and its text sizes, the parts shared by the paper's cards."""
    base = _unmatched(block)
    key = tuple(map(id, base))  # the objects are kept with their parts: no other object has their ids meanwhile
    found = _PARTS.get(key)
    if found is None:
        parts = card_parts(block)  # the parts leave the matched terms out
        found = (base, parts, [text_size(b) for b in parts.head], [text_size(b) for b in parts.tail])
        if len(_PARTS) >= CARDS_KEPT:
            _PARTS.clear()
        _PARTS[key] = found
    _, parts, head, tail = found
    group = with_matched(parts, block.matched)
    if not parts.context:
        return group, head, sum(head)
    context = group[len(head)]  # its text: its elements' (mrkdwn) texts
    sizes = [*head, sum([len(element["text"]) for element in context["elements"]]), *tail]
    return group, sizes, sum(sizes)


def packed(rendered: Iterable[Rendered]) -> list[list[SlackBlock]]:
    """Rendered blocks (each neutral block's Slack blocks, their sizes and its size) split into messages within the
    block count and text budget; a neutral block's group stays whole if it can."""
    chunks: list[list[SlackBlock]] = [[]]
    chunk = chunks[-1]
    size = 0
    most_blocks, most_chars = limits.MAX_BLOCKS, limits.MESSAGE_BLOCKS_TEXT
    for group, group_sizes, group_chars in rendered:
        if len(chunk) + len(group) <= most_blocks and size + group_chars <= most_chars:
            chunk += group  # the whole group, so each of its blocks
            size += group_chars
            continue
        if chunk:
            chunk = []
            chunks.append(chunk)
            size = 0
            if len(group) <= most_blocks and group_chars <= most_chars:
                chunk += group
                size += group_chars
                continue
        for block, chars in zip(group, group_sizes, strict=True):
            if chunk and not (len(chunk) + 1 <= most_blocks and size + chars <= most_chars):
                chunk = []
                chunks.append(chunk)
                size = 0
            chunk.append(block)
            size += chars
    return [chunk for chunk in chunks if chunk]
