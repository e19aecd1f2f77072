from __future__ import annotations

import json

import pytest

from bot.cli import main
from tests.conftest import SEED


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "cli.db"
    monkeypatch.setenv("PAPERBOT_DB", str(path))
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_ingest_seed_then_every_read_command(db, capsys):
    code, out, _ = run(capsys, "ingest", str(SEED))
    assert code == 0
    assert "2024-06-28: 9 papers, 9 added, 0 updated, 0 unchanged" in out
    code, out, _ = run(capsys, "ingest", str(SEED.parent))
    assert code == 0 and "0 added, 0 updated, 9 unchanged" in out

    code, out, _ = run(capsys, "search", "추론", "--json")
    hits = json.loads(out)
    assert [h["arxiv_id"] for h in hits] == ["2406.18629", "2406.19227"]
    assert set(hits[0]) >= {"arxiv_id", "title", "url", "authors", "votes", "dates", "thumbnail"}
    assert hits[0]["dates"] == ["2024-06-28"] and hits[0]["votes"] == 14

    code, out, _ = run(capsys, "author", "Ning", "--json")
    assert {h["arxiv_id"] for h in json.loads(out)} == {"2406.14909", "2406.14629"}

    code, out, _ = run(capsys, "show", "2406.14629v2", "--json")
    shown = json.loads(out)
    assert shown["votes"] is None and [s["name"] for s in shown["sections"]] == ["What's New"]

    code, out, _ = run(capsys, "digest", "--json")
    digest = json.loads(out)
    assert digest["date"] == "2024-06-28" and len(digest["papers"]) == 9
    assert digest["papers"][5]["thumbnail"] == "https://huggingface.co/avatars/05abee0b6317f100923936ca2099e9eb.svg"

    code, out, _ = run(capsys, "search", "세그멘테이션")
    assert code == 0 and "OMG-LLaVA" in out
    code, out, _ = run(capsys, "digest")
    assert "Daily Papers (2024-06-28)" in out and "▲14" in out and "▲-" in out


def test_ingest_reports_rejected_entries_as_path_line_and_exits_1(db, capsys, tmp_path):
    bad = tmp_path / "daily-papers-2024-07-02.md"
    bad.write_text("## Daily Papers (2024-07-02)\n\n### [Good](https://arxiv.org/abs/2407.00002)\n\n"
                   "### [Broken](https://example.com/x)\n", encoding="utf-8")
    code, out, _ = run(capsys, "ingest", str(bad))
    assert code == 1
    assert f"{bad}:5: error: no arXiv id in link 'https://example.com/x'; entry skipped" in out
    code, out, _ = run(capsys, "show", "2407.00002", "--json")
    assert json.loads(out)["title"] == "Good"


def test_usage_errors_exit_2(db, capsys, tmp_path):
    assert run(capsys, "ingest", str(tmp_path / "missing.md"))[0] == 2
    code, _, err = run(capsys, "show", "not-an-id")
    assert code == 2 and "not an arXiv id" in err
    code, _, err = run(capsys, "search", "^")
    assert code == 2 and "Nothing to search for" in err
    with pytest.raises(SystemExit) as exc:
        main(["search", "x", "--limit", "0"])
    assert exc.value.code == 2


def test_empty_database_says_so(db, capsys):
    code, _, err = run(capsys, "digest")
    assert code == 1 and "No digest stored yet" in err


def test_schedule_deliver_status_and_alerts_commands(db, capsys, monkeypatch):
    for key in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    assert run(capsys, "ingest", str(SEED))[0] == 0
    code, out, _ = run(capsys, "schedule", "list")
    assert code == 0 and "No channel schedules yet" in out

    import asyncio

    from bot.commands import Commands, Request
    from storage.sqlite import SQLiteStore

    async def setup() -> None:
        store = await SQLiteStore.open(db)
        commands = Commands(store)
        await commands.handle(Request("console", "me", "console", "schedule", "set 09:00 Asia/Seoul daily top=2",
                                      can_manage_channel=True))
        await commands.handle(Request("console", "me", "console", "subscribe", "세그멘테이션"))
        await store.close()

    asyncio.run(setup())
    code, out, _ = run(capsys, "schedule", "list", "--json")
    (row,) = json.loads(out)
    assert row["schedule"] == "09:00 Asia/Seoul, daily, top 2" and row["next"].endswith("+09:00")
    code, out, _ = run(capsys, "deliver", "--dry-run", "--now", "--json")
    assert [r["outcome"] for r in json.loads(out)] == ["dry-run"]
    code, out, _ = run(capsys, "deliver", "--now")
    assert code == 0 and "delivery run: due=1 sent=1" in out
    code, out, _ = run(capsys, "status", "--json")
    status = json.loads(out)
    ((run_row,), unfinished) = status["runs"], status["unfinished"]
    assert run_row["channel"] == "console" and run_row["outcome"] == "sent" and unfinished == []
    code, out, _ = run(capsys, "deliver", "--now")  # once more: no "no new papers" note after today's digest
    assert code == 0 and "sent=0" in out and "nothing new" in out
    code, out, _ = run(capsys, "alerts", "--dry-run", "--json")
    assert [(r["channel"], r["detail"]) for r in json.loads(out)] == [("user:me", "1 papers")]
    code, out, _ = run(capsys, "alerts")
    assert "matched: 세그멘테이션" in out and "alerts for 2024-06-28: 1 subscriber(s)" in out
    code, out, _ = run(capsys, "alerts")
    assert "0 subscriber(s)" in out  # once ever
