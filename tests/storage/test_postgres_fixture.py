"""Without a PostgreSQL server the PostgreSQL store tests are skipped, saying why — unless
PAPERBOT_REQUIRE_POSTGRES=1 (CI), where they fail instead of passing by skipping."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NO_SERVER = "postgresql://postgres@127.0.0.1:9/test"  # port 9 (discard): nothing listens


def run_one(require: bool) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PAPERBOT_TEST_POSTGRES_URL": NO_SERVER}
    env.pop("PAPERBOT_REQUIRE_POSTGRES", None)
    if require:
        env["PAPERBOT_REQUIRE_POSTGRES"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs",
         "tests/storage/test_store_contract.py::test_channel_language_is_set_and_changed"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_without_a_server_postgres_tests_skip_with_the_reason_or_fail_when_required():
    skipped = run_one(require=False)
    assert skipped.returncode == 0, skipped.stdout
    assert "1 passed, 1 skipped" in skipped.stdout
    assert "PostgreSQL unavailable at postgresql://postgres@127.0.0.1:9/test" in skipped.stdout
    required = run_one(require=True)
    assert required.returncode == 1, required.stdout
    assert "PAPERBOT_REQUIRE_POSTGRES=1 requires it" in required.stdout
    assert "1 passed, 1 error" in required.stdout
