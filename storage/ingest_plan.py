"""What ingesting a digest changes, decided once for both backends (they only run the statements).

Given the papers already stored (``existing``: rows in the :data:`storage.sqlite.rows.PAPER_COLUMNS`
order, ``row[9]`` the last digest date), their links (``texts``: each day's own text) and the
papers already linked to the digest's date, the plan says which papers to insert, update and
reindex, which links, day texts and vote counts to write, and what the
:class:`~bot.store.IngestReport` says. A paper listed twice in one digest is one paper.

Each digest keeps the text it published: a paper's current text (``papers.sections``) is its
newest digest's, and a link to an older date holds that day's sections
(``digest_papers.sections``) once they differ — NULL means "the current text". Another source's
text (Hugging Face's English abstract beside the Korean digest's summary) is not a newer version:
it is added to the current text and to every day's, whatever the dates.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.models import Digest, Paper
from bot.store import IngestReport
from storage.sqlite.rows import (
    Sections,
    add_source,
    index_body,
    merge,
    merge_sections,
    paper_values,
    replaces,
    row_paper,
    sections_json,
)


@dataclass
class IngestPlan:
    inserts: list[tuple[Any, ...]] = field(default_factory=list)  # (id, *paper_values, date, media)
    updates: list[tuple[Any, ...]] = field(default_factory=list)  # (*paper_values, date, media, id)
    reindex: list[tuple[int, Paper, str]] = field(default_factory=list)  # (id, paper, summaries to index)
    links: list[tuple[Any, ...]] = field(default_factory=list)  # (date, position, paper id, votes, sections)
    votes: list[tuple[Any, ...]] = field(default_factory=list)  # (votes, date, paper id) of linked papers
    #: (sections or None, date, paper id): one link's own text written
    day_texts: list[tuple[Any, ...]] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)
    unchanged: int = 0

    def report(self, digest: Digest) -> IngestReport:
        return IngestReport(digest.date, tuple(self.added), tuple(self.updated), tuple(self.linked), self.unchanged)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.linked)


def _json(sections: Sections | None) -> str | None:
    return None if sections is None else sections_json(sections)


def plan_ingest(digest: Digest, day: Any, existing: dict[str, tuple[Any, ...]], already_linked: set[int],
                next_position: int, new_id: Callable[[], int],
                texts: dict[int, dict[Any, Sections | None]] | None = None) -> IngestPlan:
    """``day`` is the digest's date as the backend stores it (compared with ``row[9]``); ``texts``
    maps a known paper's id to its links (date → that day's own sections, None for the current text)."""
    plan = IngestPlan()
    texts = {} if texts is None else texts
    reindexed: dict[int, int] = {}  # paper id → its entry in plan.reindex
    for paper in digest.papers:
        row = existing.get(paper.arxiv_id)
        day_text: Sections | None = None
        if row is None:
            paper_id = new_id()
            row = (paper_id, *paper_values(paper), day, paper.media)
            existing[paper.arxiv_id] = row  # the same id twice in one digest is one paper
            plan.inserts.append(row)
            plan.reindex.append((paper_id, paper, index_body(paper.sections)))
            reindexed[paper_id] = len(plan.reindex) - 1
            plan.added.append(paper.arxiv_id)
        else:
            paper_id, last = row[0], row[9]
            old = row_paper(row)
            days = texts.setdefault(paper_id, {})
            before = index_body(old.sections, (t for t in days.values() if t is not None))
            linked = paper_id in already_linked
            writes: dict[Any, Sections | None] = {}  # date → that link's own text, as changed here
            if day >= last:  # the newest digest (or the same day again): its text is the current one
                merged = merge(old, paper)
                if replaces(old.sections, merged.sections):  # the other days keep the text they showed
                    writes.update((other, old.sections) for other, text in days.items() if text is None)
                if linked and days.get(day) is not None:
                    writes[day] = None
            else:  # an older digest: that day's text; the current text only gains another source's
                merged = dataclasses.replace(old, sections=add_source(old.sections, paper.sections))
                mine = merge_sections(days.get(day) or old.sections, paper.sections)
                day_text = None if mine == merged.sections else mine
                if linked and days.get(day) != day_text:
                    writes[day] = day_text
            for other, text in days.items():
                if other != day and text is not None and (grown := add_source(text, paper.sections)) != text:
                    writes[other] = grown
            for other, text in writes.items():
                plan.day_texts.append((_json(text), other, paper_id))
                days[other] = text
            if not linked:
                days[day] = day_text
            body = index_body(merged.sections, (t for t in days.values() if t is not None))
            text_changed = (merged.title, merged.authors, body) != (old.title, old.authors, before)
            new_last = max(day, last)
            if merged != old or new_last != last:
                plan.updates.append((*paper_values(merged), new_last, merged.media, paper_id))
                existing[paper.arxiv_id] = (paper_id, *paper_values(merged), new_last, merged.media)
            if text_changed:
                entry = (paper_id, merged, body)
                if paper_id in reindexed:
                    plan.reindex[reindexed[paper_id]] = entry
                else:
                    reindexed[paper_id] = len(plan.reindex)
                    plan.reindex.append(entry)
            if (merged != old or day in writes) and paper.arxiv_id not in plan.updated + plan.added:
                plan.updated.append(paper.arxiv_id)
            if linked:
                if paper.arxiv_id not in plan.updated and paper.arxiv_id not in plan.added:
                    plan.unchanged += 1
            elif paper.arxiv_id not in plan.updated:
                plan.linked.append(paper.arxiv_id)
        if paper_id not in already_linked:
            plan.links.append((day, next_position, paper_id, paper.votes, _json(day_text)))
            texts.setdefault(paper_id, {})[day] = day_text
            next_position += 1
            already_linked.add(paper_id)
        else:
            plan.votes.append((paper.votes, day, paper_id))
    return plan
