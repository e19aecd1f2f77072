"""The parser: a digest's text, line by line, into papers and the problems found at ``path:line``."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from bot import arxiv
from bot.digest_markdown.entry import Entry, Section
from bot.digest_markdown.fields import split_authors, squash
from bot.digest_markdown.files import max_digest_bytes, too_large
from bot.digest_markdown.lines import (
    AUTHORS,
    DATE_HEADER,
    ENTRY,
    HTML_ONLY,
    IMAGE,
    LINK_ITEM,
    LINKS,
    VOTE,
    indent,
    label,
    title_link,
)
from bot.digest_markdown.links import media_src, safe_https, safe_web_url
from bot.models import Digest, Paper, ParseResult, Problem

_FILE_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


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
    entry: Entry | None = None
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
        if entry is not None and entry.sections and indent(raw) >= 2:
            entry.add_text(line)  # an indented line continues the section above
            continue
        if line.startswith("##"):
            if line[2:3] != "#" and (m := DATE_HEADER.match(line)):
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
            if m := ENTRY.match(line):
                close()
                rejected = True
                rest = squash(m.group("rest") or "")
                link = title_link(rest)
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
                entry = Entry(number, title, *found)
                rejected = False
                continue
        if entry is None:
            if not rejected:
                problem(number, f"text outside any entry ignored: {line[:60]!r}", "text outside entry")
            continue
        if line.startswith("!") and (m := IMAGE.match(line)):
            thumb = safe_https(m.group("src"))
            if thumb is None:
                problem(number, f"thumbnail {m.group('src')[:80]!r} is not an https:// URL; dropped", "unsafe link")
            entry.thumbnail = thumb or entry.thumbnail
        elif (src := media_src(line)) is not False:
            media = safe_https(str(src))
            if media is None:
                problem(number, f"video {str(src)[:80]!r} is not an https:// URL; dropped", "unsafe link")
            entry.media = media or entry.media
        elif line.startswith("<") and HTML_ONLY.match(line):
            entry.dropped += 1  # layout tags (<div>, </video>) carry nothing
        elif m := VOTE.match(line):
            value = m.group("value").strip()
            if value in ("", "-", "—", "–"):
                entry.votes = None
            elif re.fullmatch(r"\d+", value):
                entry.votes = int(value)
            else:
                problem(number, f"vote count {value[:40]!r} is not a number; shown as '-'", "bad vote")
        elif m := AUTHORS.match(line):
            entry.authors = split_authors(m.group("value"))
        elif m := LINKS.match(line):
            entry.links = []
            for item in LINK_ITEM.finditer(m.group("value")):
                link_url = safe_web_url(item.group("url"))
                if link_url is None:
                    problem(number, f"link {item.group('url')[:80]!r} is not an http(s) URL; dropped", "unsafe link")
                else:
                    entry.links.append((squash(item.group("label")), link_url))
        elif labelled := label(line):
            entry.sections.append(Section(*labelled))
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
