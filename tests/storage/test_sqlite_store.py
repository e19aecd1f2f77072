from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3

import pytest

from bot.models import Digest, Paper
from bot.store import QueryError, StoreError
from storage.migrations import LATEST
from storage.sqlite import SQLiteStore
from tests.storage.conftest import sqlite_database_at


def paper(pid: str, title: str, authors=(), votes=None, text="") -> Paper:
    return Paper(pid, f"https://arxiv.org/abs/{pid}", title, None, votes, tuple(authors),
                 (("What's New", text),) if text else ())


async def test_ingest_stores_nine_papers_in_digest_order(seeded, seed_digest):
    stored = await seeded.digest()
    assert stored.date == dt.date(2024, 6, 28)
    assert stored.digest() == seed_digest
    assert all(p.dates == (dt.date(2024, 6, 28),) for p in stored.papers)


async def test_ingesting_the_same_digest_twice_changes_nothing(store, seed_digest, tmp_path):
    first = await store.ingest(seed_digest)
    assert len(first.added) == 9
    db = sqlite3.connect(tmp_path / "paperbot.db")
    before = [db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in ("papers", "digest_papers")]
    second = await store.ingest(seed_digest)
    assert not second.changed and second.unchanged == 9
    after = [db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in ("papers", "digest_papers")]
    assert before == after
    assert (await store.search("추론")).total == 2


async def test_a_paper_seen_again_is_one_record_linked_to_both_dates_with_votes_updated(seeded, seed_digest):
    step = dataclasses.replace(seed_digest.papers[0], votes=99)
    later = Digest(dt.date(2024, 6, 29), (paper("2406.99999", "New one"), step))
    report = await seeded.ingest(later)
    assert report.added == ("2406.99999",) and report.updated == ("2406.18629",)
    stored = await seeded.paper("2406.18629")
    assert stored.paper.votes == 99
    assert stored.dates == (dt.date(2024, 6, 28), dt.date(2024, 6, 29))
    assert [p.paper.arxiv_id for p in (await seeded.digest()).papers] == ["2406.99999", "2406.18629"]
    # the older digest keeps its own order and still lists the paper
    old = await seeded.digest(dt.date(2024, 6, 28))
    assert old.papers[0].paper.arxiv_id == "2406.18629"
    # an older digest ingested late does not roll the votes back
    await seeded.ingest(Digest(dt.date(2024, 6, 1), (dataclasses.replace(step, votes=3),)))
    assert (await seeded.paper("2406.18629")).paper.votes == 99


async def test_korean_substring_search(seeded):
    page = await seeded.search("추론")
    assert [h.paper.paper.arxiv_id for h in page.hits] == ["2406.18629", "2406.19227"]
    assert ("추론은", True) in page.hits[0].snippet or ("추론", True) in page.hits[0].snippet
    seg = await seeded.search("세그멘테이션")
    assert [h.paper.paper.arxiv_id for h in seg.hits] == ["2406.19389"]
    assert ("세그멘테이션", True) in seg.hits[0].snippet


async def test_two_character_korean_word_is_found(seeded):
    page = await seeded.search("모델")
    ids = [h.paper.paper.arxiv_id for h in page.hits]
    assert "2406.18629" in ids and page.total >= 5
    one_char = await seeded.search("뷰")  # no word starts with it: no results, no error
    assert one_char.total == 0


async def test_english_phrase_and_title_weighting(seeded):
    phrase = await seeded.search('"Preference Optimization"')
    assert [h.paper.paper.arxiv_id for h in phrase.hits] == ["2406.18629"]
    lower = await seeded.search("preference optimization")
    assert lower.hits[0].paper.paper.arxiv_id == "2406.18629"
    # "LLaVA" is in one title: that paper ranks first
    assert (await seeded.search("LLaVA")).hits[0].paper.paper.arxiv_id == "2406.19389"


