"""What one line of a digest is: a dated header, an entry header, a field (vote, authors, links), a section label,
a list item, layout HTML."""

from __future__ import annotations

import re

from bot.digest_markdown.fields import squash
from bot.models import KNOWN_SECTIONS

#: a section label longer than this is not a label: the line is text
MAX_LABEL = 80

DATE_HEADER = re.compile(r"^##\s+.*?\((\d{4}-\d{2}-\d{2})\)\s*$")
ENTRY = re.compile(r"^###(?:\s+(?P<rest>.*))?$")
IMAGE = re.compile(r"^!\[[^\]]*\]\((?P<src>.*)\)$")
HTML_ONLY = re.compile(r"^(?:</?[A-Za-z][^<>]*>\s*)+$")
VOTE = re.compile(r"^Votes?:\s*(?P<value>.*)$", re.IGNORECASE)
AUTHORS = re.compile(r"^Authors?:\s*(?P<value>.*)$", re.IGNORECASE)
LINKS = re.compile(r"^Links:\s*(?P<value>.*)$", re.IGNORECASE)
LINK_ITEM = re.compile(r"\[(?P<label>[^\]]+)\]\((?P<url>(?:[^\s()]|\([^\s()]*\))+)\)")
#: ``- **Label**: text``, ``- ***Label***: text``, ``- **Label:** text``; the label holds no ``*``
_LABEL = re.compile(
    rf"^(?:[-*+]\s+)?\*{{2,3}}(?P<name>[^*]{{1,{MAX_LABEL}}})\*{{1,3}}[ \t]*(?P<colon>:?)[ \t]*(?P<text>.*)$"
)
#: a list item inside a section: ``- …``, ``* …``, ``1. …``, ``1) …``, ``(1) …``
ITEM = re.compile(r"^(?:[-*+•]|\d{1,3}[.)]|\(\d{1,3}\))\s+\S")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_KNOWN = frozenset(KNOWN_SECTIONS)


def label(line: str) -> tuple[str, str] | None:
    """``(name, text)`` of a labelled section line, or ``None`` when the line is not one."""
    if "**" not in line[:8]:
        return None
    match = _LABEL.match(line)
    if match is None:
        return None
    name = squash(match.group("name").translate(_APOSTROPHES))
    colon = bool(match.group("colon"))
    if name.endswith(":"):
        name, colon = name[:-1].rstrip(), True
    if not name or not (colon or name in _KNOWN):
        return None
    return name, match.group("text")


def title_link(rest: str) -> tuple[str, str] | None:
    """``[title](url)`` → ``(title, url)``; the last ``](`` splits them (linear, no backtracking)."""
    if not (rest.startswith("[") and rest.endswith(")")):
        return None
    split = rest.rfind("](")
    if split < 1:
        return None
    url = rest[split + 2: -1].strip()
    if any(c.isspace() or c in "()" for c in url):
        return None
    return squash(rest[1:split]), url


def indent(raw: str) -> int:
    """How far a raw line is indented (a tab counts as four spaces)."""
    if raw.startswith("\t"):
        return 4
    return len(raw) - len(raw.lstrip(" "))
