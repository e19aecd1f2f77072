"""The ``paperbot`` command line: one module per command group, each adding its subcommands with
their options beside their handlers (``register(subparsers)`` + ``@command``)."""
# ruff: noqa: E402 - the installation check runs before the command groups import storage/ and adapters/

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

from bot.cli.install import check_packages

check_packages()  # a package shadowed by another distribution is one line, not an ImportError

from bot.cli import db, delivery, library, running
from bot.cli.common import (
    EXIT_OK,
    HANDLERS,
    Parser,
    RelativeDay,
    adapter_module,
    db_path,
    err,
    version,
)
from bot.config import ConfigError, load_settings
from bot.errors import EXIT_FAILED, EXIT_USAGE, PaperbotError, storage_reason
from bot.runtime import tune_gc
from bot.store import QueryError, StoreError

__all__ = ["build_parser", "main"]

GROUPS = (library, delivery, running, db)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="paperbot", description="Daily AI-paper digests for team chats.")
    parser.add_argument("--db", type=Path, help="SQLite database file (default: $PAPERBOT_DB or the user data dir)")
    parser.add_argument("--version", action="version", version=f"paperbot {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in GROUPS:
        group.register(sub)
    for platform in ("discord",):  # platform-specific subcommands (`paperbot discord invite-url`)
        module = adapter_module(platform, "cli")
        module.register(sub)
        HANDLERS[platform] = module.handle
    _global_options_after(sub)
    return parser


def _global_options_after(sub: Any) -> None:
    """``--db`` after the subcommand too (``paperbot search x --db f.db``); the value given last wins."""
    for subparser in sub.choices.values():
        if "--db" not in subparser._option_string_actions:
            subparser.add_argument("--db", type=Path, default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command == "schedule" and not any(e.startswith("-") for e in extra):
        args.spec += extra  # `schedule set --channel 1 09:00 mon-fri`: the spec after the options
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return _main(args)
    except BrokenPipeError:
        _quiet_closed_stdout()
        return EXIT_OK


def _main(args: argparse.Namespace) -> int:
    """Run one command; every failure is one line on stderr and exit 1 (failure) or 2 (usage, configuration)."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        return fail("paperbot: bad configuration", exc, EXIT_USAGE)
    if getattr(args, "db", None):  # --db is the database for everything the command opens (the transports too)
        settings = settings.model_copy(update={"db": args.db})
    tune_gc()
    from bot.logs import configure

    configure(settings, default_level="INFO" if args.command == "run" else "CRITICAL")
    if isinstance(getattr(args, "date", None), RelativeDay):  # today in PAPERBOT_TIMEZONE
        args.date = args.date.resolve(settings.timezone)
    handler = HANDLERS[args.command]
    prefix = f"paperbot {args.command}"
    try:
        return asyncio.run(handler(args, settings))
    except (PaperbotError, QueryError, StoreError) as exc:
        reason = storage_reason(exc)
        if reason is not None:
            return fail(prefix, f"{db_path(args, settings)}: {reason}", EXIT_FAILED)
        code = getattr(exc, "exit_code", EXIT_USAGE if isinstance(exc, QueryError) else EXIT_FAILED)
        return fail(prefix, exc, code)
    except (OSError, sqlite3.Error) as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        reason = storage_reason(exc)
        if reason is None:
            return fail(prefix, f"{type(exc).__name__}: {exc}", EXIT_FAILED)
        where = exc.filename if isinstance(exc, OSError) and exc.filename else db_path(args, settings)
        return fail(prefix, f"{where}: {reason}", EXIT_FAILED)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: still one line; the traceback only in a debug log
        logging.getLogger("paperbot").debug("%s crashed", prefix, exc_info=True)
        return fail(prefix, f"unexpected error: {type(exc).__name__}: {exc}", EXIT_FAILED)


def fail(prefix: str, message: object, code: int) -> int:
    """One line on stderr, printed as it is (user text is never read as markup); the exit status."""
    err.print(f"{prefix}: {message}", markup=False, highlight=False, soft_wrap=True)
    return code


def _quiet_closed_stdout() -> None:
    """The reader went away (``paperbot search x | head``): stop quietly, and let exit's flush go nowhere."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
