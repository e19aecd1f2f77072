"""Settings checked at start, and CLI errors: one line on stderr, exit 1 (failure) or 2 (usage, configuration)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from bot.cli import main
from bot.errors import storage_reason
from tests.conftest import SEED


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "cli.db"
    monkeypatch.setenv("PAPERBOT_DB", str(path))
    monkeypatch.chdir(tmp_path)  # no stray .env
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's own exits
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(("variable", "value", "says"), [
    ("PAPERBOT_TIMEZONE", "Asia/Seul", "unknown time zone 'Asia/Seul'"),
    ("PAPERBOT_FETCH_TIMEZONE", "Mars/Base", "unknown time zone 'Mars/Base'"),
    ("PAPERBOT_FETCH_TIME", "25:00", "not a time of day: '25:00' (expected HH:MM"),
    ("PAPERBOT_PORT", "99999", "not a TCP port: 99999"),
    ("PAPERBOT_HEALTH_PORT", "-1", "not a TCP port: -1"),
    ("PAPERBOT_PORT", "http", "valid integer"),
    ("DISCORD_GUILD_ID", "my-server", "not a Discord server id: 'my-server'"),
    ("PAPERBOT_ADMINS", "U1, two words", "not a user id: 'two words'"),
    ("PAPERBOT_HF_API", "huggingface.co/api", "not a URL: 'huggingface.co/api'"),
    ("SLACK_API_URL", "ftp://slack.com/api/", "not a URL"),
    ("DISCORD_GATEWAY_URL", "gateway", "not a URL"),
    ("DISCORD_TOKEN_FILE", "/run/secrets/missing-token", "no such file: '/run/secrets/missing-token'"),
    ("PAPERBOT_LOG_LEVEL", "LOUD", "unknown log level 'LOUD'"),
    ("PAPERBOT_LOG_FORMAT", "xml", "unknown log format 'xml'"),
    ("PAPERBOT_FETCH_CATCHUP_DAYS", "400", "must be 0 to 60 days"),
])
def test_a_bad_setting_stops_every_command_with_one_line_naming_it(db, capsys, monkeypatch, variable, value, says):
    monkeypatch.setenv(variable, value)
    code, out, err = run(capsys, "digest")
    assert code == 2 and out == ""
    assert err.count("\n") == 1, err
    assert err.startswith(f"paperbot: bad configuration: {variable}: ")
    assert says in err
    assert not db.exists()  # nothing was touched


def test_a_db_that_is_a_directory_is_said_so(db, capsys, monkeypatch, tmp_path):
    code, _, err = run(capsys, "--db", str(tmp_path), "digest")
    assert (code, err) == (2, f"paperbot digest: --db {tmp_path}: is a directory, not a database file\n")
    monkeypatch.setenv("PAPERBOT_DB", str(tmp_path))
    code, _, err = run(capsys, "digest")
    assert code == 2 and err == f"paperbot: bad configuration: PAPERBOT_DB: '{tmp_path}' is a directory, " \
                                  "not a database file\n"


def test_a_db_in_a_missing_folder_is_refused_not_created(db, capsys, tmp_path):
    target = tmp_path / "typo" / "paperbot.db"
    code, _, err = run(capsys, "search", "x", "--db", str(target))
    assert code == 2
    assert err == f"paperbot search: --db {target}: folder {target.parent} does not exist (create it first)\n"
    assert not target.parent.exists()


def test_a_file_that_is_not_a_database_is_said_so(db, capsys, tmp_path):
    bogus = tmp_path / "notes.db"
    bogus.write_text("shopping list\n" * 100, encoding="utf-8")
    code, _, err = run(capsys, "digest", "--db", str(bogus))
    assert (code, err) == (1, f"paperbot digest: {bogus}: is not a SQLite database\n")
    assert bogus.read_text(encoding="utf-8").startswith("shopping list")  # left alone


def test_storage_failures_are_named_through_the_rollback_that_hides_them():
    """A COMMIT failing on a full disk surfaces as the ROLLBACK's "no transaction is active" error."""
    try:
        try:
            raise sqlite3.OperationalError("database or disk is full")
        except sqlite3.Error:
            raise sqlite3.OperationalError("cannot rollback - no transaction is active") from None
    except sqlite3.Error as exc:
        hidden = exc
    assert storage_reason(hidden) == "the disk is full"
    assert storage_reason(sqlite3.OperationalError("attempt to write a readonly database")).startswith(
        "the database is read-only")
    assert storage_reason(OSError(30, "Read-only file system")) == "the file system is read-only"
    assert storage_reason(ValueError("nope")) is None


def test_global_options_work_before_or_after_the_subcommand(db, capsys, tmp_path):
    other = tmp_path / "other.db"
    assert run(capsys, "ingest", str(SEED), "--db", str(other))[0] == 0
    assert not db.exists()  # went to --db, not PAPERBOT_DB
    code, out, _ = run(capsys, "digest", "--json", "--db", str(other))
    assert code == 0 and json.loads(out)["date"] == "2024-06-28"
    code, out, _ = run(capsys, "--db", str(other), "digest", "--json")
    assert code == 0 and json.loads(out)["date"] == "2024-06-28"


