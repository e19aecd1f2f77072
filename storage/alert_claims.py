"""What both stores' ``claim_alerts_many`` return: from the rows their one ``INSERT … RETURNING`` added
(PostgreSQL), or from the pairs that were claimed before (SQLite, whose statement tells how many rows it added);
and the claims as the statements take them, each distinct mapping or list encoded once (subscribers with the same
terms share one, see :class:`bot.alert_match.Matches`)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from json.encoder import encode_basestring


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


#: claims as JSON: compact, and no cycle check (plain mappings and lists of strings; the check cost a dict
#: insertion for each of a run's million terms lists)
_to_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def claims_json(claims: dict[str, dict[str, list[str]]]) -> str:
    """``{subscriber: {arxiv_id: terms}}`` as JSON text; a papers mapping shared by many subscribers encoded once."""
    texts: dict[int, str] = {}
    parts = []
    for who, papers in claims.items():
        text = texts.get(id(papers))
        if text is None:
            text = texts[id(papers)] = _to_json(papers)
        parts.append(f"{encode_basestring(who)}:{text}")
    return "{" + ",".join(parts) + "}"


def claim_columns(claims: dict[str, dict[str, list[str]]]) -> tuple[list[str], list[str], list[str]]:
    """The claimed pairs as three columns (subscriber, arxiv_id, terms as JSON), a terms list shared by many
    papers encoded once."""
    subscribers: list[str] = []
    ids: list[str] = []
    terms: list[str] = []
    texts: dict[int, str] = {}
    for who, papers in claims.items():
        subscribers.extend([who] * len(papers))
        ids.extend(papers)
        for labels in papers.values():
            text = texts.get(id(labels))
            if text is None:
                text = texts[id(labels)] = _to_json(labels)
            terms.append(text)
    return subscribers, ids, terms
