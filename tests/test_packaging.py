"""The installed distribution, as the Dockerfile builds it: what the wheel holds, and that it runs.

The wheel is built from exactly the paths the Dockerfile's build stage copies (so a folder the
image forgets fails here), installed into a folder of its own and run from there: the quick
start's search answers from the bundled seed, migrations and the Korean catalog included.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOP_LEVEL = {"adapters", "bot", "seeds", "storage"}  # README "Development" → "Packaging" says why


def _build_stage_copies() -> list[str]:
    """The sources the Dockerfile's first stage copies (``COPY a b ./`` and ``COPY bot ./bot``)."""
    stage = re.split(r"^FROM ", (ROOT / "Dockerfile").read_text(encoding="utf-8"), flags=re.M)[1]
    paths: list[str] = []
    for line in stage.splitlines():
        match = re.match(r"COPY\s+(?!--)(.+)\s+\S+$", line.strip())
        if match:
            paths.extend(match.group(1).split())
    assert "bot" in paths, "the Dockerfile's build stage copies no sources"
    return paths


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in _build_stage_copies():
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, src / name)
    out = tmp_path_factory.mktemp("wheels")
    # no build isolation: the test extras pin a setuptools that builds wheels, so nothing is downloaded
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(src)],
        check=True, capture_output=True, timeout=300,
    )
    (built,) = out.glob("paperbot-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True, capture_output=True, timeout=300,
    )
    return target


def _run(site: Path, args: list[str], tmp_path: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    """``paperbot ARGS`` with the installed wheel first on the path (before the editable checkout)."""
    environment = {**os.environ, "PYTHONPATH": str(site), "PAPERBOT_DB": str(tmp_path / "paperbot.db"), **env}
    environment.pop("PAPERBOT_SOURCES", None)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True, text=True, timeout=120,
        env=environment, cwd=tmp_path,
    )


def test_the_wheel_installs_only_paperbots_four_packages_with_their_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == TOP_LEVEL  # no README, LICENSE or tests at the top of site-packages
    for migrations in ("storage/migrations", "storage/postgres/migrations"):
        shipped = {n.rsplit("/", 1)[1] for n in names if n.startswith(migrations + "/") and n.endswith(".sql")}
        assert shipped == {p.name for p in (ROOT / migrations).glob("*.sql")}
    assert "bot/locale/ko/LC_MESSAGES/paperbot.mo" in names
    assert {p.name for p in (ROOT / "seeds").iterdir() if p.suffix == ".md"} <= {
        n.rsplit("/", 1)[1] for n in names if n.startswith("seeds/")
    }
    assert "adapters/slack/manifest.yml" in names


def test_the_installed_wheel_runs_the_quick_start_in_korean(installed: Path, tmp_path: Path) -> None:
    result = _run(installed, ["run"], tmp_path, stdin="/papers search 추론\n/papers 도움말\n", PAPERBOT_LANGUAGE="ko")
    assert result.returncode == 0, result.stderr
    assert "Step-DPO" in result.stdout  # the bundled seed, found by a Korean word
    assert "데일리 페이퍼 — 2024년 6월 28일 (금)" in result.stdout  # the Korean catalog (.mo) shipped and used
    where = _run(installed, ["--version"], tmp_path)
    assert where.stdout.startswith("paperbot ")
    probe = subprocess.run(
        [sys.executable, "-c", "import bot, storage; print(bot.__file__); print(storage.__file__)"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(installed)}, check=True, cwd=tmp_path,
    )
    assert all(line.startswith(str(installed)) for line in probe.stdout.split())  # it ran the wheel, not the checkout


def test_a_package_shadowed_by_another_distribution_is_one_line(tmp_path: Path) -> None:
    shadow = tmp_path / "other-site" / "storage"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('"""Somebody else\'s storage package."""\n', encoding="utf-8")
    result = _run(tmp_path / "other-site", ["search", "추론"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "shadows paperbot's top-level package storage" in result.stderr
    assert "own virtualenv" in result.stderr
