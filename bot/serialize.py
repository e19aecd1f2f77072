"""Plain JSON shapes of stored papers and digests (``--json`` output, previews)."""

from __future__ import annotations

from typing import Any

from bot.store import SearchHit, StoredDigest, StoredPaper


def paper_json(stored: StoredPaper, *, sections: bool = False) -> dict[str, Any]:
    paper = stored.paper
    data: dict[str, Any] = {
        "arxiv_id": paper.arxiv_id,
        "title": paper.title,
        "url": paper.url,
        "authors": list(paper.authors),
        "votes": paper.votes,
        "dates": [d.isoformat() for d in stored.dates],
        "thumbnail": paper.thumbnail,
        "links": [{"label": label, "url": url} for label, url in paper.links],
    }
    if sections:
        data["sections"] = [{"name": name, "text": text} for name, text in paper.sections]
    return data


def hit_json(hit: SearchHit) -> dict[str, Any]:
    data = paper_json(hit.paper)
    if hit.snippet:
        data["snippet"] = "".join(text for text, _ in hit.snippet)
    if hit.matched_authors:
        data["matched_authors"] = list(hit.matched_authors)
    return data


def digest_json(stored: StoredDigest) -> dict[str, Any]:
    return {"date": stored.date.isoformat(), "papers": [paper_json(p, sections=True) for p in stored.papers]}
