"""A digest written back as canonical Markdown (``parse(render(d)) == d`` for canonical text)."""

from __future__ import annotations

from bot.digest_markdown.lines import ITEM
from bot.models import Digest


def _section_lines(name: str, text: str) -> list[str]:
    lines = text.split("\n") if text else [""]
    if len(lines) == 1 and not ITEM.match(lines[0]):
        return [f"- **{name}**: {text}"]
    if ITEM.match(lines[0]):
        return [f"- **{name}**:", *(f"  {line}" for line in lines)]
    return [f"- **{name}**: {lines[0]}", *(f"  {line}" for line in lines[1:])]


def render(digest: Digest) -> str:
    """The canonical Markdown of a digest."""
    out = [f"## Daily Papers ({digest.date.isoformat()})", ""]
    for paper in digest.papers:
        out += [f"### [{paper.title}]({paper.url})", ""]
        if paper.thumbnail:
            out += [f"![]({paper.thumbnail})", ""]
        if paper.media:
            out += [f"[Watch Video]({paper.media})", ""]
        out += [f"Vote: {'-' if paper.votes is None else paper.votes}", ""]
        if paper.authors:
            out += [f"Authors: {', '.join(paper.authors)}", ""]
        if paper.links:
            out += ["Links: " + ", ".join(f"[{label}]({url})" for label, url in paper.links), ""]
        for name, text in paper.sections:
            out += _section_lines(name, text)
        if paper.sections:
            out.append("")
    return "\n".join(out)
