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


#: the layers, lowest first: a module imports from its own layer or lower ones, never higher
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("domain", ("bot.models", "bot.payload", "bot.store", "bot.text", "bot.matching", "bot.errors",
                "bot.identity_cache")),
    ("storage", ("storage",)),
    ("core", ("bot",)),  # commands, delivery, scheduling, alerts, layout, sources … (the rest of bot/)
    ("composition", ("bot.app", "bot.service")),  # the app factory: builds the concrete store
    ("adapters", ("adapters",)),
    ("launcher", ("bot.cli",)),  # the command line (bot/cli/): opens stores, picks adapters
)


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    """The most specific layer a module belongs to (``bot.store`` is domain, ``bot.commands`` core)."""
    best, length = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > length:
                best, length = index, len(prefix)
    return best


def project_imports() -> dict[str, set[str]]:
    modules = {module_name(p): p for pkg in ("bot", "storage", "adapters") for p in (ROOT / pkg).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from bot import matching` imports the module bot.matching, not the package bot
                found = [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for imported in found:
                while imported not in modules and "." in imported:
                    imported = imported.rsplit(".", 1)[0]
                if imported in modules and imported != name:
                    targets.add(imported)
        graph[name] = targets
    return graph


def test_imports_point_down_the_layers():
    """Storage implements the domain's protocols and imports nothing above them; the core never builds a
    concrete store (only the app factory and the launcher do); nothing below the adapters imports one."""
    upward = sorted(f"{m} ({LAYERS[layer_of(m)][0]}) imports {t} ({LAYERS[layer_of(t)][0]})"
                    for m, targets in project_imports().items() for t in targets if layer_of(t) > layer_of(m))
    assert upward == []


def test_the_layer_rule_catches_an_upward_import():
    assert layer_of("storage.sqlite.papers") > layer_of("bot.store")
    assert layer_of("bot.commands") > layer_of("storage.sqlite")  # so storage → bot.commands is upward
    assert layer_of("bot.cli") > layer_of("adapters.discord.app") > layer_of("bot.app") > layer_of("bot.delivery")


#: a module of the core or of storage holds one job; one this long holds several and is due to be split
MAX_LINES = 350


def test_no_module_of_the_core_or_storage_is_too_long():
    too_long = {
        str(path.relative_to(ROOT)): lines
        for package in ("bot", "storage")
        for path in (ROOT / package).rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}