async def test_paging_reports_how_many_more(seeded):
    first = await seeded.search("모델", limit=2)
    second = await seeded.search("모델", limit=2, offset=2)
    assert len(first.hits) == 2 and first.more == first.total - 2
    assert {h.paper.paper.arxiv_id for h in first.hits}.isdisjoint(h.paper.paper.arxiv_id for h in second.hits)


@pytest.mark.parametrize(
    "query",
    ['"', '""', 'AND(', "NEAR(a b)", "*", "a*", "^title", "OR", "NOT", "🙂🙂🙂", "👍",
     "'; DROP TABLE papers; --", "title:hack", "(", ")", "-", "a AND", '" OR "1"="1', "\x00", "%", "_%_"],
)
async def test_hostile_queries_never_crash(seeded, query):
    try:
        page = await seeded.search(query)
    except QueryError as exc:
        assert str(exc)  # a message for the user
    else:
        assert page.total >= 0
    assert (await seeded.paper("2406.18629")) is not None  # nothing dropped


async def test_empty_query_gets_a_clear_message(seeded):
    with pytest.raises(QueryError, match="Type something"):
        await seeded.search("   ")


async def test_author_lookup_accents_case_and_surname(store):
    await store.ingest(Digest(dt.date(2024, 7, 1), (
        paper("2407.00001", "Evaluation", ["José Hernández-Orallo", "Ningyu Zhang"]),
        paper("2407.00002", "Another", ["김철수", "Xuefei Ning"]),
    )))
    hits = (await store.search_authors("jose hernandez")).hits
    assert [h.paper.paper.arxiv_id for h in hits] == ["2407.00001"]
    assert hits[0].matched_authors == ("José Hernández-Orallo",)
    ning = (await store.search_authors("Ning")).hits
    assert ning[0].paper.paper.arxiv_id == "2407.00002"  # whole-word surname before a prefix match
    assert ning[0].matched_authors == ("Xuefei Ning",)
    assert [h.paper.paper.arxiv_id for h in (await store.search_authors("김철수")).hits] == ["2407.00002"]
    assert (await store.search_authors("HERNÁNDEZ")).total == 1
    assert await store.author_names("jos") == ["José Hernández-Orallo"]
    with pytest.raises(QueryError):
        await store.search_authors("  ")


async def test_seed_author_lookup(seeded):
    page = await seeded.search_authors("Juanzi Li")
    assert {h.paper.paper.arxiv_id for h in page.hits} == {"2406.19226", "2406.19215", "2406.19227"}
    assert (await seeded.search_authors("Ning")).total == 2


def schema_1_database(path, title: str, authors: str) -> sqlite3.Connection:
    """A database as the first release left it, holding paper 2406.18629 (still open: add rows, then commit)."""
    db = sqlite_database_at(path, 1)
    db.execute(
        "INSERT INTO papers(arxiv_id, url, title, votes, authors, sections, last_date) VALUES (?, ?, ?, ?, ?, ?, ?)",
        ("2406.18629", "https://arxiv.org/abs/2406.18629", title, 14, authors,
         '[["What\'s New", "수학적 추론은 중요합니다"]]', "2024-06-28"),
    )
    return db


async def test_older_schema_is_upgraded_with_its_data(tmp_path):
    path = tmp_path / "old.db"
    db = schema_1_database(path, "Step-DPO", '["José Hernández-Orallo"]')
    db.execute("INSERT INTO digests(date) VALUES ('2024-06-28')")
    db.execute("INSERT INTO digest_papers(date, position, paper_id, votes) VALUES ('2024-06-28', 0, 1, 14)")
    db.commit()
    db.close()
    store = await SQLiteStore.open(path)
    try:
        assert await store.schema_version() == LATEST
        assert [h.paper.paper.arxiv_id for h in (await store.search("추론은")).hits] == ["2406.18629"]
        assert (await store.search_authors("jose")).total == 1
        assert (await store.digest()).papers[0].paper.votes == 14
    finally:
        await store.close()


