"""One neutral block → Slack Block Kit blocks (plain dicts), each within :mod:`.limits`.

Layout:

* ``Header`` → a ``header`` block (plain_text, shortened to 150 characters);
* ``Text`` / ``Notice`` → ``section`` blocks of escaped mrkdwn, split on line ends at 3000
  characters; a notice starts with an emoji for its level;
* ``PaperList`` → sections of ``N. ▲votes <url|title>`` lines, split between lines so no
  paper is ever dropped;
* ``PaperCard`` → a section with the rank and linked bold title (and the thumbnail as an image
  accessory when Slack can show it: png/jpg/gif, never SVG); a context line (votes, digest
  dates as the reader's language writes them, authors, why it matched, the paper's video as "▶ video",
  extra links); the snippet with
  matches in bold (COMPACT) or one section per summary section (FULL, long text cut with :func:`bot.text.fit` and a
  ``more`` link to the paper), and the note that a post left the paper's other-language text out; then its
  buttons. Every fixed word on a card comes with it, in the reader's language (:func:`bot.layout.card`).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any
from urllib.parse import urlsplit

from adapters.slack import limits
from adapters.slack.mrkdwn import bold, escape, http_url, label, link, plain
from bot.identity_cache import IdentityCache, WrittenJson
from bot.messages import Action, Block, Detail, Header, Level, Notice, PaperCard, PaperList, Text, votes_label
from bot.models import Paper
from bot.text import fit

SlackBlock = dict[str, Any]

LEVEL_EMOJI: dict[Level, str] = {
    Level.INFO: ":information_source:",
    Level.SUCCESS: ":white_check_mark:",
    Level.WARNING: ":warning:",
    Level.ERROR: ":x:",
}
MAX_LINKS = 5
SECTION_NAME = 200


# -- primitives ---------------------------------------------------------------------------------------------------
def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def plain_text(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": fit(text.strip(), limit) or "…", "emoji": True}


def section(text: str, accessory: dict[str, Any] | None = None) -> SlackBlock:
    block: SlackBlock = {"type": "section", "text": mrkdwn(text)}
    if accessory is not None:
        block["accessory"] = accessory
    return block


def sections(lines: Iterable[str]) -> list[SlackBlock]:
    """Lines (each already within a section's limit) packed into as few sections as fit."""
    lines = list(lines)
    chunks = ["\n".join(lines[first:end]) for first, end in section_runs(list(map(len, lines)))]
    return [section(chunk) for chunk in chunks if chunk.strip()]


def section_runs(sizes: Sequence[int]) -> list[tuple[int, int]]:
    """Lines of these sizes packed into as few sections as fit, in order: each section's first line and the end."""
    runs: list[tuple[int, int]] = []
    first, size = 0, -1  # the section's first line; its text's size: its lines and the newlines between them
    for i, n in enumerate(sizes):
        if i > first and size + 1 + n > limits.SECTION_TEXT:
            runs.append((first, i))
            first, size = i, -1
        size += 1 + n
    if sizes:
        runs.append((first, len(sizes)))
    return runs


def our_lines(text: str, prefix: str = "") -> list[str]:
    """Our own text (may hold formatting): escaped, line by line, each line within a section."""
    raw = text.splitlines() or [""]
    if prefix:
        raw[0] = f"{prefix} {raw[0]}"
    return [fit(line, limits.SECTION_TEXT, escape=escape) for line in raw]


# -- blocks ---------------------------------------------------------------------------------------------------
def render_block(block: Block) -> list[SlackBlock]:
    match block:
        case Header(text=text):
            return [{"type": "header", "text": plain_text(text, limits.HEADER_TEXT)}] if text.strip() else []
        case Text(text=text):
            return sections(our_lines(text))
        case Notice(text=text, level=level):
            return sections(our_lines(text, LEVEL_EMOJI[level]))
        case PaperList(papers=papers, start=start):
            return list_sections(papers, start)
        case PaperCard():
            return card(block)
    raise TypeError(f"not a block: {block!r}")


def title_markup(paper: Paper) -> str:
    return fit(paper.title.strip() or paper.arxiv_id, limits.TITLE_TEXT, escape=label)


def list_line(paper: Paper, rank: int | None) -> str:
    head = f"{rank}. " if rank is not None else ""
    return head + _LINES.get(paper, _line)[0]


#: a paper's list line after its rank, and the line's JSON string's inside (UTF-8), by the paper's identity: an alert
#: run lists the same papers past each alert's cards thousands of times (checking and escaping the link was most of
#: its rendering, and encoding each list section for the ledger most of storing it)
_LINES: IdentityCache[Paper, tuple[str, bytes]] = IdentityCache(50_000)


def _line(paper: Paper) -> tuple[str, bytes]:
    line = f"{votes_label(paper.votes)} {link(paper.url, title_markup(paper))}"
    return line, encode_basestring(line)[1:-1].encode()


_SECTION_JSON = (b'{"type": "section", "text": {"type": "mrkdwn", "text": "', b'", "verbatim": true}}')


def list_sections(papers: Sequence[Paper], start: int) -> list[SlackBlock]:
    """``sections(list_line(p, rank) for rank, p in enumerate(papers, start=start))``, each section with its JSON
    (:class:`~bot.identity_cache.WrittenJson`) joined from its lines' (each paper's kept with its line)."""
    found = _LINES.get_many(papers, _line)
    heads, encoded_heads = _heads(start, start + len(found))
    texts = list(map(operator.add, heads, map(_TEXT, found)))
    data = list(map(operator.add, encoded_heads, map(_JSON, found)))
    return [_list_section(texts[first:end], data[first:end])
            for first, end in section_runs(list(map(len, texts)))]


_TEXT, _JSON = operator.itemgetter(0), operator.itemgetter(1)
#: each rank's head (``"7. "``) as text and as UTF-8, by rank
_HEADS: tuple[list[str], list[bytes]] = ([], [])


def _heads(start: int, end: int) -> tuple[list[str], list[bytes]]:
    """The heads of ranks ``start`` to ``end`` (made once each)."""
    if start < 0:
        heads = [f"{rank}. " for rank in range(start, end)]
        return heads, [head.encode() for head in heads]
    texts, encoded = _HEADS
    for rank in range(len(texts), end):
        texts.append(f"{rank}. ")
        encoded.append(texts[-1].encode())
    return texts[start:end], encoded[start:end]


def _list_section(texts: list[str], data: list[bytes]) -> SlackBlock:
    """:func:`section` of the lines, with its JSON."""
    return WrittenJson(section("\n".join(texts)), b"\\n".join(data).join(_SECTION_JSON))


def card(block: PaperCard) -> list[SlackBlock]:
    return with_matched(card_parts(block), block.matched)


@dataclass(frozen=True, slots=True)
class CardParts:
    """A card's blocks with its matched terms left out: every subscriber alerted about a paper sees the same
    parts, with their own terms put in (:func:`with_matched`); the parts are shared, never mutated."""

    head: tuple[SlackBlock, ...]  # the title section (a LINE card: its one line)
    before: tuple[dict[str, Any], ...]  # the context line's elements before the matched terms
    after: tuple[dict[str, Any], ...]  # … and after them
    tail: tuple[SlackBlock, ...]  # snippet or summary sections, then the buttons
    context: bool = True  # a LINE card has no context line


def card_parts(block: PaperCard) -> CardParts:
    paper = block.paper
    if block.detail is Detail.LINE:
        return CardParts((section(list_line(paper, block.rank)),), (), (), (), context=False)
    head = f"{block.rank}. " if block.rank is not None else ""
    title = section(f"{head}*{link(paper.url, title_markup(paper))}*", thumbnail(paper))
    tail: list[SlackBlock] = []
    if block.detail is Detail.FULL:
        tail += summary_sections(paper, block.more_label)
        if block.other_language:
            tail += sections(our_lines(block.other_language, "🌐"))
    elif block.snippet:
        tail.append(section(snippet(block.snippet)))
    if buttons := actions(block.actions):
        tail.append(buttons)
    before, after = context_parts(block)
    return CardParts((title,), tuple(map(mrkdwn, before)), tuple(map(mrkdwn, after)), tuple(tail))


def with_matched(parts: CardParts, matched: tuple[str, ...]) -> list[SlackBlock]:
    """The card's blocks, its matched terms (if any) in the context line."""
    if not parts.context:
        return list(parts.head)
    elements = [*parts.before, matched_element(matched), *parts.after] if matched else [*parts.before, *parts.after]
    return [*parts.head, {"type": "context", "elements": elements[: limits.CONTEXT_ELEMENTS]}, *parts.tail]


def thumbnail(paper: Paper) -> dict[str, Any] | None:
    """An image accessory, only for images Slack can show (png/jpg/gif over http(s); not SVG)."""
    url = http_url(paper.thumbnail)
    if url is None or len(url) > limits.IMAGE_URL or not urlsplit(url).path.lower().endswith(limits.IMAGE_SUFFIXES):
        return None
    return {"type": "image", "image_url": url, "alt_text": fit(paper.title, limits.IMAGE_ALT_TEXT) or "thumbnail"}


#: a context text's budget: the line's, less the emoji and a space
_CONTEXT_BUDGET = limits.CONTEXT_TEXT - 3


@functools.lru_cache(maxsize=50_000)
def matched_element(matched: tuple[str, ...]) -> dict[str, Any]:
    """The context element naming the matched terms, shared by every card they matched (never mutated): an alert
    run names the same few thousand term sets on tens of thousands of cards."""
    return mrkdwn(matched_text(matched))


def matched_text(matched: tuple[str, ...]) -> str:
    """Why a card is shown (matched authors, alert terms), in its context line."""
    return "🎯 " + fit(", ".join(matched), _CONTEXT_BUDGET, escape=plain)


def context_parts(block: PaperCard) -> tuple[list[str], list[str]]:
    """The context line's texts before the matched terms (votes, dates, authors) and after them (links)."""
    paper = block.paper
    before = [votes_label(paper.votes)]
    if block.date_labels:
        before.append("📅 " + fit(", ".join(block.date_labels), _CONTEXT_BUDGET, escape=plain))
    if paper.authors:
        before.append("👥 " + fit(", ".join(paper.authors), _CONTEXT_BUDGET, escape=plain))
    links = [link(url, fit(name, 100, escape=label)) for name, url in paper.links[:MAX_LINKS]]
    video_label = fit(block.video_label, 100, escape=label)
    if paper.media and (video := link(paper.media, video_label)) != video_label:
        links.insert(0, video)  # the video, where a thumbnail would show
    while links and len(" · ".join(links)) > limits.CONTEXT_TEXT:
        links.pop()
    return before, [" · ".join(links)] if links else []


def snippet(segments: tuple[tuple[str, bool], ...]) -> str:
    """The excerpt with its matches in bold; plain (no bold) if the markup would not fit."""
    parts = []
    for text, is_match in segments:
        if is_match and text.strip():
            lead, core, trail = text[: len(text) - len(text.lstrip())], text.strip(), text[len(text.rstrip()):]
            parts.append(f"{lead}{bold(plain(core))}{trail}")
        else:
            parts.append(plain(text))
    marked = "".join(parts)
    if len(marked) <= limits.SECTION_TEXT:
        return marked
    return fit("".join(t for t, _ in segments), limits.SECTION_TEXT, escape=plain)


def summary_sections(paper: Paper, more_label: str = "more") -> list[SlackBlock]:
    more = link(paper.url, fit(more_label, 100, escape=label))
    out = []
    for name, text in paper.sections:
        if not text.strip():
            continue
        head = f"*{fit(name, SECTION_NAME, escape=plain)}*\n"
        out.append(section(head + fit(text, limits.SECTION_TEXT - len(head), escape=plain, more=more)))
    return out


def actions(items: tuple[Action, ...]) -> SlackBlock | None:
    buttons = []
    seen: set[str] = set()
    for action in items[: limits.ACTIONS_ELEMENTS]:
        if action.id in seen or len(action.id) > limits.ACTION_ID or len(action.value) > limits.ACTION_VALUE:
            continue  # ids must be unique in a block; a cut value would be a different argument
        seen.add(action.id)
        button: SlackBlock = {"type": "button", "text": plain_text(action.label, limits.BUTTON_TEXT),
                              "action_id": action.id}
        if action.value:
            button["value"] = action.value
        buttons.append(button)
    return {"type": "actions", "elements": buttons} if buttons else None
