"""The ``paperbot`` command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import importlib
import json
import logging
import os
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress

from bot import arxiv, cli_db
from bot.config import ConfigError, Settings, default_db_path, load_settings
from bot.digest_markdown import parse_file, summarize
from bot.errors import EXIT_FAILED, EXIT_USAGE, PaperbotError, PlatformError, UserError, storage_reason
from bot.i18n import Lang
from bot.serialize import digest_json, hit_json, paper_json
from bot.store import QueryError, SearchPage, StoreError
from storage.open import is_postgres
from storage.open import open_store as open_store_at
from storage.sqlite import SQLiteStore

EXIT_OK, EXIT_REJECTED = 0, EXIT_FAILED
DIGEST_SUFFIXES = (".md", ".markdown", ".txt")

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


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="paperbot", description="Daily AI-paper digests for team chats.")
    parser.add_argument("--db", type=Path, help="SQLite database file (default: $PAPERBOT_DB or the user data dir)")
    parser.add_argument("--version", action="version", version=f"paperbot {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("ingest", help="store digest files (Markdown) from files or folders")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument("--json", action="store_true", help="print a JSON report")
    p.add_argument("--verbose", "-v", action="store_true", help="every problem at its file:line (default: a summary)")

    p = sub.add_parser("search", help="search papers by keyword (Korean or English)")
    p.add_argument("query", nargs="+")
    p.add_argument("--limit", type=positive, default=10)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("author", help="find papers by author name")
    p.add_argument("name", nargs="+")
    p.add_argument("--limit", type=positive, default=10)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("show", help="show one paper by arXiv id")
    p.add_argument("arxiv_id")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("digest", help="show a stored digest (the latest by default)")
    p.add_argument("--date", type=iso_date)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("run", help="run the bot (console when no platform token is configured)")
    p.add_argument("--adapter", choices=sorted(ADAPTERS), help="platform (default: from configured tokens)")

    p = sub.add_parser("preview", help="print the payloads a digest post would send")
    p.add_argument("--platform", choices=sorted(ADAPTERS), default="console")
    p.add_argument("--date", type=iso_date)
    p.add_argument("--top", type=positive, help="only the first N papers")
    p.add_argument("--min-votes", type=int, help="only papers with at least N votes")
    p.add_argument("--json", action="store_true", help="a JSON list of payload objects")

    p = sub.add_parser("post", help="post a digest to a channel now, through the delivery ledger (once per "
                                     "digest and channel; --again for once more)")
    p.add_argument("--adapter", choices=["discord", "slack"], required=True)
    p.add_argument("--channel", required=True, help="channel id")
    p.add_argument("--date", type=iso_date)
    p.add_argument("--again", action="store_true", help="post it once more even if it was posted before")

    p = sub.add_parser("fetch", help="fetch a day's papers from the configured sources (or --source) and store them")
    p.add_argument("--date", type=iso_date, help="day to fetch (default: the latest available)")
    p.add_argument("--source", action="append", metavar="hf|PATH|URL",
                   help="where from (repeatable; default: $PAPERBOT_SOURCES)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("schedule", help="channel schedules: list them, or set / turn off / on a channel's")
    p.add_argument("action", choices=["list", "set", "off", "on", "remove"])
    p.add_argument("spec", nargs="*", help="for set: e.g. 09:00 Asia/Seoul mon-fri top=5")
    p.add_argument("--platform", choices=sorted(ADAPTERS), help="for set/off/on/remove: the channel's platform")
    p.add_argument("--channel", help="for set/off/on/remove: the channel id")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("deliver", help="post what is due to scheduled channels (catch-up included)")
    p.add_argument("--now", action="store_true", help="treat every selected channel as due right now")
    p.add_argument("--dry-run", action="store_true", help="say what would be posted; send nothing")
    p.add_argument("--channel", action="append", metavar="ID", help="only this channel (repeatable)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("alerts", help="send topic alerts for a digest's papers (once per subscriber and paper)")
    p.add_argument("--date", type=iso_date, help="digest date (default: the latest)")
    p.add_argument("--dry-run", action="store_true", help="show who would be alerted; send and record nothing")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("status", help="last delivery per channel, and unavailable channels")
    p.add_argument("--json", action="store_true")

    for register in _extra_commands:
        register(sub)
    for platform in ("discord",):  # platform-specific subcommands (`paperbot discord invite-url`)
        module = adapter_module(platform, "cli")
        module.register(sub)
        HANDLERS[platform] = module.handle
    _global_options_after(sub)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("paperbot")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def _global_options_after(sub: Any) -> None:
    """``--db`` after the subcommand too (``paperbot search x --db f.db``); the value given last wins."""
    for subparser in sub.choices.values():
        if "--db" not in subparser._option_string_actions:
            subparser.add_argument("--db", type=Path, default=argparse.SUPPRESS, help=argparse.SUPPRESS)


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


#: other modules add subcommands here: ``register(subparsers)``; handlers go in HANDLERS
_extra_commands: list[Callable[[Any], None]] = []
_extra_commands.append(cli_db.register)  # `paperbot db copy`
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


# -- ingest -------------------------------------------------------------------------
def digest_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in DIGEST_SUFFIXES))
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(f"no such file or folder: {path}")
    return files


@command("ingest")
async def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    files = digest_files(args.paths)
    if not files:
        raise UsageError("no digest files (*.md, *.txt) found in " + ", ".join(map(str, args.paths)))
    store = await open_store(args, settings)
    try:
        async with contextlib.AsyncExitStack() as stack:
            if len(files) > 1:  # a backfill: merge the search indexes once, at the end
                await stack.enter_async_context(store.bulk())
            report = await _ingest_files(files, store, quiet=args.json, verbose=args.verbose)
    finally:
        await store.close()
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    return EXIT_REJECTED if any(entry["rejected"] for entry in report) else EXIT_OK


async def _ingest_files(files: list[Path], store: SQLiteStore, *, quiet: bool,
                        verbose: bool = False) -> list[dict[str, Any]]:
    """Parse and store each file; a report entry per file (problems as ``path:line: …``). Errors are
    printed in full; warnings as a count per cause with the first example (all with ``--verbose``)."""
    report: list[dict[str, Any]] = []
    with Progress(console=err, transient=True, disable=len(files) < 5 or not err.is_terminal) as progress:
        task = progress.add_task("ingesting", total=len(files))
        for path in files:
            result = parse_file(path)
            errors = [str(p) for p in result.problems]
            entry: dict[str, Any] = {"path": str(path), "problems": errors, "rejected": bool(result.errors)}
            if result.digest is not None:
                outcome = await store.ingest(result.digest, source=str(path))
                entry |= {
                    "date": outcome.date.isoformat(),
                    "papers": len(result.digest.papers),
                    "added": len(outcome.added),
                    "updated": len(outcome.updated) + len(outcome.linked),
                    "unchanged": outcome.unchanged,
                }
            report.append(entry)
            if not quiet:
                if "date" in entry:
                    out.print(f"{path}: {entry['date']}: {entry['papers']} papers, {entry['added']} added, "
                              f"{entry['updated']} updated, {entry['unchanged']} unchanged")
                else:
                    out.print(f"{path}: nothing stored")
                warnings = [p for p in result.problems if p.severity == "warning"]
                for problem in result.errors if not verbose else ():  # a rejected entry: always in full
                    out.print(str(problem), style="red", markup=False)
                for line in errors if verbose else ["  " + line for line in summarize(warnings)]:
                    out.print(line, style="red" if ": error: " in line else "yellow", markup=False)
            progress.advance(task)
    return report


# -- read commands ------------------------------------------------------------------
def _print_page(page: SearchPage, what: str) -> None:
    if not page.hits:
        out.print(f"No papers found for {what}.")
        return
    for number, hit in enumerate(page.hits, start=1 + page.offset):
        paper = hit.paper.paper
        votes = "-" if paper.votes is None else paper.votes
        dates = ", ".join(d.isoformat() for d in hit.paper.dates)
        out.print(f"[bold]{number}. {_esc(paper.title)}[/bold]  ▲{votes}  {dates}")
        out.print(f"   {paper.url}")
        if hit.matched_authors:
            out.print("   by " + _esc(", ".join(hit.matched_authors)))
        elif paper.authors:
            out.print("   " + _esc(", ".join(paper.authors[:6])) + (" …" if len(paper.authors) > 6 else ""))
        if hit.snippet:
            text = "".join(f"[reverse]{_esc(t)}[/reverse]" if m else _esc(t) for t, m in hit.snippet)
            out.print("   " + text)
    if page.more:
        out.print(f"… and {page.more_text} more (use --limit).")


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(text)


async def _lookup(args: argparse.Namespace, settings: Settings, by_author: bool) -> int:
    text = " ".join(args.name if by_author else args.query)
    store = await open_store(args, settings)
    try:
        lookup = store.search_authors if by_author else store.search
        page = await lookup(text, limit=args.limit)
    finally:
        await store.close()
    if args.json:
        print(json.dumps([hit_json(h) for h in page.hits], ensure_ascii=False, indent=2))
    else:
        _print_page(page, _esc(f"author {text!r}" if by_author else repr(text)))
    return EXIT_OK


@command("search")
async def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    return await _lookup(args, settings, by_author=False)


@command("author")
async def cmd_author(args: argparse.Namespace, settings: Settings) -> int:
    return await _lookup(args, settings, by_author=True)


@command("show")
async def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    arxiv_id = arxiv.normalize(args.arxiv_id)
    if arxiv_id is None:
        raise UsageError(f"not an arXiv id: {args.arxiv_id!r} (expected e.g. 2406.18629)")
    store = await open_store(args, settings)
    try:
        stored = await store.paper(arxiv_id)
    finally:
        await store.close()
    if stored is None:
        if args.json:
            print("null")
        err.print(f"No paper {arxiv_id} is stored.")
        return EXIT_REJECTED
    if args.json:
        print(json.dumps(paper_json(stored, sections=True), ensure_ascii=False, indent=2))
        return EXIT_OK
    paper = stored.paper
    out.print(f"[bold]{_esc(paper.title)}[/bold]")
    out.print(paper.url)
    out.print(f"Votes: {'-' if paper.votes is None else paper.votes}   Digests: "
              + ", ".join(d.isoformat() for d in stored.dates))
    if paper.authors:
        out.print("Authors: " + _esc(", ".join(paper.authors)))
    for label, url in paper.links:
        out.print(f"{_esc(label)}: {url}")
    for name, text in paper.sections:
        out.print(f"\n[bold]{_esc(name)}[/bold]\n{_esc(text)}")
    return EXIT_OK


@command("digest")
async def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    store = await open_store(args, settings)
    try:
        stored = await store.digest(args.date)
    finally:
        await store.close()
    if stored is None:
        if args.json:
            print("null")
        what = f"for {args.date.isoformat()}" if args.date else "yet"
        err.print(f"No digest stored {what}. Add one with `paperbot ingest FILE`.")
        return EXIT_REJECTED
    if args.json:
        print(json.dumps(digest_json(stored), ensure_ascii=False, indent=2))
        return EXIT_OK
    out.print(f"[bold]Daily Papers ({stored.date.isoformat()})[/bold] — {len(stored.papers)} papers")
    for number, sp in enumerate(stored.papers, start=1):
        paper = sp.paper
        votes = "-" if paper.votes is None else paper.votes
        out.print(f"{number}. ▲{votes}  {_esc(paper.title)}\n   {paper.url}")
    return EXIT_OK


@command("run")
async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import PaperBot
    from bot.service import serve

    platform = args.adapter or pick_adapter(settings)
    if platform == "console":  # an interactive terminal: log lines would only clutter the answers
        from bot.logs import configure

        configure(settings, default_level="WARNING")
    logging.getLogger("paperbot").info("paperbot %s: starting the %s adapter", _version(), platform)
    runner = adapter_module(platform, "app").run
    bot = await PaperBot.open(settings, db=db_path(args, settings))
    return await serve(bot, platform, runner)  # SIGTERM / SIGINT: a clean stop, exit 0; the bot is closed


@command("preview")
async def cmd_preview(args: argparse.Namespace, settings: Settings) -> int:
    from bot.layout import DigestOptions, digest_messages

    render = adapter_module(args.platform, "render").render
    store = await open_store(args, settings)
    try:
        stored = await store.digest(args.date)
    finally:
        await store.close()
    messages = digest_messages(stored, DigestOptions(top_n=args.top, min_votes=args.min_votes), date=args.date)
    payloads = render(messages)
    if args.json:
        print(json.dumps([p.preview() for p in payloads], ensure_ascii=False, indent=2))
        return EXIT_OK
    for index, payload in enumerate(payloads):
        where = "post" if payload.thread_of is None else f"thread reply to payload {payload.thread_of}"
        out.rule(f"payload {index} · {where}")
        if args.platform == "console":
            out.print(payload.body["text"], markup=False)
        else:
            print(json.dumps(payload.body, ensure_ascii=False, indent=2))
    return EXIT_OK


@command("post")
async def cmd_post(args: argparse.Namespace, settings: Settings) -> int:
    from bot import post_keys
    from bot.delivery import Deliverer, Outcome
    from bot.layout import DigestOptions, digest_messages

    channel = args.channel.strip()
    if args.adapter == "discord" and not channel.isdigit():
        raise UsageError(f"--channel must be a Discord channel id (digits), not {args.channel!r}")
    store = await open_store(args, settings)
    try:
        stored = await store.digest(args.date)
        if stored is None:
            err.print(f"paperbot post: no digest stored {'for ' + args.date.isoformat() if args.date else 'yet'}; "
                      "nothing posted", markup=False)
            return EXIT_REJECTED
        schedule = await store.schedule(args.adapter, channel)
        options = DigestOptions(top_n=schedule.top_n, min_votes=schedule.min_votes) if schedule else DigestOptions()
        key = post_keys.manual(stored.date, again=args.again)
        async with transports(settings, only={args.adapter}) as (found, problems):
            if args.adapter not in found:
                if problems:
                    return EXIT_REJECTED
                raise ConfigError(f"no {args.adapter} token configured: see the README's setup section")
            async with Deliverer(store, found, lease_seconds=settings.lease_seconds) as deliverer:
                result = await deliverer.deliver(args.adapter, channel, key, digest_messages(stored, options))
    finally:
        await store.close()
    day = stored.date.isoformat()
    if result.outcome == Outcome.SKIPPED:
        out.print(f"paperbot post: the {day} digest was already posted to {channel} (use --again to post it "
                  "once more)", markup=False)
        return EXIT_OK
    if result.outcome != Outcome.SENT:
        err.print(f"paperbot post: {args.adapter} channel {channel}: {result.outcome}: {result.detail}", markup=False)
        return EXIT_REJECTED
    rejected = f" ({result.rejected} rejected: {result.detail})" if result.rejected else ""
    out.print(f"paperbot post: posted the {day} digest to {channel}: {result.sent} messages{rejected}", markup=False)
    return EXIT_REJECTED if result.rejected else EXIT_OK


@command("fetch")
async def cmd_fetch(args: argparse.Namespace, settings: Settings) -> int:
    from bot.fetch import fetch_into
    from bot.http import aclose_shared
    from bot.sources.spec import source_from_spec, sources_from_setting

    try:
        if args.source:
            sources = [source_from_spec(spec, hf_api=settings.hf_api) for spec in args.source]
        else:
            sources = sources_from_setting(settings.sources, hf_api=settings.hf_api)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    failed = False
    report = []
    store = await open_store(args, settings)
    try:
        for source in sources:
            when = args.date.isoformat() if args.date else "latest"
            with err.status(f"fetching {when} from {source.name} …"):
                outcome = await fetch_into(store, source, args.date)
            failed = failed or not outcome.ok
            entry: dict[str, Any] = {"source": source.name, "status": outcome.status, "origin": outcome.origin,
                                     "problems": [str(p) for p in outcome.problems], "error": outcome.error}
            if outcome.report is not None:
                r = outcome.report
                entry |= {"date": r.date.isoformat(), "added": len(r.added),
                          "updated": len(r.updated) + len(r.linked), "unchanged": r.unchanged}
            report.append(entry)
            if args.json:
                continue
            if outcome.report is not None:
                out.print(f"{source.name}: {entry['date']}: {entry['added']} added, {entry['updated']} updated, "
                          f"{entry['unchanged']} unchanged")
            elif outcome.error:
                out.print(f"{source.name}: failed: {outcome.error}", style="red", markup=False)
            else:
                out.print(f"{source.name}: no digest ({outcome.status})", markup=False)
            for line in entry["problems"]:
                out.print(line, style="yellow", markup=False)
    finally:
        await store.close()
        await aclose_shared()
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    return EXIT_REJECTED if failed else EXIT_OK


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


def _results_json(results: list[Any]) -> str:
    return json.dumps([{"platform": r.platform, "channel": r.target, "post": r.post_key, "outcome": r.outcome,
                        "sent": r.sent, "detail": r.detail} for r in results], ensure_ascii=False, indent=2)


@command("schedule")
async def cmd_schedule(args: argparse.Namespace, settings: Settings) -> int:
    from bot.schedule_spec import format_schedule
    from bot.scheduling import BadSchedule, trigger

    if args.action != "list":
        return await _schedule_change(args, settings)
    store = await open_store(args, settings)
    try:
        schedules = await store.schedules()
        unavailable = {(p, t): r for p in ADAPTERS
                       for t, r in (await store.unavailable(p)).items()}
    finally:
        await store.close()
    now = dt.datetime.now(dt.UTC)
    rows = []
    for s in schedules:
        problem = None
        try:
            nxt = trigger(s).get_next_fire_time(None, now) if s.enabled else None
        except BadSchedule as exc:  # stored by an older version or a hand edit: shown, never fatal
            nxt, problem = None, f"{exc.reason}; skipped (fix: paperbot schedule set|remove --platform " \
                                 f"{s.platform} --channel {s.channel} …)"
        rows.append({"platform": s.platform, "channel": s.channel, "schedule": format_schedule(s),
                     "next": nxt.isoformat() if nxt else None, "set_by": s.set_by,
                     "unavailable": unavailable.get((s.platform, s.channel)), "problem": problem})
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not rows:
        out.print("No channel schedules yet. In a channel: /papers schedule set 09:00 Asia/Seoul mon-fri")
    for r in rows:
        extra = f"  UNAVAILABLE: {r['unavailable']}" if r["unavailable"] else ""
        extra += f"  BAD: {r['problem']}" if r["problem"] else ""
        out.print(f"{r['platform']}:{r['channel']}  {r['schedule']}  next: {r['next'] or '-'}{extra}", markup=False)
    return EXIT_OK


async def _schedule_change(args: argparse.Namespace, settings: Settings) -> int:
    """``schedule set|off|on --platform P --channel ID``: the chat command's own rules, run as an operator."""
    from bot.commands import Commands, Request
    from bot.messages import Level, Notice

    if not args.platform or not args.channel:
        raise UsageError(f"schedule {args.action} needs --platform and --channel")
    if args.action == "set" and not args.spec:
        raise UsageError("schedule set needs a schedule, e.g. 09:00 Asia/Seoul mon-fri")
    if args.action != "set" and args.spec:
        raise UsageError(f"schedule {args.action} takes no schedule: {' '.join(args.spec)!r}")
    store = await open_store(args, settings)
    if args.action == "remove":
        try:
            removed = await store.remove_schedule(args.platform, args.channel.strip())
        finally:
            await store.close()
        where = f"{args.platform}:{args.channel.strip()}"
        if not removed:
            err.print(f"paperbot schedule: no schedule for {where}", markup=False)
            return EXIT_FAILED
        out.print(f"Schedule removed: {where}.", markup=False)
        return EXIT_OK
    try:
        request = Request(args.platform, "cli", args.channel.strip(), "schedule",
                          " ".join([args.action, *args.spec]), can_manage_channel=True)
        reply = await Commands(store, default_timezone=settings.timezone).handle(request)
    finally:
        await store.close()
    notices = [b for m in reply.messages for b in m.blocks if isinstance(b, Notice)]
    for notice in notices:
        (out if notice.level in (Level.INFO, Level.SUCCESS) else err).print(notice.text, markup=False)
    levels = {n.level for n in notices}
    return EXIT_USAGE if Level.WARNING in levels else EXIT_FAILED if Level.ERROR in levels else EXIT_OK