def test_user_text_is_printed_as_written_never_as_markup(db, capsys):
    run(capsys, "ingest", str(SEED))
    code, out, err = run(capsys, "search", "[/]")
    assert (code, out, err) == (0, "No papers found for '[/]'.\n", "")
    code, out, _ = run(capsys, "author", "[bold]Nobody[/bold]")
    assert code == 0 and out == "No papers found for author '[bold]Nobody[/bold]'.\n"


def test_version_and_usage_errors_are_one_line(db, capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("paperbot ") and out.count("\n") == 1
    code, _, err = run(capsys, "search", "x", "--bogus")
    assert code == 2 and err == "paperbot: unrecognized arguments: --bogus (see paperbot --help)\n"
    code, _, err = run(capsys, "search")
    assert code == 2 and err.count("\n") == 1 and "required: query" in err


def test_schedules_can_be_set_and_turned_off_from_the_command_line(db, capsys):
    code, out, _ = run(capsys, "schedule", "set", "--platform", "discord", "--channel", "123", "09:00", "mon-fri")
    assert (code, out) == (0, "Daily post set: 09:00 Asia/Seoul, mon-fri.\n")
    code, _, err = run(capsys, "schedule", "set", "10:00", "Asia/Seul", "--platform", "discord", "--channel", "123")
    assert code == 2 and "'Asia/Seul' is not a time zone" in err
    code, out, _ = run(capsys, "schedule", "off", "--platform", "discord", "--channel", "123")
    assert code == 0 and "turned off" in out
    code, out, _ = run(capsys, "schedule", "list", "--json")
    (row,) = json.loads(out)
    assert (row["platform"], row["channel"], row["schedule"]) == ("discord", "123", "09:00 Asia/Seoul, mon-fri, off")
    code, _, err = run(capsys, "schedule", "set", "09:00")
    assert code == 2 and err == "paperbot schedule: schedule set needs --platform and --channel\n"


def test_a_bad_stored_zone_is_listed_and_can_be_fixed_or_removed_from_the_command_line(db, capsys):
    for channel in ("C1", "C2"):
        assert run(capsys, "schedule", "set", "--platform", "slack", "--channel", channel, "09:00")[0] == 0
    with sqlite3.connect(db) as conn:  # as an older version or a hand edit left it
        conn.execute("UPDATE schedules SET timezone = 'Asia/Seul'")
    code, out, err = run(capsys, "schedule", "list")
    assert code == 0 and err == ""
    assert "slack:C1  09:00 Asia/Seul, daily  next: -  BAD: unknown time zone 'Asia/Seul'; skipped" in out
    code, out, _ = run(capsys, "schedule", "set", "--platform", "slack", "--channel", "C1", "09:00", "Asia/Seoul")
    assert code == 0
    code, out, _ = run(capsys, "schedule", "remove", "--platform", "slack", "--channel", "C2")
    assert (code, out) == (0, "Schedule removed: slack:C2.\n")
    code, _, err = run(capsys, "schedule", "remove", "--platform", "slack", "--channel", "C2")
    assert (code, err) == (1, "paperbot schedule: no schedule for slack:C2\n")
    code, out, _ = run(capsys, "schedule", "list", "--json")
    assert [(r["channel"], r["problem"], r["next"] is not None) for r in json.loads(out)] == [("C1", None, True)]


def test_env_example_lists_every_setting():
    from bot.config import Settings
    from bot.digest_markdown import MAX_DIGEST_BYTES_ENV
    from tests.conftest import ROOT

    listed = set()
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        name = line.lstrip("# ").split("=", 1)[0]
        if "=" in line and name.isupper() and " " not in name:
            listed.add(name)
    aliases = {f.validation_alias if isinstance(f.validation_alias, str) else f.validation_alias.choices[0]
               for f in Settings.model_fields.values()}
    assert listed == aliases | {MAX_DIGEST_BYTES_ENV}


def test_digest_takes_today_and_yesterday_like_the_chat_command(db, capsys, monkeypatch, tmp_path):
    import datetime as dt
    from zoneinfo import ZoneInfo

    monkeypatch.setenv("PAPERBOT_TIMEZONE", "Pacific/Kiritimati")  # UTC+14: "today" is not UTC's
    yesterday = dt.datetime.now(ZoneInfo("Pacific/Kiritimati")).date() - dt.timedelta(days=1)
    digest = tmp_path / f"daily-papers-{yesterday.isoformat()}.md"
    digest.write_text(SEED.read_text(encoding="utf-8").replace("2024-06-28", yesterday.isoformat()), encoding="utf-8")
    assert run(capsys, "ingest", str(digest))[0] == 0
    code, out, _ = run(capsys, "digest", "--date", "yesterday", "--json")
    assert code == 0 and json.loads(out)["date"] == yesterday.isoformat()
    code, _, err = run(capsys, "digest", "--date", "Today")
    assert code == 1 and f"No digest stored for {yesterday + dt.timedelta(days=1)}" in err
