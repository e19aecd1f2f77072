"""Rows ↔ domain records: how papers, schedules and subscriptions are stored in columns."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from bot.models import Paper
from bot.store import Schedule, Subscription, TopicKind
from bot.text import section_language
from storage.sqlite.db import parse_time

PAPER_COLUMNS = (
    "p.id, p.arxiv_id, p.url, p.title, p.thumbnail, p.votes, p.authors, p.sections, p.links, p.last_date, p.media"
)
#: a paper as one digest showed it: that day's text when it kept its own
DIGEST_PAPER_COLUMNS = PAPER_COLUMNS.replace("p.votes", "coalesce(d.votes, p.votes)").replace(
    "p.sections", "coalesce(d.sections, p.sections)"
)
SCHEDULE_COLUMNS = (
    "platform, channel, workspace, time, timezone, weekdays, top_n, min_votes, enabled, set_by, quiet, updated_at"
)
SUB_COLUMNS = "id, platform, subscriber, kind, term, created_at, term_key, gram"
Sections = tuple[tuple[str, str], ...]


def search_body(paper: Paper) -> str:
    """A paper's summaries as one text (the index adds older digests' texts: :func:`index_body`)."""
    return "\n".join(text for _, text in paper.sections)


def schedule(row: Sequence[Any]) -> Schedule:
    return Schedule(
        platform=row[0],
        channel=row[1],
        workspace=row[2],
        time=dt.time.fromisoformat(row[3]),
        timezone=row[4],
        weekdays=tuple(int(d) for d in row[5].split(",") if d),
        top_n=row[6],
        min_votes=row[7],
        enabled=bool(row[8]),
        set_by=row[9],
        quiet=bool(row[10]),
        since=parse_time(row[11]),
    )


def subscription(row: Sequence[Any]) -> Subscription:
    created = parse_time(row[5])  # fromisoformat: strptime is 20x slower per row
    return Subscription(row[0], row[1], row[2], TopicKind(row[3]), row[4], created, row[6], row[7])


def paper_values(paper: Paper) -> tuple[Any, ...]:
    return (
        paper.arxiv_id,
        paper.url,
        paper.title,
        paper.thumbnail,
        paper.votes,
        json.dumps(list(paper.authors), ensure_ascii=False),
        sections_json(paper.sections),
        json.dumps([list(link) for link in paper.links], ensure_ascii=False),
    )


def row_paper(row: Sequence[Any]) -> Paper:
    return Paper(
        arxiv_id=row[1],
        url=row[2],
        title=row[3],
        thumbnail=row[4],
        votes=row[5],
        authors=tuple(json.loads(row[6])),
        sections=json_sections(row[7]),
        links=tuple((label, url) for label, url in json.loads(row[8])),
        media=row[10] if len(row) > 10 else None,  # a store without the column reads no media
    )


def _hangul(text: str) -> bool:
    return section_language(text) == "ko"


def _korean(sections: Sections) -> bool:
    """Whose text this is: the Korean digest's (some Hangul) or Hugging Face's English one."""
    return any(_hangul(text) for _, text in sections)


def _sources(sections: Sections) -> set[bool]:
    return {_hangul(text) for _, text in sections}


def merge_sections(old: Sections, new: Sections) -> Sections:
    """Both sources' texts, by source: the new text replaces its own source's sections whole (a
    re-summary under other labels leaves none of the old ones behind) and any of the same name;
    the other source's sections are kept (the Korean digest's sections and Hugging Face's English
    abstract side by side, Korean first)."""
    new = tuple((name, text) for name, text in new if text)
    if not new:
        return old
    korean, names = _korean(new), {name for name, _ in new}
    kept = [(name, text) for name, text in old if _hangul(text) != korean and name not in names]
    return tuple(sorted((*kept, *new), key=lambda s: not _hangul(s[1])))  # stable: Korean texts first


def add_source(old: Sections, new: Sections) -> Sections:
    """``old`` with ``new``'s text added when it comes from a source ``old`` has no text of (a
    translation or abstract is not a newer version of a summary: every day shows it)."""
    new = tuple((name, text) for name, text in new if text)
    if not new or _korean(new) in _sources(old):
        return old
    return merge_sections(old, new)


def replaces(old: Sections, new: Sections) -> bool:
    """Whether going from ``old`` to ``new`` drops or rewrites some text (not only adds)."""
    return not set(old) <= set(new)


def index_body(current: Sections, older: Iterable[Sections] = ()) -> str:
    """What the search indexes as a paper's summaries: the current text, then every older
    digest's text it no longer holds (a word only in an older summary still finds the paper)."""
    texts = [text for _, text in current]
    seen = set(texts)
    for sections in older:
        for _, text in sections:
            if text not in seen:
                seen.add(text)
                texts.append(text)
    return "\n".join(texts)


def sections_json(sections: Sections) -> str:
    return json.dumps([list(s) for s in sections], ensure_ascii=False)


def json_sections(value: str) -> Sections:
    return tuple((name, text) for name, text in json.loads(value))


def merge(old: Paper, new: Paper) -> Paper:
    """A paper seen again (a newer digest, or another source): newer values win, nothing known is
    blanked, and both sources' texts and authors are kept."""
    return Paper(
        arxiv_id=old.arxiv_id,
        url=new.url or old.url,
        title=new.title or old.title,
        thumbnail=new.thumbnail or old.thumbnail,
        votes=new.votes if new.votes is not None else old.votes,
        authors=tuple(dict.fromkeys((*old.authors, *new.authors))),
        sections=merge_sections(old.sections, new.sections),
        links=new.links or old.links,
        media=new.media or old.media,
    )


