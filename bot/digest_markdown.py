"""The Markdown digest format: parse a daily-papers file, and render a digest back.

The format, one entry per paper::

    ## Daily Papers (2024-06-28)

    ### [Title](https://arxiv.org/abs/2406.18629)

    ![](https://…/2406.18629.png)

    Vote: 14

    Authors: Senqiao Yang, Yukang Chen

    Links: [Code](https://github.com/…), [Project page](https://…)

    - **What's New**: …
    - **Technical Details**: …

``render`` writes the canonical form, and ``parse(render(d)) == d`` for every digest
whose text is canonical (single-line, whitespace-normalised fields). ``parse`` is
tolerant: CRLF, trailing spaces, extra blank lines, missing thumbnail / vote / author
lines. A malformed entry becomes a :class:`Problem` at ``path:line`` and every good
entry is kept.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from bot import arxiv
from bot.models import Digest, Paper, ParseResult, Problem

HF_BASE = "https://huggingface.co"

_DATE_HEADER = re.compile(r"^##\s+.*?\((\d{4}-\d{2}-\d{2})\)\s*$")
_ENTRY = re.compile(r"^###(?:\s+(?P<rest>.*))?$")
_LINKED_TITLE = re.compile(r"^\[(?P<title>.*)\]\((?P<url>[^\s()]*)\)$")
_IMAGE = re.compile(r"^!\[[^\]]*\]\((?P<src>[^\s()]*)\)$")
_VOTE = re.compile(r"^Votes?:\s*(?P<value>.*)$", re.IGNORECASE)
_AUTHORS = re.compile(r"^Authors?:\s*(?P<value>.*)$", re.IGNORECASE)
_LINKS = re.compile(r"^Links:\s*(?P<value>.*)$", re.IGNORECASE)
_LINK_ITEM = re.compile(r"\[(?P<label>[^\]]+)\]\((?P<url>[^\s()]+)\)")
_SECTION = re.compile(r"^[-*]\s+\*\*(?P<name>.+?)\*\*\s*:?\s*(?P<text>.*)$")
_FILE_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")
_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    """Whitespace-normalise one field: the canonical form of every text in a digest."""
    return _WS.sub(" ", text).strip()


def absolute_thumbnail(src: str) -> str | None:
    src = src.strip()
    if not src:
        return None
    if src.startswith("//"):
        return "https:" + src
    if src.startswith("/"):
        return HF_BASE + src
    return src


def _split_authors(value: str) -> tuple[str, ...]:
    return tuple(a for a in (squash(x) for x in value.split(",")) if a)


class _Entry:
    """A paper being assembled while its lines are read."""

    def __init__(self, line: int, title: str, url: str) -> None:
        self.line = line
        self.title = title
        self.url = url
        self.thumbnail: str | None = None
        self.votes: int | None = None
        self.authors: tuple[str, ...] = ()
        self.links: list[tuple[str, str]] = []
        self.sections: list[list[str]] = []

    def paper(self, arxiv_id: str) -> Paper:
        return Paper(
            arxiv_id=arxiv_id,
            url=self.url,
            title=self.title,
            thumbnail=self.thumbnail,
            votes=self.votes,
            authors=self.authors,
            sections=tuple((name, squash(text)) for name, text in self.sections),
            links=tuple(self.links),
        )


def parse(text: str, path: str | Path = "<digest>", *, date: dt.date | None = None) -> ParseResult:
    """Parse a Markdown digest. ``date`` is used when the file has no dated header."""
    where = str(path)
    problems: list[Problem] = []
    papers: list[Paper] = []
    seen: dict[str, int] = {}
    digest_date = date
    entry: _Entry | None = None
    rejected = False  # lines after a rejected entry's header belong to it: skip them

    def problem(line: int, message: str, severity: str = "error") -> None:
        problems.append(Problem(where, line, message, severity))

    def close() -> None:
        nonlocal entry
        if entry is None:
            return
        arxiv_id = arxiv.from_url(entry.url)
        if arxiv_id is None:  # checked on the header line already; kept for safety
            problem(entry.line, f"no arXiv id in link {entry.url!r}; entry skipped")
        elif arxiv_id in seen:
            problem(
                entry.line,
                f"arXiv {arxiv_id} already listed at line {seen[arxiv_id]}; duplicate skipped",
                "warning",
            )
        else:
            seen[arxiv_id] = entry.line
            papers.append(entry.paper(arxiv_id))
        entry = None

    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if m := _DATE_HEADER.match(line):
            try:
                header_date = dt.date.fromisoformat(m.group(1))
            except ValueError:
                problem(number, f"invalid date {m.group(1)!r} in header")
                continue
            if digest_date is not None and papers and header_date != digest_date:
                problem(number, "a second dated header; one file holds one digest", "warning")
                continue
            digest_date = header_date
            continue
        if m := _ENTRY.match(line):
            close()
            rejected = True
            rest = squash(m.group("rest") or "")
            link = _LINKED_TITLE.match(rest)
            if link is None:
                problem(number, "entry header has no [title](link); expected '### [Title](https://arxiv.org/abs/ID)'")
                continue
            title, url = squash(link.group("title")), link.group("url").strip()
            if not url:
                problem(number, "entry has no link")
                continue
            if arxiv.from_url(url) is None:
                problem(number, f"no arXiv id in link {url!r}; entry skipped")
                continue
            if not title:
                problem(number, "entry has no title")
                continue
            entry = _Entry(number, title, url)
            rejected = False
            continue
        if entry is None:
            if not rejected:
                problem(number, f"text outside any entry ignored: {line[:60]!r}", "warning")
            continue
        if m := _IMAGE.match(line):
            entry.thumbnail = absolute_thumbnail(m.group("src"))
        elif m := _VOTE.match(line):
            value = m.group("value").strip()
            if value in ("", "-", "—", "–"):
                entry.votes = None
            elif re.fullmatch(r"\d+", value):
                entry.votes = int(value)
            else:
                problem(number, f"vote count {value!r} is not a number; shown as '-'", "warning")
        elif m := _AUTHORS.match(line):
            entry.authors = _split_authors(m.group("value"))
        elif m := _LINKS.match(line):
            entry.links = [(squash(i.group("label")), i.group("url")) for i in _LINK_ITEM.finditer(m.group("value"))]
        elif m := _SECTION.match(line):
            entry.sections.append([squash(m.group("name")), m.group("text")])
        elif entry.sections:
            entry.sections[-1][1] += " " + line  # a soft-wrapped section continues
        else:
            problem(number, f"unrecognised line in entry ignored: {line[:60]!r}", "warning")
    close()

    if digest_date is None:
        m = _FILE_DATE.search(Path(where).name)
        if m:
            try:
                digest_date = dt.date.fromisoformat(m.group(1))
            except ValueError:
                digest_date = None
    if digest_date is None:
        problem(1, "no date: expected a '## Daily Papers (YYYY-MM-DD)' header or a dated file name")
        return ParseResult(None, tuple(problems))
    return ParseResult(Digest(digest_date, tuple(papers)), tuple(problems))


def parse_file(path: str | Path) -> ParseResult:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return ParseResult(None, (Problem(str(path), 1, f"not UTF-8 text ({exc.reason})"),))
    return parse(text, path)


def render(digest: Digest) -> str:
    """The canonical Markdown of a digest."""
    out = [f"## Daily Papers ({digest.date.isoformat()})", ""]
    for paper in digest.papers:
        out += [f"### [{paper.title}]({paper.url})", ""]
        if paper.thumbnail:
            out += [f"![]({paper.thumbnail})", ""]
        out += [f"Vote: {'-' if paper.votes is None else paper.votes}", ""]
        if paper.authors:
            out += [f"Authors: {', '.join(paper.authors)}", ""]
        if paper.links:
            out += ["Links: " + ", ".join(f"[{label}]({url})" for label, url in paper.links), ""]
        for name, text in paper.sections:
            out.append(f"- **{name}**: {text}")
        if paper.sections:
            out.append("")
    return "\n".join(out)
