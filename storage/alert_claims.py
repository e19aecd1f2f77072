"""What both stores' ``claim_alerts_many`` return: from the rows their one ``INSERT … RETURNING`` added
(PostgreSQL), or from the pairs that were claimed before (SQLite, whose statement tells how many rows it added)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence


def fresh_claims(asked: dict[str, dict[str, list[str]]], added: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """``{subscriber: the papers just claimed, in the order asked}`` from the ``(subscriber, arxiv_id)`` rows
    the statement added; subscribers with none left out. Most subscribers get every paper they asked
    for (new papers are new to everyone): those are recognised by their count alone."""
    counts = Counter(who for who, _ in added)
    partial = {who for who, n in counts.items() if n < len(asked[who])}
    some: dict[str, set[str]] = {}
    if partial:
        for who, pid in added:
            if who in partial:
                some.setdefault(who, set()).add(pid)
    return {who: list(asked[who]) if who not in partial else [pid for pid in asked[who] if pid in some[who]]
            for who in counts}


def claims_left(asked: dict[str, dict[str, list[str]]], taken: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """``{subscriber: the papers just claimed, in the order asked}`` when the ``(subscriber, arxiv_id)`` pairs
    ``taken`` were claimed before (none, usually); subscribers with none left out."""
    if not taken:
        return {who: list(papers) for who, papers in asked.items() if papers}
    before: dict[str, set[str]] = {}
    for who, pid in taken:
        before.setdefault(who, set()).add(pid)
    out = {}
    for who, papers in asked.items():
        gone = before.get(who)
        left = list(papers) if gone is None else [pid for pid in papers if pid not in gone]
        if left:
            out[who] = left
    return out
