"""``paperbot ingest|search|author|show|digest|fetch``: the paper library."""

from __future__ import annotations

import argparse
import contextlib
import json
from pathlib import Path
from typing import Any

from rich.progress import Progress

from bot import arxiv
from bot.cli.common import (
    EXIT_OK,
    EXIT_REJECTED,
    UsageError,
    command,
    err,
    esc,
    iso_date,
    open_store,
    out,
    positive,
)
from bot.config import Settings
from bot.digest_markdown import is_digest_file, parse_file, summarize
from bot.serialize import digest_json, hit_json, paper_json
from bot.store import SearchPage
from storage.sqlite import SQLiteStore


def register(sub: Any) -> None:
    """Add this group's subcommands (their handlers are below, registered by name)."""
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
    p = sub.add_parser("fetch", help="fetch a day's papers from the configured sources (or --source) and store them")
    p.add_argument("--date", type=iso_date, help="day to fetch (default: the latest available)")
    p.add_argument("--source", action="append", metavar="hf|PATH|URL",
                   help="where from (repeatable; default: $PAPERBOT_SOURCES)")
    p.add_argument("--json", action="store_true")


def digest_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and is_digest_file(p)))
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


def _print_page(page: SearchPage, what: str) -> None:
    if not page.hits:
        out.print(f"No papers found for {what}.")
        return
    for number, hit in enumerate(page.hits, start=1 + page.offset):
        paper = hit.paper.paper
        votes = "-" if paper.votes is None else paper.votes
        dates = ", ".join(d.isoformat() for d in hit.paper.dates)
        out.print(f"[bold]{number}. {esc(paper.title)}[/bold]  ▲{votes}  {dates}")
        out.print(f"   {paper.url}")
        if hit.matched_authors:
            out.print("   by " + esc(", ".join(hit.matched_authors)))
        elif paper.authors:
            out.print("   " + esc(", ".join(paper.authors[:6])) + (" …" if len(paper.authors) > 6 else ""))
        if hit.snippet:
            text = "".join(f"[reverse]{esc(t)}[/reverse]" if m else esc(t) for t, m in hit.snippet)
            out.print("   " + text)
    if page.more:
        out.print(f"… and {page.more_text} more (use --limit).")


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
        _print_page(page, esc(f"author {text!r}" if by_author else repr(text)))
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
    out.print(f"[bold]{esc(paper.title)}[/bold]")
    out.print(paper.url)
    out.print(f"Votes: {'-' if paper.votes is None else paper.votes}   Digests: "
              + ", ".join(d.isoformat() for d in stored.dates))
    if paper.authors:
        out.print("Authors: " + esc(", ".join(paper.authors)))
    for label, url in paper.links:
        out.print(f"{esc(label)}: {url}")
    for name, text in paper.sections:
        out.print(f"\n[bold]{esc(name)}[/bold]\n{esc(text)}")
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
        out.print(f"{number}. ▲{votes}  {esc(paper.title)}\n   {paper.url}")
    return EXIT_OK


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
