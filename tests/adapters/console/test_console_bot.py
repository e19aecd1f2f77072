"""The console bot driven as a user would: a subprocess fed through stdin."""

from __future__ import annotations

import os
import subprocess
import sys

from adapters.console.render import render
from bot.layout import digest_messages


def run_console(tmp_path, script: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PAPERBOT_DB": str(tmp_path / "console.db"), "COLUMNS": "120"}
    for key in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        env.pop(key, None)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"], input=script, capture_output=True, text=True,
        env=env, cwd=tmp_path, timeout=60,
    )


def test_console_bot_answers_commands_over_the_seed_and_exits_0(tmp_path):
    script = "\n".join([
        "/papers today",
        "/papers search 추론",
        "/papers author Juanzi Li",
        "/papers show 2406.18629",
        '/papers subscribe author:"Yu Wang"',
        "/papers subscriptions",
        "/papers search ^",
        "/papers nonsense",
        "/papers help",
    ]) + "\n"
    result = run_console(tmp_path, script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Traceback" not in out + result.stderr
    assert out.count("📰 Daily Papers — Fri, Jun 28, 2024") == 2  # the daily post, then `today`
    assert "▲14" in out and "▲-" in out
    assert "🔎 “추론”: 2 papers" in out
    assert "🔎 author “Juanzi Li”: 3 papers" in out
    assert "Performance Highlights" in out and "MATH에서 70.8%" in out
    assert 'Following author:"Yu Wang"' in out
    assert "Nothing to search for in '^'" in out
    assert "Unknown command `nonsense`" in out
    assert "/papers subscribe <topic>" in out
    # state persisted: a second run remembers the subscription and does not re-seed
    again = run_console(tmp_path, "/papers subscriptions\n")
    assert 'author:"Yu Wang"' in again.stdout


def test_console_render_keeps_every_paper(seed_digest):
    from bot.store import StoredDigest, StoredPaper

    stored = StoredDigest(seed_digest.date, tuple(StoredPaper(p, (seed_digest.date,)) for p in seed_digest.papers))
    payloads = render(digest_messages(stored))
    assert len(payloads) == 10 and payloads[0].thread_of is None
    assert all(p.thread_of == 0 for p in payloads[1:])
    text = "\n".join(p.body["text"] for p in payloads)
    for paper in seed_digest.papers:
        assert paper.url in text
