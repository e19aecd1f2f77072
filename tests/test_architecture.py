"""The core never imports a platform SDK or an adapter; data flows one way."""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
FORBIDDEN = ("discord", "slack_sdk", "slack_bolt", "adapters")


def imported_modules(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", ["bot", "storage"])
def test_core_and_storage_import_no_platform(package):
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path) if m.split(".")[0] in FORBIDDEN)
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_storage_does_not_depend_on_the_core_beyond_the_domain():
    allowed = {"bot.models", "bot.payload", "bot.store", "bot.text", "bot.matching"}
    used = {m for path in (ROOT / "storage").rglob("*.py") for m in imported_modules(path) if m.startswith("bot.")}
    assert used <= allowed