async def test_newer_schema_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "future.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    db.execute("INSERT INTO schema_version VALUES (?)", (LATEST + 1,))
    db.commit()
    db.close()
    with pytest.raises(StoreError, match=f"schema version {LATEST + 1}, newer than this paperbot"):
        await SQLiteStore.open(path)


async def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("hello, not sqlite " * 100)
    with pytest.raises(StoreError, match="not a paperbot database"):
        await SQLiteStore.open(path)


async def test_wal_and_foreign_keys_are_on(store, tmp_path):
    assert (await store._db.execute_fetchall("PRAGMA journal_mode"))[0][0] == "wal"
    assert (await store._db.execute_fetchall("PRAGMA foreign_keys"))[0][0] == 1


async def test_subscriptions_are_unique_per_meaning(store):
    sub, created = await store.add_subscription("discord", "user:1", "keyword", "추론")
    assert created and sub.term == "추론"
    _, again = await store.add_subscription("discord", "user:1", "keyword", " 추론 ")
    assert not again
    _, other = await store.add_subscription("discord", "user:1", "author", "José Hernández")
    assert other
    assert [s.term for s in await store.subscriptions("discord", "user:1")] == ["추론", "José Hernández"]
    assert await store.remove_subscription("discord", "user:1", "author", "jose hernandez")
    assert not await store.remove_subscription("discord", "user:1", "author", "jose hernandez")


