"""What the command groups share: consoles, argument types, the handler registry, opening stores, transports."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import json
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

from rich.console import Console

from bot.config import Settings, default_db_path
from bot.errors import EXIT_FAILED, EXIT_USAGE, PlatformError, UserError
from storage.open import is_postgres
from storage.open import open_store as open_store_at
from storage.sqlite import SQLiteStore

EXIT_OK, EXIT_REJECTED = 0, EXIT_FAILED

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class UsageError(UserError):
    """A bad argument: reported in one line, exit status 2."""


class RelativeDay(str):
    """``today`` or ``yesterday`` on the command line: a date once the time zone is known (see _main)."""

    def resolve(self, timezone: str) -> dt.date:
        from zoneinfo import ZoneInfo

        today = dt.datetime.now(ZoneInfo(timezone)).date()
        return today - dt.timedelta(days=1) if self == "yesterday" else today


def iso_date(text: str) -> dt.date | RelativeDay:
    if text.strip().lower() in ("today", "yesterday"):  # as `/papers today yesterday` takes them
        return RelativeDay(text.strip().lower())
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (expected YYYY-MM-DD, today or yesterday)") from None


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


class Parser(argparse.ArgumentParser):
    """argparse, with its usage errors in one line (exit 2)."""

    def error(self, message: str) -> Any:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


#: platform → module with ``render(messages)``, ``async run(bot)`` and (not console) ``async post(bot, channel, date)``;
#: imported by name so that the core never imports a platform SDK
ADAPTERS = {"console": "adapters.console", "discord": "adapters.discord", "slack": "adapters.slack"}


def adapter_module(platform: str, part: str) -> Any:
    return importlib.import_module(f"{ADAPTERS[platform]}.{part}")


def pick_adapter(settings: Settings) -> str:
    if settings.discord_token_value():
        return "discord"
    if settings.slack_bot_token and (settings.slack_app_token or settings.slack_signing_secret):
        return "slack"
    return "console"


Handler = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]
HANDLERS: dict[str, Handler] = {}


def command(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return register


def db_path(args: argparse.Namespace, settings: Settings) -> Path:
    """The database file to open: ``--db``, else ``PAPERBOT_DB``, else the user data dir.

    Only the default data dir is created when missing: a ``--db`` or ``PAPERBOT_DB`` in a
    folder that does not exist is a typo, not a request for a new empty database.
    """
    given = args.db
    path = (given or settings.db).expanduser()
    if is_postgres(path):  # a postgresql:// URL: nothing to check on disk
        return path
    name = "--db" if given else "PAPERBOT_DB"
    if str(path) == ":memory:":
        return path
    if path.is_dir():
        raise UsageError(f"{name} {path}: is a directory, not a database file")
    if not path.parent.is_dir() and path != default_db_path():
        raise UsageError(f"{name} {path}: folder {path.parent} does not exist (create it first)")
    return path


async def open_store(args: argparse.Namespace, settings: Settings) -> SQLiteStore:
    return await open_store_at(db_path(args, settings))  # type: ignore[return-value]  # or PostgresStore



def esc(text: str) -> str:
    from rich.markup import escape

    return escape(text)


@contextlib.asynccontextmanager
async def transports(settings: Settings, only: set[str] | None = None
                     ) -> AsyncIterator[tuple[dict[str, Any], list[str]]]:
    """A transport for every platform this process can reach (the console always; Discord and
    Slack when their tokens are configured; REST / Web API only), and one line per platform
    that could not be opened: a platform that is down never stops the others."""
    found: dict[str, Any] = {}
    if only is None or "console" in only:
        found["console"] = adapter_module("console", "transport").ConsoleTransport()
    problems: list[str] = []
    async with contextlib.AsyncExitStack() as stack:
        for platform in ("discord", "slack"):
            if only is not None and platform not in only:
                continue
            try:
                module = adapter_module(platform, "transport")
            except ModuleNotFoundError:
                continue
            try:
                transport = await stack.enter_async_context(module.open_transport(settings))
            except PlatformError as exc:
                problems.append(f"{platform}: {exc}")
                err.print(f"paperbot: {platform} skipped: {exc}", markup=False)
                continue
            if transport is not None:
                found[platform] = transport
        yield found, problems


def results_json(results: list[Any]) -> str:
    return json.dumps([{"platform": r.platform, "channel": r.target, "post": r.post_key, "outcome": r.outcome,
                        "sent": r.sent, "detail": r.detail} for r in results], ensure_ascii=False, indent=2)


def version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("paperbot")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"