@command("deliver")
async def cmd_deliver(args: argparse.Namespace, settings: Settings) -> int:
    from bot.delivery import Deliverer
    from bot.scheduling import ChannelPoster

    store = await open_store(args, settings)
    try:
        async with transports(settings) as (found, problems), \
                Deliverer(store, found, lease_seconds=settings.lease_seconds) as deliverer:
            poster = ChannelPoster(store, deliverer, language=settings.language)
            summary = await poster.run_due(channels=set(args.channel) if args.channel else None,
                                           dry_run=args.dry_run, force=args.now)
    finally:
        await store.close()
    if args.json:
        print(_results_json(summary.results))
    else:
        for r in summary.results:
            out.print(f"{r.platform}:{r.target}  {r.outcome}  {r.post_key}  {r.detail}".rstrip(), markup=False)
        out.print(summary.line(), markup=False)
    return EXIT_REJECTED if summary.count("failed") + summary.count("incomplete") or problems else EXIT_OK


@command("alerts")
async def cmd_alerts(args: argparse.Namespace, settings: Settings) -> int:
    from bot.alerts import deliver_alerts
    from bot.delivery import Deliverer

    store = await open_store(args, settings)
    try:
        stored = await store.digest(args.date)
        if stored is None:
            err.print("No digest stored" + (f" for {args.date.isoformat()}." if args.date else " yet."))
            return EXIT_REJECTED
        async with transports(settings) as (found, problems), \
                Deliverer(store, found, lease_seconds=settings.lease_seconds) as deliverer:
            results = await deliver_alerts(store, deliverer, stored.date,
                                           [p.paper for p in stored.papers], dry_run=args.dry_run,
                                           language=Lang(settings.language))
    finally:
        await store.close()
    if args.json:
        print(_results_json(results))
    else:
        for r in results:
            out.print(f"{r.platform}:{r.target}  {r.outcome}  {r.detail or str(r.sent) + ' messages'}", markup=False)
        out.print(f"alerts for {stored.date.isoformat()}: {len(results)} subscriber(s)", markup=False)
    return EXIT_REJECTED if problems else EXIT_OK


