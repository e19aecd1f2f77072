"""The Markdown digest format: parse a daily-papers file, and render a digest back.

The canonical format, one entry per paper::

    ## Daily Papers (2024-06-28)

    ### [Title](https://arxiv.org/abs/2406.18629)

    ![](https://…/2406.18629.png)

    [Watch Video](https://….mp4)

    Vote: 14

    Authors: Senqiao Yang, Yukang Chen

    Links: [Code](https://github.com/…), [Project page](https://…)

    - **What's New**: …
    - **Technical Details**: …
    - **Contributions**:
      - first item
      - second item

``render`` writes the canonical form, and ``parse(render(d)) == d`` for every digest
whose text is canonical (whitespace-normalised single-line fields; a section is one
line, optionally followed by list items ``- …``, ``1) …``, ``(1) …``; unique authors).

``parse`` reads every form the Korean daily-papers digest has used since 2023-11:
plain ``- sentence`` bullets without labels (one "Summary" section, a line per bullet),
``**label**`` / ``***label***`` / curly-apostrophe / Korean labels, unlabelled and
indented continuation lines (part of the section above), Python list literals for authors
and section bodies, a video (Markdown link or ``<video src>``) as the paper's media,
repeated dated headers, links relative to huggingface.co. It is linear in the size of
the file, and a file above :func:`max_digest_bytes` is refused as a whole.

Links are safe: a paper's link is stored as ``https://arxiv.org/abs/<id>[vN]`` and its id
is only taken from a genuine arxiv.org / huggingface.co link or a relative ``/papers/<id>``;
thumbnails and media are ``https://`` URLs only, extra links http(s) only; anything else is
dropped with a warning at ``path:line``. A malformed entry becomes an error at
``path:line`` and every good entry is kept.
"""

from __future__ import annotations

import ast
import datetime as dt
import os
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from bot import arxiv
from bot.models import KNOWN_SECTIONS, Digest, Paper, ParseResult, Problem

HF_BASE = "https://huggingface.co"
#: the section that unlabelled summary bullets go to
SUMMARY = "Summary"
#: a section label longer than this is not a label: the line is text
MAX_LABEL = 80
#: files larger than this are refused (bytes); the environment variable overrides it
DEFAULT_MAX_DIGEST_BYTES = 8_000_000
MAX_DIGEST_BYTES_ENV = "PAPERBOT_MAX_DIGEST_BYTES"
#: list literals longer than this are kept as text (``ast.literal_eval`` on a bounded string only)
_MAX_LITERAL = 200_000
VIDEO_SUFFIXES = (".mp4", ".webm", ".mov", ".m4v", ".ogv")

