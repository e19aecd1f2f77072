"""The README's Performance section, written from the benchmarks' results files.

    python -m bench.report [--readme README.md] [--results bench/results] [--check]

Each benchmark saves its rows to ``bench/results/<name>.json`` (:func:`bench.results.save`); this
rewrites what lies between the two marker comments in the README's Performance section: for each
benchmark, what it measures (the text below), the command and the date, machine and load of the run,
then its rows as a table with every target's pass or miss. A benchmark without a results file is
listed as not run. ``--check`` only says whether the README is up to date (exit 1 if not).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.results import RESULTS_DIR, load

ROOT = Path(__file__).resolve().parent.parent
START = "<!-- bench.report: start (python -m bench.report writes what follows; do not edit by hand) -->"
END = "<!-- bench.report: end -->"


@dataclass(frozen=True)
class Bench:
    name: str  # bench/results/<name>.json
    heading: str
    command: str
    about: str  # what it measures and against what; no figures (those come from the results)


BENCHES = (
    Bench("store", "Store (SQLite)", "python -m bench.store",
          "100,000 synthetic papers with Korean+English text (English titles, Korean summaries with English "
          "terms in parentheses, 2–15 authors from a pool of 50,000 names including accented and Hangul ones) in "
          "daily digests of 50, ingested one digest at a time in backfill mode, index merge included; first a "
          "real-sized archive of 5,000 papers in files of 14. The same digests go, interleaved, into a second store "
          "with the index layout before migration 0012: that is the ingest baseline, and the previous search path "
          "runs on it. 1,000 keyword and 1,000 author queries (limit 10), wall-clock and CPU time; the same queries "
          "as a `LIKE '%q%'` scan over the same file (an even sample)."),
    Bench("ingest_archive", "Ingest of a real-sized archive", "python -m bench.ingest_archive",
          "350 daily Markdown files (5,000 papers) written in every format the Korean digest has used, parsed "
          "and ingested as `paperbot ingest FOLDER` does; the baseline is the same papers in the canonical "
          "format, in the same run; and one soft-wrapped section of 1–8 MB, to show parsing is linear."),
    Bench("store_pg", "Store (PostgreSQL)", "python -m bench.store --backend postgres",
          "The same ingest and searches on PostgreSQL, next to SQLite's from the same run."),
    Bench("fanout_discord", "Fan-out (Discord)", "python -m bench.fanout --platform discord",
          "One digest to 1,000 channels through the real transport and the loopback fake (in a child process), "
          "which enforces 50 requests/s globally (429 with Retry-After beyond). The floor is every request the "
          "delivery needs (post, thread creation, thread messages) at 50/s."),
    Bench("fanout_slack", "Fan-out (Slack)", "python -m bench.fanout --platform slack --slack-session both",
          "One digest to 1,000 channels through the real transport and the loopback fake, which enforces one "
          "message per second per channel. The floor is the slowest channel's one-second gaps between its "
          "messages, channels in parallel."),
    Bench("fanout_discord_processes", "Fan-out by several processes (Discord)",
          "python -m bench.fanout --platform discord --processes N --postgres URL",
          "The same fan-out shared by several bot processes on one PostgreSQL ledger. The judged wall runs from "
          "spawning the processes to their exit; beside it, their first request to Discord to their last."),
    Bench("fanout_slack_processes", "Fan-out by several processes (Slack)",
          "python -m bench.fanout --platform slack --processes N --postgres URL",
          "The same fan-out shared by several bot processes on one PostgreSQL ledger. The judged wall runs from "
          "spawning the processes to their exit; beside it, their first request to Slack to their last, which "
          "leaves out the interpreters' start and exit as the in-process runs above do."),
    Bench("alerts", "Topic alerts", "python -m bench.alerts",
          "1,000 new papers (Korean summaries, Zipf-like topics) against N and 2N subscriptions (Korean and "
          "English keywords and phrases, authors): matching alone against the naive every-paper-against-every-"
          "subscription loop, then the whole alert run (match, claim, render, send through the ledger) stage by "
          "stage, with the platform's own sending floor; with `--whole-repeat 3`, the median of three whole runs "
          "at each size, each from cold caches and a clean slate."),
    Bench("crash_soak", "Crash soak", "python -m bench.crash_soak",
          "`paperbot deliver --now` sends the seed digest to 100 Discord and 100 Slack channels through the fakes; "
          "it is killed with SIGKILL at 50 seeded random moments and restarted after each, then run to the end. "
          "Every channel must end with every part exactly once; the baseline is one uninterrupted run."),
)


def fmt(value: Any, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not isinstance(value, int | float):
        return str(value)
    if unit == "x":
        return f"{value:,.2f}×"
    if isinstance(value, int) or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def section(bench: Bench, result: dict[str, Any] | None) -> list[str]:
    lines = [f"**{bench.heading}** — `{bench.command}`. {bench.about}", ""]
    if result is None:
        return [*lines, f"*Not run:* no `bench/results/{bench.name}.json` yet.", ""]
    return [*lines, *body(result), ""]


def body(result: dict[str, Any]) -> list[str]:
    m = result.get("machine") or {}
    load = f", load average {m['load_1m']:g}" if m.get("load_1m") is not None else ""
    date = str(result.get("date", "?")).replace("T", " ").replace("+00:00", " UTC")
    lines = [
        f"{result.get('title', result.get('name', ''))}. Measured {date} with "
        f"`{result.get('command', '?')}` on {m.get('cpu', '?')} ({m.get('cpus', '?')} cores{load}), "
        f"Python {m.get('python', '?')}, SQLite {m.get('sqlite', '?')}.",
        "",
        "| metric | value | target | baseline | ratio | |",
        "|---|---|---|---|---|---|",
    ]
    for r in result.get("rows", []):
        unit = r.get("unit") or ""
        value = fmt(r.get("value"), unit) + (f" {unit}" if unit and unit != "x" else "")
        baseline = fmt(r.get("baseline"), unit) if r.get("baseline") is not None else ""
        ratio = fmt(r.get("ratio"), "x") if r.get("ratio") is not None else ""
        verdict = {True: "pass", False: "**miss**"}.get(r.get("pass"), "")  # type: ignore[call-overload]
        lines.append("| " + " | ".join(_cell(c) for c in (str(r.get("metric", "")), value, r.get("target") or "",
                                                           baseline, ratio, verdict)) + " |")
    notes = result.get("notes") or []
    if notes:
        lines.append("")
        lines += [f"- {_cell(str(n))}" for n in notes]
    return lines


def render(results: Path) -> str:
    known = {b.name for b in BENCHES}
    out: list[str] = []
    for bench in BENCHES:
        out += section(bench, load(bench.name, results))
    for path in sorted(results.glob("*.json")):  # results of benchmarks not listed above
        if path.stem not in known and (result := load(path.stem, results)) is not None:
            out += [f"**{result.get('title', path.stem)}** — `{result.get('command', '')}`.", "", *body(result), ""]
    return "\n".join(out).rstrip() + "\n"


def rewrite(readme: str, generated: str) -> str:
    """``readme`` with the text between the markers replaced by ``generated``."""
    start, end = readme.find(START), readme.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"the README has no {START!r} … {END!r} markers in its Performance section")
    return readme[: start + len(START)] + "\n\n" + generated + "\n" + readme[end:]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__.splitlines()[0])
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    parser.add_argument("--check", action="store_true", help="exit 1 if the README is not what the results give")
    args = parser.parse_args(argv)
    old = args.readme.read_text(encoding="utf-8")
    new = rewrite(old, render(args.results))
    if args.check:
        print("README Performance section is " + ("up to date" if new == old else "out of date"))
        return 0 if new == old else 1
    if new != old:
        args.readme.write_text(new, encoding="utf-8")
    ran = [b.name for b in BENCHES if load(b.name, args.results) is not None]
    print(f"{args.readme}: Performance section written from {len(ran)} of {len(BENCHES)} results "
          f"({', '.join(ran) or 'none'}); not run: "
          f"{', '.join(b.name for b in BENCHES if b.name not in ran) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
