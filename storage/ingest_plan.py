"""What ingesting a digest changes, decided once for both backends (they only run the statements).

Given the papers already stored (``existing``: rows in the :data:`storage.sqlite.rows.PAPER_COLUMNS`
order, ``row[9]`` the last digest date) and the papers already linked to the digest's date, the
plan says which papers to insert, update and reindex, which links and vote counts to write, and
what the :class:`~bot.store.IngestReport` says. A paper listed twice in one digest is one paper.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.models import Digest, Paper
from bot.store import IngestReport
from storage.sqlite.rows import merge, paper_values, row_paper, search_text


@dataclass
class IngestPlan:
    inserts: list[tuple[Any, ...]] = field(default_factory=list)  # (id, *paper_values, date, media)
    updates: list[tuple[Any, ...]] = field(default_factory=list)  # (*paper_values, date, media, id)
    reindex: list[tuple[int, Paper]] = field(default_factory=list)
    links: list[tuple[Any, ...]] = field(default_factory=list)  # (date, position, paper id, votes)
    votes: list[tuple[Any, ...]] = field(default_factory=list)  # (votes, date, paper id) of linked papers
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)
    unchanged: int = 0

    def report(self, digest: Digest) -> IngestReport:
        return IngestReport(digest.date, tuple(self.added), tuple(self.updated), tuple(self.linked), self.unchanged)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.linked)


def plan_ingest(digest: Digest, day: Any, existing: dict[str, tuple[Any, ...]], already_linked: set[int],
                next_position: int, new_id: Callable[[], int]) -> IngestPlan:
    """``day`` is the digest's date as the backend stores it (compared with ``row[9]``)."""
    plan = IngestPlan()
    for paper in digest.papers:
        row = existing.get(paper.arxiv_id)
        if row is None:
            paper_id = new_id()
            row = (paper_id, *paper_values(paper), day, paper.media)
            existing[paper.arxiv_id] = row  # the same id twice in one digest is one paper
            plan.inserts.append(row)
            plan.reindex.append((paper_id, paper))
            plan.added.append(paper.arxiv_id)
        else:
            paper_id = row[0]
            old = row_paper(row)
            if day >= row[9]:
                merged = merge(old, paper)
                if merged != old:
                    plan.updates.append((*paper_values(merged), day, merged.media, paper_id))
                    if search_text(merged) != search_text(old):
                        plan.reindex.append((paper_id, merged))
                    plan.updated.append(paper.arxiv_id)
                elif day != row[9]:
                    plan.updates.append((*paper_values(merged), day, merged.media, paper_id))
            if paper_id in already_linked:
                if paper.arxiv_id not in plan.updated and paper.arxiv_id not in plan.added:
                    plan.unchanged += 1
            elif paper.arxiv_id not in plan.updated:
                plan.linked.append(paper.arxiv_id)
        if paper_id not in already_linked:
            plan.links.append((day, next_position, paper_id, paper.votes))
            next_position += 1
            already_linked.add(paper_id)
        else:
            plan.votes.append((paper.votes, day, paper_id))
    return plan