@command("status")
async def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    store = await open_store(args, settings)
    try:
        runs = await store.last_runs()
        gone = {p: await store.unavailable(p) for p in ADAPTERS}
        unfinished = await store.unfinished_posts()
    finally:
        await store.close()
    rows = [{"platform": r.platform, "channel": r.target, "when": r.at.isoformat(), "post": r.post_key,
             "outcome": r.outcome, "detail": r.detail, "unavailable": gone.get(r.platform, {}).get(r.target)}
            for r in runs]
    open_rows = [{"platform": u.platform, "channel": u.target, "post": u.post_key, "parts": len(u.parts),
                  "missing": list(u.missing), "since": u.created_at.isoformat(), "attempts": u.attempts,
                  "last_error": u.last_error, "retry_at": u.retry_at.isoformat() if u.retry_at else None}
                 for u in unfinished]
    if args.json:
        print(json.dumps({"runs": rows, "unfinished": open_rows}, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not rows and not open_rows:
        out.print("No deliveries yet.")
    for r in rows:
        out.print(f"{r['platform']}:{r['channel']}  {r['when']}  {r['post']}  {r['outcome']}  {r['detail']}".rstrip()
                  + (f"  UNAVAILABLE: {r['unavailable']}" if r["unavailable"] else ""), markup=False)
    if unfinished:
        out.print(f"Unfinished posts ({len(unfinished)}): the running bot retries them; `paperbot deliver` "
                  "finishes them now", markup=False)
    for u in unfinished:
        missing = ", ".join(str(m) for m in u.missing)
        why = f"  last error: {u.last_error}" if u.last_error else ""
        out.print(f"  {u.platform}:{u.target}  {u.post_key}  {len(u.missing)} of {len(u.parts)} parts "
                  f"missing ({missing})  since {u.created_at.isoformat()}{why}", markup=False)
    return EXIT_OK


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


if __name__ == "__main__":
    sys.exit(main())
