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

from collections.abc import Sequence
from typing import Any

from adapters.slack import limits
from adapters.slack.blocks import SlackBlock, render_block, section
from adapters.slack.mrkdwn import plain
from bot.messages import Block, Message, PaperCard
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
    return fit(message.fallback(), limits.FALLBACK_TEXT, escape=plain) or EMPTY_FALLBACK


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


#: rendered paper cards with their blocks' text sizes, by card: an alert run shows the same card (paper, matched
#: terms, language) to many subscribers. Bounded (oldest first out); nothing mutates rendered blocks.
_CARDS: dict[PaperCard, tuple[list[SlackBlock], list[int]]] = {}
CARDS_KEPT = 50_000


def rendered_block(block: Block) -> tuple[list[SlackBlock], list[int]]:
    """A neutral block's Slack blocks and their text sizes; a paper card rendered once while it is kept."""
    if isinstance(block, PaperCard):
        found = _CARDS.get(block)
        if found is None:
            group = render_block(block)
            found = _CARDS[block] = (group, [text_size(b) for b in group])
            if len(_CARDS) > CARDS_KEPT:
                del _CARDS[next(iter(_CARDS))]
        return found
    group = render_block(block)
    return group, [text_size(b) for b in group]


def split(groups: list[list[SlackBlock]], sizes: list[list[int]] | None = None) -> list[list[SlackBlock]]:
    """Blocks into messages within the block count and text budget; a neutral block's group stays whole if it can.
    ``sizes``: each block's :func:`text_size`, when known."""
    chunks: list[list[SlackBlock]] = [[]]
    size = 0
    known = sizes or [[text_size(b) for b in group] for group in groups]

    def fits(block_count: int, chars: int) -> bool:
        return (len(chunks[-1]) + block_count <= limits.MAX_BLOCKS
                and size + chars <= limits.MESSAGE_BLOCKS_TEXT)

    for group, group_sizes in zip(groups, known, strict=True):
        group_chars = sum(group_sizes)
        if chunks[-1] and not fits(len(group), group_chars):
            chunks.append([])
            size = 0
        for block, chars in zip(group, group_sizes, strict=True):
            if chunks[-1] and not fits(1, chars):
                chunks.append([])
                size = 0
            chunks[-1].append(block)
            size += chars
    return [chunk for chunk in chunks if chunk]
