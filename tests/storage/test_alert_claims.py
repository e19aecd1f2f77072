"""Alert matching and claiming in bulk, on SQLite and PostgreSQL: subscriptions read by term, many
subscribers' papers claimed in one statement, each (subscriber, paper) once ever."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest


async def test_many_subscribers_claimed_at_once_each_paper_once_ever(any_store):
    first = await any_store.claim_alerts_many("slack", "alert:2024-07-01", {
        "user:U1": {"a": ["추론"], "b": ["LLM", "RAG"]}, "channel:C1": {"a": []}})
    assert first == {"user:U1": ["a", "b"], "channel:C1": ["a"]}
    again = await any_store.claim_alerts_many("slack", "alert:2024-07-02", {
        "user:U1": {"c": ["x"], "b": ["LLM"]}, "channel:C1": {"a": []}, "user:U2": {"a": ["y"]}})
    assert again == {"user:U1": ["c"], "user:U2": ["a"]}  # C1 had all its papers already: left out
    assert await any_store.claim_alerts_many("discord", "alert:2024-07-02", {"user:U1": {"a": []}}) == {
        "user:U1": ["a"]}  # another platform's U1 is someone else
    assert await any_store.claim_alerts_many("slack", "alert:2024-07-03", {}) == {}
    # a crash before the posts: the claims are found again with their terms, under their own keys
    orphans = await any_store.orphan_alerts({"slack"}, since=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    found = {(o.subscriber, o.post_key): dict(o.papers) for o in orphans}
    assert found[("user:U1", "alert:2024-07-01")] == {"a": ("추론",), "b": ("LLM", "RAG")}
    assert found[("user:U1", "alert:2024-07-02")] == {"c": ("x",)}


async def test_subscriptions_are_read_by_their_folded_term(any_store):
    for platform, who, kind, term in (("slack", "user:U1", "keyword", "추론"), ("slack", "user:U2", "keyword", "추론"),
                                      ("slack", "user:U2", "author", "Yu Wang"), ("discord", "1", "keyword", "RAG"),
                                      ("slack", "user:U3", "keyword", "Diffusion")):
        await any_store.add_subscription(platform, who, kind, term)
    assert sorted(await any_store.subscribed_terms()) == [
        ("author", "yu wang"), ("keyword", "diffusion"), ("keyword", "rag"), ("keyword", "추론")]
    rows = await any_store.term_subscribers(["추론", "rag", "nobody"], ["yu wang"])
    assert sorted(row[1:] for row in rows) == [
        ("discord", "1", "keyword", "RAG", "rag"), ("slack", "user:U1", "keyword", "추론", "추론"),
        ("slack", "user:U2", "author", "Yu Wang", "yu wang"), ("slack", "user:U2", "keyword", "추론", "추론")]
    assert len({row[0] for row in rows}) == 4  # each with its own id
    assert await any_store.term_subscribers([], []) == []


async def test_a_claim_after_others_leaves_out_exactly_the_pairs_alerted_before(any_store):
    papers = {f"p{i}": [f"t{i % 3}"] for i in range(30)}
    earlier = {f"user:U{n}": {pid: terms for pid, terms in papers.items() if int(pid[1:]) % (n + 2) == 0}
               for n in range(20)}
    await any_store.claim_alerts_many("slack", "alert:2024-07-01", earlier)
    fresh = await any_store.claim_alerts_many("slack", "alert:2024-07-02",
                                              {f"user:U{n}": dict(papers) for n in range(25)})
    for n in range(25):
        before = set(earlier.get(f"user:U{n}", {}))
        assert fresh[f"user:U{n}"] == [pid for pid in papers if pid not in before]  # in the order asked
    assert await any_store.claim_alerts_many("slack", "alert:2024-07-03",
                                             {f"user:U{n}": dict(papers) for n in range(25)}) == {}


CLAIMS = {"user:U1": {"a": ["추론"], "b": ["LLM", "RAG"]}, "user:U2": {"a": ["추론"]}}


#: where a claim on SQLite dies: just before or just after one of its two writes
STEPS = {"before the papers": ("INSERT OR IGNORE INTO alerted_papers", "before"),
         "after the papers": ("INSERT OR IGNORE INTO alerted_papers", "after"),
         "before the claims": ("INSERT INTO alert_claims", "before"),
         "after the claims": ("INSERT INTO alert_claims", "after")}


@pytest.mark.parametrize("dies", list(STEPS))
async def test_sqlite_claims_papers_and_claims_in_one_transaction(store, monkeypatch, dies):
    """A claim writes the papers it names, then each subscriber's claim: a crash anywhere in between leaves
    neither (a paper recorded without its claims would make the next claim look for pairs claimed before)."""
    execute = store._db.execute

    statement, when = STEPS[dies]

    async def crashing(sql, *args):
        if sql.startswith(statement) and when == "before":
            raise asyncio.CancelledError
        result = await execute(sql, *args)
        if sql.startswith(statement):
            raise asyncio.CancelledError
        return result

    monkeypatch.setattr(store._db, "execute", crashing)
    with pytest.raises(asyncio.CancelledError):
        await store.claim_alerts_many("slack", "alert:2024-07-01:x", CLAIMS)
    monkeypatch.setattr(store._db, "execute", execute)
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    assert await store.orphan_alerts({"slack"}, since=recent) == []  # nothing claimed: nothing to resume
    assert await store.claim_alerts_many("slack", "alert:2024-07-01:y", CLAIMS) == {
        "user:U1": ["a", "b"], "user:U2": ["a"]}
    assert [(o.subscriber, o.post_key, o.papers) for o in await store.orphan_alerts({"slack"}, since=recent)] == [
        ("user:U1", "alert:2024-07-01:y", (("a", ("추론",)), ("b", ("LLM", "RAG")))),
        ("user:U2", "alert:2024-07-01:y", (("a", ("추론",)),))]


async def test_claims_made_before_the_two_table_layout_are_kept(tmp_path):
    """SQLite 0018: the pairs claimed before stay claimed, and an unposted claim is still found with its terms."""
    from storage.sqlite import SQLiteStore
    from tests.storage.conftest import sqlite_database_at

    path = tmp_path / "v17.db"
    db = sqlite_database_at(path, 17)
    at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    db.executemany("INSERT INTO alerted(platform, subscriber, arxiv_id, post_key, terms, at) VALUES (?, ?, ?, ?, ?, ?)",
                   [("slack", "user:U1", "b", "alert:2024-07-01:x", '["LLM", "RAG"]', at),
                    ("slack", "user:U1", "a", "alert:2024-07-01:x", '["추론"]', at),
                    ("slack", "user:U2", "a", "alert:2024-06-30:y", '["추론"]', "2024-06-30T09:00:00Z")])
    db.commit()
    db.close()
    store = await SQLiteStore.open(path)
    try:
        since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        assert [(o.subscriber, o.post_key, o.papers) for o in await store.orphan_alerts({"slack"}, since=since)] == [
            ("user:U1", "alert:2024-07-01:x", (("b", ("LLM", "RAG")), ("a", ("추론",))))]  # in claim order
        assert await store.claim_alerts_many("slack", "alert:2024-07-02:z", {
            "user:U1": {"a": [], "c": []}, "user:U2": {"a": []}}) == {"user:U1": ["c"]}
    finally:
        await store.close()


async def test_old_style_arxiv_ids_are_claimed_once_too(any_store):
    papers = {"hep-th/9901001": ["string"], "2407.00001": ["LLM"]}
    assert await any_store.claim_alerts_many("slack", "alert:2024-07-01:a", {"user:U1": papers}) == {
        "user:U1": ["hep-th/9901001", "2407.00001"]}
    assert await any_store.claim_alerts_many("slack", "alert:2024-07-02:b", {
        "user:U1": {**papers, "math.AG/0501001": []}, "user:U2": papers}) == {
        "user:U1": ["math.AG/0501001"], "user:U2": ["hep-th/9901001", "2407.00001"]}


async def test_a_paper_claimed_for_others_is_new_to_a_subscriber_claimed_before_it(any_store):
    await any_store.claim_alerts_many("slack", "alert:2024-07-01:a", {"user:U1": {"x": ["t"]}})
    await any_store.claim_alerts_many("slack", "alert:2024-07-02:b", {"user:U2": {"y": ["t"]}, "user:U3": {"x": []}})
    assert await any_store.claim_alerts_many("slack", "alert:2024-07-03:c", {"user:U1": {"y": ["t"], "x": ["t"]}}) == {
        "user:U1": ["y"]}
    assert await any_store.claim_alerts_many("slack", "alert:2024-07-03:d", {
        "user:U2": {"y": [], "x": []}, "user:U3": {"x": [], "y": []}}) == {"user:U2": ["x"], "user:U3": ["y"]}


async def test_a_pair_deleted_from_the_alerted_view_is_the_only_one_unclaimed(store):
    await store.claim_alerts_many("slack", "alert:2024-07-01:x", {"user:U1": {"2406.00001": ["a"],
                                                                                     "2406.00002": ["b"]}})
    async with store.transaction() as db:
        await db.execute("DELETE FROM alerted WHERE arxiv_id = '2406.00001'")
    left = await store._db.execute_fetchall("SELECT subscriber, arxiv_id FROM alerted")
    assert list(left) == [("user:U1", "2406.00002")]
    again = await store.claim_alerts_many("slack", "alert:2024-07-02:y", {"user:U1": {"2406.00001": ["a"],
                                                                                             "2406.00002": ["b"]}})
    assert again == {"user:U1": ["2406.00001"]}  # the other paper stays alerted: not sent twice
    async with store.transaction() as db:
        await db.execute("DELETE FROM alerted")
    assert list(await store._db.execute_fetchall("SELECT count(*) FROM alert_claims")) == [(0,)]