async def test_very_common_terms_count_up_to_a_cap_and_show_newest_first(store):
    from storage.sqlite import COUNT_CAP

    for day in range(3):
        papers = tuple(paper(f"2407.{day:01d}{i:04d}", f"Common model {day}-{i}", ["Li Wei"], text="공통 모델 연구")
                       for i in range(COUNT_CAP // 2 + 3))
        await store.ingest(Digest(dt.date(2024, 7, 1 + day), papers))
    page = await store.search("공통 모델", limit=5)
    assert page.capped and page.total_text == f"{COUNT_CAP:,}+"
    assert page.hits[0].paper.paper.title.startswith("Common model 2-")  # newest digest first
    authors = await store.search_authors("Li", limit=5)
    assert authors.capped and authors.hits[0].matched_authors == ("Li Wei",)
    exact = await store.search('"Common model 1-7"', limit=5)  # a quoted phrase: whole words
    assert [h.paper.paper.title for h in exact.hits] == ["Common model 1-7"] and not exact.capped


async def test_bulk_backfill_defers_index_merges_then_restores_the_settings(store, seed_digest):
    async with store.bulk():
        await store.ingest(seed_digest)
        await store.ingest(Digest(dt.date(2024, 7, 1), (paper("2407.00001", "Later 세그멘테이션 paper"),)))
        config = dict(await store._db.execute_fetchall("SELECT k, v FROM papers_ko_config"))
        assert config["automerge"] == 0
    config = dict(await store._db.execute_fetchall("SELECT k, v FROM papers_ko_config"))
    assert config["automerge"] == 4 and config["crisismerge"] == 16
    assert {h.paper.paper.arxiv_id for h in (await store.search("세그멘테이션")).hits} == {"2406.19389", "2407.00001"}
    assert (await store.search_authors("Ning")).total == 2


async def test_a_backfill_commits_in_batches_and_a_failing_digest_is_rolled_back_alone(store, monkeypatch):
    from storage.sqlite import index

    monkeypatch.setattr(index, "BATCH_PAPERS", 3)  # a batch commits past 3 papers
    ingest = store._ingest

    async def failing(digest, source):
        report = await ingest(digest, source)  # written, then the digest fails
        if digest.date == dt.date(2024, 7, 2):
            raise OSError("disk full")
        return report

    monkeypatch.setattr(store, "_ingest", failing)
    days = [dt.date(2024, 7, d) for d in (1, 2, 3)]
    async with store.bulk():
        for n, day in enumerate(days):
            digest = Digest(day, tuple(paper(f"2407.{n}000{i}", f"Batch{n} paper {i}", [f"Author{n} Kim"],
                                             text=f"배치{n}번 요약") for i in range(2)))
            if n == 1:
                with pytest.raises(OSError):
                    await store.ingest(digest)
            else:
                await store.ingest(digest)
    assert await store.digest_dates() == [days[0], days[2]]
    assert (await store.search("batch0")).total == 2 and (await store.search("배치2번")).total == 2
    assert (await store.search("batch1")).total == 0 and (await store.search("배치1번")).total == 0
    assert (await store.search_authors("Author1")).total == 0 and (await store.search_authors("Author2")).total == 2


async def test_a_changed_text_is_found_by_its_new_words_only_after_an_upgrade_too(tmp_path):
    path = tmp_path / "old.db"
    db = schema_1_database(path, "Step-DPO alpha", '["Ann Lee"]')
    db.commit()
    db.close()
    store = await SQLiteStore.open(path)  # indexed by the migrations, then reindexed by ingest
    try:
        new = paper("2406.18629", "Step-DPO omega", ["Ann Lee"], text="세그멘테이션 성능")
        await store.ingest(Digest(dt.date(2024, 6, 29), (new,)))
        assert (await store.search("omega")).total == 1 and (await store.search("alpha")).total == 0
        assert (await store.search("세그멘테이션")).total == 1 and (await store.search("omega 성능")).total == 1
        rows = await store._db.execute_fetchall("INSERT INTO papers_words(papers_words) VALUES ('integrity-check')")
        assert list(rows) == []  # raises when the index and paper_text disagree
    finally:
        await store.close()


async def test_a_paper_found_by_an_older_digests_words_shows_them_in_its_snippet(store):
    first = paper("2407.00001", "Marking paper", text="워터마킹 기법을 처음 제안합니다")
    await store.ingest(Digest(dt.date(2024, 7, 1), (first,)))
    await store.ingest(Digest(dt.date(2024, 7, 2), (dataclasses.replace(
        first, sections=(("What's New", "새로운 요약입니다"),)),)))
    page = await store.search("워터마킹")
    assert [h.paper.paper.arxiv_id for h in page.hits] == ["2407.00001"]
    assert ("워터마킹", True) in page.hits[0].snippet


async def test_a_write_waits_out_another_process_holding_the_lock(store):
    """A long ingest in another process (6 s here, past SQLite's usual 5 s) delays a subscribe; it never
    fails with "database is locked"."""
    import sqlite3
    import threading

    held = threading.Event()

    def hold() -> None:
        other = sqlite3.connect(store.path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO digests(date, source) VALUES ('2001-01-01', 'other process')")
        held.set()
        threading.Event().wait(6.0)
        other.execute("COMMIT")
        other.close()

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait()
    sub, created = await store.add_subscription("console", "user:me", "keyword", "추론")
    thread.join()
    assert created and sub.term == "추론"
    assert dt.date(2001, 1, 1) in await store.digest_dates()


async def test_processes_opening_a_new_database_at_once_migrate_it_once(tmp_path):
    import asyncio

    from storage.migrations import LATEST
    from storage.sqlite import SQLiteStore

    # 40 rounds: switching a new file to WAL answered "database is locked" at once in about one round of ten
    for round_ in range(40):
        path = tmp_path / f"fresh{round_}.db"
        stores = await asyncio.gather(*(SQLiteStore.open(path) for _ in range(4)))
        try:
            assert [await s.schema_version() for s in stores] == [LATEST] * 4
            rows = await stores[0]._db.execute_fetchall("SELECT count(*), count(DISTINCT version) FROM schema_version")
            assert list(rows) == [(LATEST, LATEST)]
        finally:
            for s in stores:
                await s.close()
