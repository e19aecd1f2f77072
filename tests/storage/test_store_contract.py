"""The store's behaviour, the same on every backend: the shared definition for SQLite and PostgreSQL.

Each test runs once per backend (``any_store`` in conftest.py); a backend passes when it
behaves as a user of the bot would expect from the other.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest

from bot.models import Digest, Paper
from bot.payload import Payload
from bot.store import ClaimState, QueryError, Schedule, StoreError
from storage.sqlite import COUNT_CAP


def paper(pid: str, title: str, authors=(), votes=None, text="") -> Paper:
    return Paper(pid, f"https://arxiv.org/abs/{pid}", title, None, votes, tuple(authors),
                 (("What's New", text),) if text else ())


def ids(page) -> list[str]:
    return [h.paper.paper.arxiv_id for h in page.hits]


# -- papers and digests ---------------------------------------------------------------
async def test_ingest_stores_nine_papers_in_digest_order(any_seeded, seed_digest):
    stored = await any_seeded.digest()
    assert stored.date == dt.date(2024, 6, 28)
    assert stored.digest() == seed_digest
    assert all(p.dates == (dt.date(2024, 6, 28),) for p in stored.papers)
    assert await any_seeded.digest_dates() == [dt.date(2024, 6, 28)]
    assert await any_seeded.digest(dt.date(2024, 6, 29)) is None


async def test_ingesting_the_same_digest_twice_changes_nothing(any_store, seed_digest):
    first = await any_store.ingest(seed_digest)
    assert len(first.added) == 9
    before = await any_store.digest()
    second = await any_store.ingest(seed_digest)
    assert not second.changed and second.unchanged == 9
    assert await any_store.digest() == before
    assert (await any_store.search("추론")).total == 2


async def test_a_paper_listed_twice_in_one_digest_is_one_paper(any_store, seed_digest):
    first, second = seed_digest.papers[:2]
    report = await any_store.ingest(Digest(seed_digest.date, (first, first, second)))
    assert report.added == (first.arxiv_id, second.arxiv_id)
    stored = await any_store.digest(seed_digest.date)
    assert [p.paper.arxiv_id for p in stored.papers] == [first.arxiv_id, second.arxiv_id]


async def test_a_paper_seen_again_is_one_record_linked_to_both_dates_with_votes_updated(any_seeded, seed_digest):
    step = dataclasses.replace(seed_digest.papers[0], votes=99)
    later = Digest(dt.date(2024, 6, 29), (paper("2406.99999", "New one"), step))
    report = await any_seeded.ingest(later)
    assert report.added == ("2406.99999",) and report.updated == ("2406.18629",)
    stored = await any_seeded.paper("2406.18629")
    assert stored.paper.votes == 99
    assert stored.dates == (dt.date(2024, 6, 28), dt.date(2024, 6, 29))
    assert [p.paper.arxiv_id for p in (await any_seeded.digest()).papers] == ["2406.99999", "2406.18629"]
    old = await any_seeded.digest(dt.date(2024, 6, 28))
    assert old.papers[0].paper.arxiv_id == "2406.18629"
    assert old.papers[0].paper.votes == seed_digest.papers[0].votes  # that day's count
    await any_seeded.ingest(Digest(dt.date(2024, 6, 1), (dataclasses.replace(step, votes=3),)))
    assert (await any_seeded.paper("2406.18629")).paper.votes == 99
    assert await any_seeded.paper("2406.00000") is None


async def test_a_paper_re_summarised_later_keeps_each_digests_text(any_seeded, seed_digest):
    first = seed_digest.papers[0]
    later = Digest(dt.date(2024, 6, 29), (paper(first.arxiv_id, first.title, text="완전히 새로운 요약"),))
    report = await any_seeded.ingest(later)
    assert report.updated == (first.arxiv_id,)
    older = (await any_seeded.digest(dt.date(2024, 6, 28))).papers[0].paper
    assert older.sections == first.sections  # what 2024-06-28 published, all three sections
    newer = (await any_seeded.digest(dt.date(2024, 6, 29))).papers[0].paper
    current = (await any_seeded.paper(first.arxiv_id)).paper
    assert newer.sections == current.sections == (("What's New", "완전히 새로운 요약"),)  # no old label left over
    for words in ("새로운 요약", "수학적", "Step-DPO"):  # the newest and the older summary are both searched
        assert ids(await any_seeded.search(words)) == [first.arxiv_id], words
    for day in (seed_digest, later):
        again = await any_seeded.ingest(day)  # ingesting either digest again changes nothing
        assert not again.changed, day.date
    assert (await any_seeded.digest(dt.date(2024, 6, 28))).papers[0].paper.sections == first.sections
    assert (await any_seeded.paper(first.arxiv_id)).paper.sections == current.sections


async def test_an_older_digest_ingested_later_keeps_its_text_and_the_newest_stays_current(any_store):
    newest = Digest(dt.date(2024, 7, 2), (paper("2406.1", "Paper", text="새 요약 문장"),))
    oldest = Digest(dt.date(2024, 6, 28), (paper("2406.1", "Paper", text="옛 요약 단락"),))
    await any_store.ingest(newest)
    report = await any_store.ingest(oldest)
    assert report.linked == ("2406.1",)
    assert (await any_store.paper("2406.1")).paper.sections == (("What's New", "새 요약 문장"),)
    assert (await any_store.digest(oldest.date)).papers[0].paper.sections == (("What's New", "옛 요약 단락"),)
    assert (await any_store.digest(newest.date)).papers[0].paper.sections == (("What's New", "새 요약 문장"),)
    assert ids(await any_store.search("단락")) == ["2406.1"]
    assert ids(await any_store.search("문장")) == ["2406.1"]


async def test_hugging_faces_abstract_is_another_source_not_a_newer_version(any_store):
    abstract = ("Abstract", "We study mathematical reasoning.")
    korean = Digest(dt.date(2024, 6, 28), (paper("2406.1", "Paper", text="옛 요약"),))
    resummary = Digest(dt.date(2024, 7, 2), (paper("2406.1", "Paper", text="새 요약"),))
    english = Digest(dt.date(2024, 7, 2), (dataclasses.replace(paper("2406.1", "Paper"), sections=(abstract,)),))
    for digest in (korean, resummary, english):
        await any_store.ingest(digest)
    assert (await any_store.paper("2406.1")).paper.sections == (("What's New", "새 요약"), abstract)
    # every day shows the abstract beside its own Korean summary
    assert (await any_store.digest(korean.date)).papers[0].paper.sections == (("What's New", "옛 요약"), abstract)
    assert (await any_store.digest(resummary.date)).papers[0].paper.sections == (("What's New", "새 요약"), abstract)
    # an abstract fetched for an older day reaches the current text too
    late = Digest(dt.date(2024, 6, 1), (dataclasses.replace(paper("2406.2", "Other"), sections=(abstract,)),))
    await any_store.ingest(Digest(dt.date(2024, 7, 2), (paper("2406.2", "Other", text="요약 둘"),)))
    await any_store.ingest(late)
    assert (await any_store.paper("2406.2")).paper.sections == (("What's New", "요약 둘"), abstract)
    assert sorted(ids(await any_store.search("mathematical reasoning"))) == ["2406.1", "2406.2"]


# -- keyword search -------------------------------------------------------------------
async def test_korean_substring_search(any_seeded):
    page = await any_seeded.search("추론")
    assert ids(page) == ["2406.18629", "2406.19227"]
    assert ("추론은", True) in page.hits[0].snippet or ("추론", True) in page.hits[0].snippet
    seg = await any_seeded.search("세그멘테이션")
    assert ids(seg) == ["2406.19389"]
    assert ("세그멘테이션", True) in seg.hits[0].snippet


async def test_two_character_korean_word_is_found(any_seeded):
    page = await any_seeded.search("모델")
    assert "2406.18629" in ids(page) and page.total >= 5
    assert (await any_seeded.search("뷰")).total == 0  # no word starts with it: no results, no error


async def test_english_phrase_and_title_weighting(any_seeded):
    assert ids(await any_seeded.search('"Preference Optimization"')) == ["2406.18629"]
    assert ids(await any_seeded.search("preference optimization"))[0] == "2406.18629"
    assert ids(await any_seeded.search("LLaVA"))[0] == "2406.19389"


async def test_a_title_match_outranks_a_summary_match(any_store):
    await any_store.ingest(Digest(dt.date(2024, 7, 1), (
        paper("2407.00001", "Older title about 강화학습", text="다른 이야기"),
        paper("2407.00002", "Plain title", text="강화학습 이야기"),
        paper("2407.00003", "Quantization tricks", text="nothing"),
        paper("2407.00004", "Other", text="we also try quantization"),
    )))
    assert ids(await any_store.search("강화학습")) == ["2407.00001", "2407.00002"]
    assert ids(await any_store.search("quantization")) == ["2407.00003", "2407.00004"]


async def test_korean_and_latin_terms_together_must_all_match(any_seeded):
    assert ids(await any_seeded.search("추론 Step-DPO")) == ["2406.18629"]
    assert ids(await any_seeded.search("세그멘테이션 DPO")) == []


async def test_paging_reports_how_many_more(any_seeded):
    first = await any_seeded.search("모델", limit=2)
    second = await any_seeded.search("모델", limit=2, offset=2)
    assert len(first.hits) == 2 and first.more == first.total - 2
    assert set(ids(first)).isdisjoint(ids(second))


HOSTILE = ['"', '""', 'AND(', "NEAR(a b)", "*", "a*", "^title", "OR", "NOT", "🙂🙂🙂", "👍",
           "'; DROP TABLE papers; --", "title:hack", "(", ")", "-", "a AND", '" OR "1"="1', "\x00", "%", "_%_",
           "a\x00bcd", "'", "\\", "a:*", "!x & y", "추론'|'", "author:'", "<->"]


async def test_hostile_queries_never_crash(any_seeded):
    for query in HOSTILE:
        try:
            page = await any_seeded.search(query)
        except QueryError as exc:
            assert str(exc), query  # a message for the user
        else:
            assert page.total >= 0, query
        try:
            await any_seeded.search_authors(query)
        except QueryError as exc:
            assert str(exc), query
    assert len((await any_seeded.digest()).papers) == 9  # nothing dropped


async def test_like_wildcards_are_literal(any_store):
    await any_store.ingest(Digest(dt.date(2024, 7, 1), (
        paper("2407.00001", "Top 100% accuracy"), paper("2407.00002", "Top 1000 models"),
    )))
    assert ids(await any_store.search("100%")) == ["2407.00001"]
    assert ids(await any_store.search("_%_")) == []


async def test_empty_query_gets_a_clear_message(any_seeded):
    with pytest.raises(QueryError, match="Type something"):
        await any_seeded.search("   ")


async def test_very_common_terms_count_up_to_a_cap_and_show_newest_first(any_store):
    for day in range(3):
        papers = tuple(paper(f"2407.{day:01d}{i:04d}", f"Common model {day}-{i}", ["Li Wei"], text="공통 모델 연구")
                       for i in range(COUNT_CAP // 2 + 3))
        await any_store.ingest(Digest(dt.date(2024, 7, 1 + day), papers))
    page = await any_store.search("공통 모델", limit=5)
    assert page.capped and page.total_text == f"{COUNT_CAP:,}+"
    assert page.hits[0].paper.paper.title.startswith("Common model 2-")
    authors = await any_store.search_authors("Li", limit=5)
    assert authors.capped and authors.hits[0].matched_authors == ("Li Wei",)
    exact = await any_store.search('"Common model 1-7"', limit=5)
    assert [h.paper.paper.title for h in exact.hits] == ["Common model 1-7"] and not exact.capped


async def test_title_suggestions(any_seeded):
    assert (await any_seeded.title_suggestions("LLaVA"))[0].startswith("OMG-LLaVA")
    assert len(await any_seeded.title_suggestions("", limit=3)) == 3


# -- authors --------------------------------------------------------------------------
async def test_author_lookup_accents_case_and_surname(any_store):
    await any_store.ingest(Digest(dt.date(2024, 7, 1), (
        paper("2407.00001", "Evaluation", ["José Hernández-Orallo", "Ningyu Zhang"]),
        paper("2407.00002", "Another", ["김철수", "Xuefei Ning"]),
    )))
    hits = (await any_store.search_authors("jose hernandez")).hits
    assert [h.paper.paper.arxiv_id for h in hits] == ["2407.00001"]
    assert hits[0].matched_authors == ("José Hernández-Orallo",)
    ning = (await any_store.search_authors("Ning")).hits
    assert ning[0].paper.paper.arxiv_id == "2407.00002"  # whole-word surname before a prefix match
    assert ning[0].matched_authors == ("Xuefei Ning",)
    assert [h.paper.paper.arxiv_id for h in (await any_store.search_authors("김철수")).hits] == ["2407.00002"]
    assert (await any_store.search_authors("HERNÁNDEZ")).total == 1
    assert await any_store.author_names("jos") == ["José Hernández-Orallo"]
    assert (await any_store.search_authors("Nobody Atall")).total == 0
    with pytest.raises(QueryError):
        await any_store.search_authors("  ")


async def test_seed_author_lookup(any_seeded):
    page = await any_seeded.search_authors("Juanzi Li")
    assert {h.paper.paper.arxiv_id for h in page.hits} == {"2406.19226", "2406.19215", "2406.19227"}
    assert (await any_seeded.search_authors("Ning")).total == 2
    assert "Juanzi Li" in await any_seeded.author_names("")


async def test_bulk_backfill_then_search(any_store, seed_digest):
    async with any_store.bulk():
        await any_store.ingest(seed_digest)
        await any_store.ingest(Digest(dt.date(2024, 7, 1), (paper("2407.00001", "Later 세그멘테이션 paper"),)))
    assert set(ids(await any_store.search("세그멘테이션"))) == {"2406.19389", "2407.00001"}
    assert (await any_store.search_authors("Ning")).total == 2


# -- subscriptions and alerts ----------------------------------------------------------
async def test_subscriptions_are_unique_per_meaning(any_store):
    sub, created = await any_store.add_subscription("discord", "user:1", "keyword", "추론")
    assert created and sub.term == "추론" and sub.created_at.tzinfo is not None
    _, again = await any_store.add_subscription("discord", "user:1", "keyword", " 추론 ")
    assert not again
    _, other = await any_store.add_subscription("discord", "user:1", "author", "José Hernández")
    assert other
    assert [s.term for s in await any_store.subscriptions("discord", "user:1")] == ["추론", "José Hernández"]
    assert await any_store.subscriptions("slack", "user:1") == []
    assert await any_store.remove_subscription("discord", "user:1", "author", "jose hernandez")
    assert not await any_store.remove_subscription("discord", "user:1", "author", "jose hernandez")


async def test_subscriptions_carry_their_index_gram(any_seeded):
    kw, _ = await any_seeded.add_subscription("discord", "user:1", "keyword", "세그멘테이션")
    au, _ = await any_seeded.add_subscription("discord", "user:2", "author", "Juanzi Li")
    short, _ = await any_seeded.add_subscription("slack", "user:3", "keyword", "RL")
    assert kw.gram in {"세그멘테이션"[i : i + 3] for i in range(4)}
    assert au.gram in {"juanzi", "li"} and short.gram == "rl"


async def test_alerts_are_claimed_once_per_subscriber_and_paper(any_store):
    first = await any_store.claim_alerts("discord", "user:1", "alert:2024-06-28", {"a": ["추론"], "b": ["LLM"]})
    assert first == ["a", "b"]
    again = await any_store.claim_alerts("discord", "user:1", "alert:2024-06-29", {"b": ["LLM"], "c": ["x"]})
    assert again == ["c"]
    assert await any_store.claim_alerts("discord", "user:2", "alert:2024-06-29", {"b": []}) == ["b"]
    assert await any_store.claim_alerts("discord", "user:2", "alert:2024-06-29", {}) == []


async def test_two_stores_on_one_database_claim_each_alert_once(store_opener):
    one, two = await store_opener(), await store_opener()  # two processes on one database
    papers = {f"2407.{i:05d}": ["t"] for i in range(50)}
    got = await asyncio.gather(*(s.claim_alerts("slack", "user:9", "alert:x", papers) for s in (one, two, one, two)))
    claimed = [pid for batch in got for pid in batch]
    assert sorted(claimed) == sorted(papers)  # each exactly once, whoever won it


# -- schedules --------------------------------------------------------------------------
async def test_schedules_round_trip_and_update_in_place(any_store):
    since = dt.datetime(2024, 6, 28, 9, 30, tzinfo=dt.UTC)
    first = Schedule("discord", "C1", dt.time(9, 0), "Asia/Seoul", (0, 1, 2, 3, 4), workspace="G1", top_n=5,
                     min_votes=3, set_by="U1", quiet=True, since=since)
    await any_store.set_schedule(first)
    got = await any_store.schedule("discord", "C1")
    assert got == first and got.since == since
    assert await any_store.schedule("discord", "C2") is None
    assert await any_store.set_unavailable("discord", "C1", "gone")
    assert not await any_store.set_unavailable("discord", "C1", "gone")
    assert await any_store.unavailable("discord") == {"C1": "gone"}
    second = dataclasses.replace(first, time=dt.time(18, 5), weekdays=(5, 6), top_n=None, enabled=False, quiet=False)
    await any_store.set_schedule(second)
    await any_store.set_schedule(Schedule("slack", "A", dt.time(7, 0), "UTC", tuple(range(7))))
    assert await any_store.schedules() == [second, Schedule("slack", "A", dt.time(7, 0), "UTC", tuple(range(7)))]
    assert await any_store.unavailable("discord") == {}  # set again: a fresh start
    assert await any_store.remove_schedule("slack", "A")
    assert not await any_store.remove_schedule("slack", "A")
    assert await any_store.schedules() == [second]


# -- opening -------------------------------------------------------------------------
async def test_a_reopened_store_keeps_everything(store_opener, seed_digest):
    first = await store_opener()
    await first.ingest(seed_digest)
    await first.add_subscription("discord", "user:1", "keyword", "추론")
    await first.close()
    again = await store_opener()
    assert (await again.digest()).digest() == seed_digest
    assert [s.term for s in await again.subscriptions("discord", "user:1")] == ["추론"]


async def test_newer_schema_is_refused_with_a_clear_message(store_opener):
    store = await store_opener()
    latest = await store.schema_version()
    if store_opener.backend == "sqlite":
        async with store.transaction() as db:
            await db.execute("INSERT INTO schema_version VALUES (?)", (latest + 1,))
    else:
        async with store.transaction() as db:
            await db.execute("INSERT INTO schema_version VALUES ($1)", latest + 1)
    await store.close()
    with pytest.raises(StoreError, match=f"schema version {latest + 1}, newer than this paperbot"):
        await store_opener()


# -- runs ------------------------------------------------------------------------------
async def test_last_run_per_channel(any_store):
    await any_store.record_run("discord", "C1", "digest:2024-06-28", "sent")
    await any_store.record_run("discord", "C1", "digest:2024-06-29", "failed", "503")
    await any_store.record_run("slack", "C1", "digest:2024-06-29", "skipped")
    runs = await any_store.last_runs()
    assert [(r.platform, r.target, r.post_key, r.outcome, r.detail) for r in runs] == [
        ("discord", "C1", "digest:2024-06-29", "failed", "503"), ("slack", "C1", "digest:2024-06-29", "skipped", "")]
    assert all(r.at.tzinfo is not None for r in runs)


# -- the delivery ledger -----------------------------------------------------------------
T0 = dt.datetime(2024, 6, 28, 0, 0, tzinfo=dt.UTC)
PARTS = [Payload({"content": "part 0"}), Payload({"content": "reply"}, thread_of=0, source=1)]


async def test_a_post_is_recorded_once_with_the_parts_first_rendered(any_store):
    post = await any_store.open_post("discord", "C1", "digest:2024-06-28", PARTS, report_to="user:1", now=T0)
    assert [p.payload for p in post.parts] == PARTS and post.missing == (0, 1) and not post.finished
    assert post.report_to == "user:1" and post.created_at == T0
    again = await any_store.open_post("discord", "C1", "digest:2024-06-28", PARTS[:1], now=T0)
    assert len(again.parts) == 2  # as first recorded
    empty = await any_store.open_post("discord", "C1", "empty:2024-06-29", [], now=T0)
    assert empty.finished and await any_store.post("discord", "C9", "x") is None
    assert await any_store.started_posts("discord", "C1") == {"digest:2024-06-28", "empty:2024-06-29"}
    assert await any_store.sent_posts("discord", "C1") == {"empty:2024-06-29"}
    assert await any_store.posted_since("discord", "C1", "digest:", T0)
    assert not await any_store.posted_since("discord", "C1", "digest:", T0 + dt.timedelta(seconds=1))
    assert not await any_store.posted_since("discord", "C1", "alert:", T0)


async def test_a_post_opened_with_its_first_part_claimed_in_one_write(any_store):
    key = ("slack", "C1", "digest:2024-06-28")
    await any_store.renew_lease("run-a", T0 + dt.timedelta(seconds=30))
    post, claim = await any_store.open_post_claimed(*key, PARTS, "n0", owner="run-a", report_to="user:1", now=T0)
    assert (claim.state, claim.nonce) == (ClaimState.NEW, "n0")
    assert [p.payload for p in post.parts] == PARTS and post.report_to == "user:1" and post.created_at == T0
    assert [p.state for p in (await any_store.post(*key)).parts] == [p.state for p in post.parts] == [
        "claimed", "pending"]
    busy = await any_store.claim_part(*key, 0, "nb", owner="run-b", now=T0 + dt.timedelta(seconds=10))
    assert (busy.state, busy.nonce, busy.owner) == (ClaimState.BUSY, "n0", "run-a")
    # opened again (another run, a retry): the post as recorded, nothing claimed
    again, none = await any_store.open_post_claimed(*key, PARTS[:1], "n9", owner="run-b", now=T0)
    assert none is None and [p.state for p in again.parts] == ["claimed", "pending"]
    taken = await any_store.claim_part(*key, 0, "nb", owner="run-b", now=T0 + dt.timedelta(seconds=31))
    assert (taken.state, taken.nonce) == (ClaimState.UNKNOWN, "n0")  # run-a died: looked up by its nonce
    claim = await any_store.mark_sent_and_claim(*key, 0, "m0", "m0", 1, "n1", owner="run-b", now=T0)
    assert claim.state == ClaimState.NEW
    await any_store.mark_sent(*key, 1, "m1", "m0")
    assert (await any_store.post(*key)).finished
    empty, nothing = await any_store.open_post_claimed("slack", "C1", "empty:2024-06-29", [], "n", owner="run-a",
                                                       now=T0)
    assert empty.finished and nothing is None


async def test_claims_sent_failed_and_the_post_finishes(any_store):
    key = ("slack", "C1", "digest:2024-06-28")
    await any_store.open_post(*key, PARTS, now=T0)
    await any_store.renew_lease("run-a", T0 + dt.timedelta(minutes=2))
    assert (await any_store.claim_part(*key, 0, "n0", owner="run-a", now=T0)).state == ClaimState.NEW
    await any_store.mark_sent(*key, 0, "m0", "t0")
    sent = await any_store.claim_part(*key, 0, "other", owner="run-b", now=T0)
    assert (sent.state, sent.nonce, sent.message_id, sent.thread_id) == (ClaimState.SENT, "n0", "m0", "t0")
    assert (await any_store.claim_part(*key, 1, "n1", owner="run-a", now=T0)).state == ClaimState.NEW
    assert [p.post_key for p in await any_store.unfinished_posts("slack")] == ["digest:2024-06-28"]
    await any_store.mark_failed(*key, 1, "msg_too_long")
    assert (await any_store.claim_part(*key, 1, "n1", owner="run-a", now=T0)).state == ClaimState.FAILED
    post = await any_store.post(*key)
    assert post.finished and post.rejected == (1,) and post.parts[1].error == "msg_too_long"
    assert await any_store.sent_posts("slack", "C1") == {"digest:2024-06-28"}
    assert await any_store.unfinished_posts() == []
    with pytest.raises(LookupError):
        await any_store.claim_part(*key, 5, "n5", owner="run-a", now=T0)


async def test_a_live_runs_claim_is_busy_a_dead_runs_is_taken_over_with_its_nonce(any_store):
    key = ("discord", "C1", "digest:2024-06-28")
    await any_store.open_post(*key, PARTS, now=T0)
    await any_store.renew_lease("run-a", T0 + dt.timedelta(seconds=30))
    assert (await any_store.claim_part(*key, 0, "na", owner="run-a", now=T0)).state == ClaimState.NEW
    busy = await any_store.claim_part(*key, 0, "nb", owner="run-b", now=T0 + dt.timedelta(seconds=10))
    assert busy.state == ClaimState.BUSY and busy.lease_expires == T0 + dt.timedelta(seconds=30)
    later = T0 + dt.timedelta(seconds=31)  # run-a died: its lease ran out
    taken = await any_store.claim_part(*key, 0, "nb", owner="run-b", now=later)
    assert (taken.state, taken.nonce) == (ClaimState.UNKNOWN, "na")  # look it up by the first nonce
    await any_store.release_lease("run-a")
    # released (the channel refused): pending again, claimable as new
    await any_store.release_part(*key, 0)
    assert (await any_store.claim_part(*key, 0, "nc", owner="run-c", now=later)).state == ClaimState.NEW


async def test_retries_are_counted_and_unavailable_channels_wait(any_store):
    key = ("discord", "C2", "digest:2024-06-28")
    await any_store.open_post(*key, PARTS, now=T0)
    retry = T0 + dt.timedelta(minutes=5)
    assert await any_store.note_attempt(*key, "503", retry) == 1
    assert await any_store.note_attempt(*key, "503 again", retry) == 2
    post = await any_store.post(*key)
    assert (post.attempts, post.last_error, post.retry_at) == (2, "503 again", retry)
    await any_store.set_unavailable("discord", "C2", "Missing Access")
    assert await any_store.unfinished_posts() == []


async def test_alerts_claimed_but_never_posted_are_found_to_resume(any_store):
    await any_store.claim_alerts("slack", "user:1", "alert:2024-06-28:user:1", {"a": ["추론"], "b": ["LLM", "RAG"]})
    await any_store.claim_alerts("slack", "user:2", "alert:2024-06-28:user:2", {"a": ["추론"]})
    await any_store.open_post("slack", "user:2", "alert:2024-06-28:user:2", PARTS[:1], now=T0)
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    orphans = await any_store.orphan_alerts({"slack", "discord"}, since=recent)
    assert [(o.subscriber, o.post_key, o.papers) for o in orphans] == [
        ("user:1", "alert:2024-06-28:user:1", (("a", ("추론",)), ("b", ("LLM", "RAG"))))]
    assert await any_store.orphan_alerts({"discord"}, since=recent) == []
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)  # claims older than the window are not looked at
    assert await any_store.orphan_alerts({"slack"}, since=later) == []


async def test_a_run_that_crashed_midway_resumes_the_alerts_it_had_not_posted(any_store):
    # one run claims every subscriber under one key; it crashed after posting to user:2 only
    key = "alert:2024-06-28:0123456789ab"
    await any_store.claim_alerts_many("slack", key, {"user:1": {"a": ["추론"]}, "user:2": {"a": ["추론"]},
                                                     "channel:C3": {"b": ["LLM"]}})
    await any_store.open_post("slack", "user:2", key, PARTS[:1], now=T0)
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    orphans = await any_store.orphan_alerts({"slack"}, since=recent)
    assert sorted((o.subscriber, o.papers) for o in orphans) == [
        ("channel:C3", (("b", ("LLM",)),)), ("user:1", (("a", ("추론",)),))]
    await any_store.open_post("slack", "C3", key, PARTS[:1], now=T0)  # a channel's alert is posted to the channel
    assert [o.subscriber for o in await any_store.orphan_alerts({"slack"}, since=recent)] == ["user:1"]


async def test_two_processes_claim_every_part_exactly_once(store_opener):
    one, two = await store_opener(), await store_opener()
    keys = [("discord", f"C{i}", "digest:2024-06-28") for i in range(20)]
    for store in (one, two):
        await store.renew_lease(f"run-{id(store)}", T0 + dt.timedelta(minutes=5))
    for key in keys:
        await one.open_post(*key, PARTS, now=T0)

    async def claim_all(store) -> list[tuple[str, int]]:
        won = []
        for key in keys:
            for part in (0, 1):
                claim = await store.claim_part(*key, part, f"n-{id(store)}", owner=f"run-{id(store)}", now=T0)
                if claim.state == ClaimState.NEW:
                    won.append((key[1], part))
        return won

    first, second = await asyncio.gather(claim_all(one), claim_all(two))
    assert sorted(first + second) == sorted((key[1], part) for key in keys for part in (0, 1))


async def test_fetch_record_keeps_the_last_success(any_store):
    day = dt.date(2024, 6, 28)
    await any_store.record_fetch("hf", day, "failed", T0, "timeout")
    await any_store.record_fetch("hf", day, "ingested", T0 + dt.timedelta(hours=1))
    await any_store.record_fetch("hf", day, "failed", T0 + dt.timedelta(hours=2), "503")
    (run,) = await any_store.fetch_runs(day)
    assert (run.source, run.day, run.ok_at, run.ok_status, run.tried_at, run.error) == (
        "hf", day, T0 + dt.timedelta(hours=1), "ingested", T0 + dt.timedelta(hours=2), "503")
    assert await any_store.fetch_runs(day + dt.timedelta(days=1)) == []


async def test_channel_language_is_set_and_changed(any_store):
    assert await any_store.channel_language("discord", "C1") is None
    await any_store.set_channel_language("discord", "C1", "en")
    await any_store.set_channel_language("discord", "C1", "ko")
    assert await any_store.channel_language("discord", "C1") == "ko"
    assert await any_store.channel_language("slack", "C1") is None


async def test_many_channels_languages_at_once(any_store):
    await any_store.set_channel_language("discord", "C1", "ko")
    await any_store.set_channel_language("discord", "C2", "en")
    await any_store.set_channel_language("slack", "C3", "ko")
    many = [f"C{n}" for n in range(1, 40_000)]  # more than a statement's parameters (32,766), were each bound alone
    assert await any_store.channel_languages("discord", many) == {"C1": "ko", "C2": "en"}
    assert await any_store.channel_languages("slack", ["C1", "C3", "C'3"]) == {"C3": "ko"}
    assert await any_store.channel_languages("discord", []) == {}
