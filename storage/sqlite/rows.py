"""Rows ↔ domain records: how papers, schedules and subscriptions are stored in columns."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from bot.models import Paper
from bot.store import Schedule, Subscription, TopicKind
from storage.sqlite.db import parse_time

PAPER_COLUMNS = (
    "p.id, p.arxiv_id, p.url, p.title, p.thumbnail, p.votes, p.authors, p.sections, p.links, p.last_date, p.media"
)
SCHEDULE_COLUMNS = (
    "platform, channel, workspace, time, timezone, weekdays, top_n, min_votes, enabled, set_by, quiet, updated_at"
)
SUB_COLUMNS = "id, platform, subscriber, kind, term, created_at, term_key, gram"


def search_body(paper: Paper) -> str:
    """The text the search indexes for a paper's summaries."""
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
        json.dumps([list(s) for s in paper.sections], ensure_ascii=False),
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
        sections=tuple((name, text) for name, text in json.loads(row[7])),
        links=tuple((label, url) for label, url in json.loads(row[8])),
        media=row[10] if len(row) > 10 else None,  # a store without the column reads no media
    )


def _hangul(text: str) -> bool:
    return any("\uac00" <= c <= "\ud7a3" for c in text)


def merge_sections(old: tuple[tuple[str, str], ...], new: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """Both sources' texts: a section of the same name takes the newer text, every other section is kept
    (the Korean digest's sections and Hugging Face's English abstract side by side, Korean first)."""
    newer = {name: text for name, text in new if text}
    known = {name for name, _ in old}
    merged = [(name, newer.get(name, text)) for name, text in old]
    merged += [(name, text) for name, text in new if name not in known]
    return tuple(sorted(merged, key=lambda s: not _hangul(s[1])))  # stable: Korean texts first


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


def search_text(paper: Paper) -> tuple[str, tuple[str, ...], str]:
    return paper.title, paper.authors, search_body(paper)
