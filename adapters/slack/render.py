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
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from adapters.slack import limits
from adapters.slack.blocks import CardParts, SlackBlock, card_parts, render_block, section, with_matched
from adapters.slack.mrkdwn import plain
from bot.identity_cache import IdentityCache
from bot.messages import Block, Message, PaperCard, block_text
from bot.payload import Payload
from bot.text import fit

EMPTY_FALLBACK = "paperbot"


def render(messages: Sequence[Message]) -> list[Payload]:
    payloads: list[Payload] = []
    first_payload: list[int] = []  # neutral message index → index of its first payload
    for index, message in enumerate(messages):
        rendered = [one for block in message.blocks if (one := rendered_block(block))[0]]
        groups = [group for group, _ in rendered]
        fallback = fallback_text(message)
        if not groups:
            groups = [[section(fallback)]]
            rendered = [(groups[0], [text_size(b) for b in groups[0]])]
        chunks = split(groups, [sizes for _, sizes in rendered])
        thread_of = None
        if message.thread_of is not None and 0 <= message.thread_of < index:
            thread_of = first_payload[message.thread_of]
        first_payload.append(len(payloads))
        for part, chunk in enumerate(chunks, start=1):
            text = fallback if part == 1 else continued(fallback, part, len(chunks))
            payloads.append(Payload(
                body={"text": text, "blocks": chunk},
                thread_of=thread_of,
                ephemeral=message.ephemeral,
                source=index,
                meta={"part": part, "parts": len(chunks), "kind": message.kind},
            ))
    return payloads


def fallback_text(message: Message) -> str:
    """``message.fallback()`` cut to :data:`~adapters.slack.limits.FALLBACK_TEXT`, its blocks read only as far as
    the cut (a long alert's text is not built whole for the few cards its fallback shows)."""
    limit = limits.FALLBACK_TEXT
    texts: list[str] = []
    read = 0
    for block in message.blocks:
        texts.append(card_text(block) if isinstance(block, PaperCard) else block_text(block))
        read += len(texts[-1]) + 1
        if read > limit + 1:  # past the cut (once leading and trailing space is stripped): the rest can't change it
            text = "\n".join(texts).strip()
            if len(text) > limit + 1:
                return fit(text, limit, escape=plain) or EMPTY_FALLBACK
    return fit("\n".join(texts).strip(), limit, escape=plain) or EMPTY_FALLBACK


def card_text(card: PaperCard) -> str:
    """A card's plain text, kept with the card: an alert's fallback reads the same cards many times."""
    return _TEXTS.get(card, block_text)


def continued(fallback: str, part: int, parts: int) -> str:
    first_line = fallback.splitlines()[0] if fallback.strip() else EMPTY_FALLBACK
    return f"{fit(first_line, 200)} ({part}/{parts})"


def text_size(value: Any) -> int:
    """Characters of text in a block (every ``text`` string, at any depth)."""
    if isinstance(value, dict):
        return sum(len(v) if k == "text" and isinstance(v, str) else text_size(v) for k, v in value.items())
    if isinstance(value, list):
        return sum(text_size(v) for v in value)
    return 0


#: a card's parts (:func:`~adapters.slack.blocks.card_parts`) and their blocks' text sizes, by card with its matched
#: terms left out: an alert run shows each paper to many subscribers, each with their own terms. Rendered cards
#: by identity (kept with the card): an alert run's messages hold the same card objects many times. Both bounded
#: (emptied when full); nothing mutates rendered blocks.
_PARTS: dict[tuple[Any, ...], tuple[CardParts, list[int], list[int]]] = {}
#: a card's fields but its matched terms
_unmatched = operator.attrgetter(*[f.name for f in fields(PaperCard) if f.name != "matched"])
CARDS_KEPT = 50_000
_RENDERED: IdentityCache[PaperCard, tuple[list[SlackBlock], list[int]]] = IdentityCache(CARDS_KEPT)
_TEXTS: IdentityCache[PaperCard, str] = IdentityCache(CARDS_KEPT)


def rendered_block(block: Block) -> tuple[list[SlackBlock], list[int]]:
    """A neutral block's Slack blocks and their text sizes; a paper card rendered once while it is kept."""
    if isinstance(block, PaperCard):
        return _RENDERED.get(block, rendered_card)
    group = render_block(block)
    return group, [text_size(b) for b in group]


def rendered_card(block: PaperCard) -> tuple[list[SlackBlock], list[int]]:
    """:func:`~adapters.slack.blocks.card` and its text sizes, the parts shared by the paper's cards."""
    base = _unmatched(block)
    found = _PARTS.get(base)
    if found is None:
        parts = card_parts(block)  # the parts leave the matched terms out
        found = (parts, [text_size(b) for b in parts.head], [text_size(b) for b in parts.tail])
        if len(_PARTS) >= CARDS_KEPT:
            _PARTS.clear()
        _PARTS[base] = found
    parts, head, tail = found
    group = with_matched(parts, block.matched)
    if not parts.context:
        return group, head
    context = group[len(head)]  # its text: its elements' (mrkdwn) texts
    return group, [*head, sum([len(element["text"]) for element in context["elements"]]), *tail]


def split(groups: list[list[SlackBlock]], sizes: list[list[int]] | None = None) -> list[list[SlackBlock]]:
    """Blocks into messages within the block count and text budget; a neutral block's group stays whole if it can.
    ``sizes``: each block's :func:`text_size`, when known."""
    chunks: list[list[SlackBlock]] = [[]]
    chunk = chunks[-1]
    size = 0
    known = sizes or [[text_size(b) for b in group] for group in groups]
    most_blocks, most_chars = limits.MAX_BLOCKS, limits.MESSAGE_BLOCKS_TEXT
    for group, group_sizes in zip(groups, known, strict=True):
        group_chars = sum(group_sizes)
        fits = len(chunk) + len(group) <= most_blocks and size + group_chars <= most_chars
        if chunk and not fits:
            chunk = []
            chunks.append(chunk)
            size = 0
            fits = len(group) <= most_blocks and group_chars <= most_chars
        if fits:  # the whole group, so each of its blocks
            chunk.extend(group)
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