_DATE_HEADER = re.compile(r"^##\s+.*?\((\d{4}-\d{2}-\d{2})\)\s*$")
_ENTRY = re.compile(r"^###(?:\s+(?P<rest>.*))?$")
_IMAGE = re.compile(r"^!\[[^\]]*\]\((?P<src>.*)\)$")
_MEDIA_LINK = re.compile(r"^\[(?P<label>[^\]]{0,80})\]\s*\(?(?P<url>[^\s()<>]+)\)?$")
_VIDEO_TAG = re.compile(
    r"""<(?:video|source)\b[^>]*?\bsrc\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s>"']+))""",
    re.IGNORECASE,
)
_HTML_ONLY = re.compile(r"^(?:</?[A-Za-z][^<>]*>\s*)+$")
_VOTE = re.compile(r"^Votes?:\s*(?P<value>.*)$", re.IGNORECASE)
_AUTHORS = re.compile(r"^Authors?:\s*(?P<value>.*)$", re.IGNORECASE)
_LINKS = re.compile(r"^Links:\s*(?P<value>.*)$", re.IGNORECASE)
_LINK_ITEM = re.compile(r"\[(?P<label>[^\]]+)\]\((?P<url>(?:[^\s()]|\([^\s()]*\))+)\)")
#: ``- **Label**: text``, ``- ***Label***: text``, ``- **Label:** text``; the label holds no ``*``
_LABEL = re.compile(
    rf"^(?:[-*+]\s+)?\*{{2,3}}(?P<name>[^*]{{1,{MAX_LABEL}}})\*{{1,3}}[ \t]*(?P<colon>:?)[ \t]*(?P<text>.*)$"
)
#: a list item inside a section: ``- …``, ``* …``, ``1. …``, ``1) …``, ``(1) …``
_ITEM = re.compile(r"^(?:[-*+•]|\d{1,3}[.)]|\(\d{1,3}\))\s+\S")
_FILE_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")
_WS = re.compile(r"\s+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_KNOWN = frozenset(KNOWN_SECTIONS)


def squash(text: str) -> str:
    """Whitespace-normalise one field: the canonical form of every text in a digest."""
    return _WS.sub(" ", text).strip()


def max_digest_bytes() -> int:
    """The size cap for one digest file: ``$PAPERBOT_MAX_DIGEST_BYTES`` or the default."""
    value = os.environ.get(MAX_DIGEST_BYTES_ENV, "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return DEFAULT_MAX_DIGEST_BYTES


def too_large(path: str, size: int, limit: int | None = None) -> Problem | None:
    """The error for a file over the size cap, or ``None``."""
    limit = max_digest_bytes() if limit is None else limit
    if size <= limit:
        return None
    return Problem(path, 1, f"{size:,} bytes, over the {limit:,}-byte limit for one digest "
                            f"(set {MAX_DIGEST_BYTES_ENV} to raise it); nothing read", cause="too large")


def _clean_url(src: str) -> str | None:
    text = src.strip().strip("<>").strip()
    if not text or any(c.isspace() or ord(c) < 32 for c in text):
        return None
    return text


def safe_https(src: str) -> str | None:
    """An ``https://`` URL with a host, or ``None``; ``//host/…`` and ``/path`` (Hugging Face) are resolved."""
    text = _clean_url(src)
    if text is None:
        return None
    if text.startswith("//"):
        text = "https:" + text
    elif text.startswith("/"):
        text = HF_BASE + text
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() != "https" or not host or parts.username is not None:
        return None
    return text


def safe_web_url(src: str) -> str | None:
    """An http(s) URL with a host (extra links such as code pages), or ``None``."""
    text = _clean_url(src)
    if text is None:
        return None
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or parts.username is not None:
        return None
    return text


def absolute_thumbnail(src: str) -> str | None:
    """A thumbnail as stored: ``https://`` only (relative ``/avatars/…`` against huggingface.co)."""
    return safe_https(src)


def _literal_list(text: str) -> list[str] | None:
    """The strings of a Python list literal such as ``['A', 'B']``, or ``None`` when it is not one."""
    text = text.strip()
    if not (text.startswith(("['", '["')) and text.endswith("]")) or len(text) > _MAX_LITERAL:
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        return None
    items = [squash(v) for v in value]
    return [i for i in items if i] or None


def _unique(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n for n in names if n))


def _split_authors(value: str) -> tuple[str, ...]:
    listed = _literal_list(value)
    if listed is not None:
        return _unique(listed)
    value = value.strip()
    if value.startswith("[") and value.endswith("]"):  # a list literal that did not evaluate
        return _unique(squash(x.strip().strip("'\"")) for x in value[1:-1].split(","))
    return _unique(squash(x) for x in value.split(","))


def _label(line: str) -> tuple[str, str] | None:
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


def _title_link(rest: str) -> tuple[str, str] | None:
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


def _media_src(line: str) -> str | bool | None:
    """The video a line shows: its URL, ``False`` when the line is not a video line."""
    lowered = line[:200].lower()
    if line.startswith("<") and ("<video" in lowered or "<source" in lowered or "<div" in lowered):
        match = _VIDEO_TAG.search(line)
        if match:
            return match.group("dq") or match.group("sq") or match.group("bare") or ""
        return False
    if line.startswith("["):
        match = _MEDIA_LINK.match(line)
        if match and ("video" in match.group("label").lower()
                      or _url_path(match.group("url")).endswith(VIDEO_SUFFIXES)):
            return match.group("url")
    return False


def _url_path(url: str) -> str:
    try:
        return urlsplit(url).path.lower()
    except ValueError:
        return ""


class _Section:
    __slots__ = ("lines", "name")

    def __init__(self, name: str, first: str) -> None:
        self.name = name
        self.lines: list[list[str]] = [[first]] if first.strip() else []

    def add(self, text: str) -> None:
        """A continuation: a list item starts a new line, anything else continues the last one."""
        if not self.lines or _ITEM.match(text):
            self.lines.append([text])
        else:
            self.lines[-1].append(text)

    def text(self) -> str:
        lines = [squash(" ".join(parts)) for parts in self.lines]
        text = "\n".join(line for line in lines if line)
        if "\n" not in text:
            items = _literal_list(text)
            if items is not None:
                return "\n".join(f"- {item}" for item in items)
        return text


class _Entry:
    """A paper being assembled while its lines are read."""

    def __init__(self, line: int, title: str, arxiv_id: str, version: str) -> None:
        self.line = line
        self.title = title
        self.arxiv_id = arxiv_id
        self.url = arxiv.abs_url(arxiv_id, version)
        self.thumbnail: str | None = None
        self.media: str | None = None
        self.votes: int | None = None
        self.authors: tuple[str, ...] = ()
        self.links: list[tuple[str, str]] = []
        self.sections: list[_Section] = []
        self.dropped = 0  # body lines that produced nothing

    def add_text(self, text: str) -> None:
        if self.sections:
            self.sections[-1].add(text)
        else:
            self.sections.append(_Section(SUMMARY, text))

    def paper(self) -> Paper:
        return Paper(
            arxiv_id=self.arxiv_id,
            url=self.url,
            title=self.title,
            thumbnail=self.thumbnail,
            votes=self.votes,
            authors=self.authors,
            sections=tuple((s.name, s.text()) for s in self.sections),
            links=tuple(self.links),
            media=self.media,
        )


def _indent(raw: str) -> int:
    if raw.startswith("\t"):
        return 4
    return len(raw) - len(raw.lstrip(" "))


def parse(text: str, path: str | Path = "<digest>", *, date: dt.date | None = None,
          max_bytes: int | None = None) -> ParseResult:
    """Parse a Markdown digest. ``date`` is used when the file has no dated header."""
    where = str(path)
    size = len(text) if len(text) * 4 <= (max_bytes or max_digest_bytes()) else len(text.encode("utf-8"))
    if (big := too_large(where, size, max_bytes)) is not None:
        return ParseResult(None, (big,))
    problems: list[Problem] = []
    papers: list[Paper] = []
    seen: dict[str, int] = {}
    digest_date = date
    entry: _Entry | None = None
    rejected = False  # lines after a rejected entry's header belong to it: skip them

    def problem(line: int, message: str, cause: str, severity: str = "warning") -> None:
        problems.append(Problem(where, line, message, severity, cause))

    def close() -> None:
        nonlocal entry
        if entry is None:
            return
        if entry.arxiv_id in seen:
            problem(entry.line, f"arXiv {entry.arxiv_id} already listed at line {seen[entry.arxiv_id]}; "
                                "duplicate skipped", "duplicate paper")
        else:
            seen[entry.arxiv_id] = entry.line
            if entry.dropped and not entry.sections:
                problem(entry.line, f"arXiv {entry.arxiv_id}: {entry.dropped} body line(s) but no summary",
                        "no summary")
            papers.append(entry.paper())
        entry = None

    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if entry is not None and entry.sections and _indent(raw) >= 2:
            entry.add_text(line)  # an indented line continues the section above
            continue
        if line.startswith("##"):
            if line[2:3] != "#" and (m := _DATE_HEADER.match(line)):
                try:
                    header_date = dt.date.fromisoformat(m.group(1))
                except ValueError:
                    problem(number, f"invalid date {m.group(1)!r} in header", "bad date", "error")
                    continue
                if digest_date is not None and papers and header_date != digest_date:
                    problem(number, "a second dated header; one file holds one digest", "second date")
                    continue
                digest_date = header_date
                continue
            if m := _ENTRY.match(line):
                close()
                rejected = True
                rest = squash(m.group("rest") or "")
                link = _title_link(rest)
                if link is None:
                    problem(number, "entry header has no [title](link); expected '### [Title](https://arxiv.org/abs/ID)'",
                            "bad entry header", "error")
                    continue
                title, url = link
                if not url:
                    problem(number, "entry has no link", "no paper link", "error")
                    continue
                found = arxiv.paper_link(url)
                if found is None:
                    problem(number, f"no arXiv id in link {url!r}; entry skipped", "no paper link", "error")
                    continue
                if not title:
                    problem(number, "entry has no title", "no title", "error")
                    continue
                entry = _Entry(number, title, *found)
                rejected = False
                continue
        if entry is None:
            if not rejected:
                problem(number, f"text outside any entry ignored: {line[:60]!r}", "text outside entry")
            continue
        if line.startswith("!") and (m := _IMAGE.match(line)):
            thumb = safe_https(m.group("src"))
            if thumb is None:
                problem(number, f"thumbnail {m.group('src')[:80]!r} is not an https:// URL; dropped", "unsafe link")
            entry.thumbnail = thumb or entry.thumbnail
        elif (src := _media_src(line)) is not False:
            media = safe_https(str(src))
            if media is None:
                problem(number, f"video {str(src)[:80]!r} is not an https:// URL; dropped", "unsafe link")
            entry.media = media or entry.media
        elif line.startswith("<") and _HTML_ONLY.match(line):
            entry.dropped += 1  # layout tags (<div>, </video>) carry nothing
        elif m := _VOTE.match(line):
            value = m.group("value").strip()
            if value in ("", "-", "—", "–"):
                entry.votes = None
            elif re.fullmatch(r"\d+", value):
                entry.votes = int(value)
            else:
                problem(number, f"vote count {value[:40]!r} is not a number; shown as '-'", "bad vote")
        elif m := _AUTHORS.match(line):
            entry.authors = _split_authors(m.group("value"))
        elif m := _LINKS.match(line):
            entry.links = []
            for item in _LINK_ITEM.finditer(m.group("value")):
                link_url = safe_web_url(item.group("url"))
                if link_url is None:
                    problem(number, f"link {item.group('url')[:80]!r} is not an http(s) URL; dropped", "unsafe link")
                else:
                    entry.links.append((squash(item.group("label")), link_url))
        elif labelled := _label(line):
            entry.sections.append(_Section(*labelled))
        else:
            entry.add_text(line)  # a summary bullet, or text continuing the section above
    close()

    if digest_date is None:
        m = _FILE_DATE.search(Path(where).name)
        if m:
            try:
                digest_date = dt.date.fromisoformat(m.group(1))
            except ValueError:
                digest_date = None
    if digest_date is None:
        problem(1, "no date: expected a '## Daily Papers (YYYY-MM-DD)' header or a dated file name", "no date",
                "error")
        return ParseResult(None, tuple(problems))
    return ParseResult(Digest(digest_date, tuple(papers)), tuple(problems))


def parse_file(path: str | Path, *, max_bytes: int | None = None) -> ParseResult:
    """Parse a digest file; a file over the size cap is refused before it is read."""
    path = Path(path)
    if (big := too_large(str(path), path.stat().st_size, max_bytes)) is not None:
        return ParseResult(None, (big,))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return ParseResult(None, (Problem(str(path), 1, f"not UTF-8 text ({exc.reason})", cause="not UTF-8"),))
    return parse(text, path, max_bytes=max_bytes)


def summarize(problems: Iterable[Problem]) -> list[str]:
    """One file's problems in a few lines: a count per cause, with the first example at its ``path:line``."""
    firsts: dict[tuple[str, str], Problem] = {}
    counts: Counter[tuple[str, str]] = Counter()
    for p in problems:
        key = (p.severity, p.cause or p.message)
        counts[key] += 1
        firsts.setdefault(key, p)
    lines = []
    for key, count in sorted(counts.items(), key=lambda kv: (kv[0][0] != "error", -kv[1])):
        severity, cause = key
        first = firsts[key]
        times = f"{count}×" if count > 1 else "1×"
        lines.append(f"{severity}: {cause}: {times}, first at {first.path}:{first.line}: {first.message}")
    return lines


def _section_lines(name: str, text: str) -> list[str]:
    lines = text.split("\n") if text else [""]
    if len(lines) == 1 and not _ITEM.match(lines[0]):
        return [f"- **{name}**: {text}"]
    if _ITEM.match(lines[0]):
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
