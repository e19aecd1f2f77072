"""Storage benchmark: ingest throughput, search latency and memory of :class:`SQLiteStore`.

    python -m bench.store [--papers 100000] [--archive 5000] [--queries 1000] [--scan-queries 100] [--seed 0]
                          [--budget 2] [--db PATH] [--json]

Synthetic Korean digests (``bench.synth``) are ingested one digest at a time, as users do;
then keyword and author searches are timed against a ``LIKE '%q%'`` scan of the same file,
and keyword searches against the previous search path (:func:`legacy_search`: a count and
a bm25-ranked page in two statements, newest first past 1,000 matches) on the same store.
``--archive`` first measures a real-sized archive the same way (5,000 papers in ~350 daily
files, as the Korean digest has published since 2023-11). Progress goes to stderr; the table
(or ``--json``) to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import synth
from bench.layout_baseline import BaselineLayoutStore
from bench.measure import by_kind, err, ingest_all, peak_rss_kb, rss_kb, summary
from bench.results import row, save
from bot.store import QueryError, SearchPage
from bot.text import word_tokens
from storage.fts import quote
from storage.sqlite import COUNT_CAP, SQLiteStore

TARGET_INGEST = 10_000  # papers/s, at least
TARGET_P99_MS = 10.0  # search p99, at most
TARGET_LAYOUT = 1.3  # ingest with the 0012 layout / before it, in the same run, at least
TARGET_SPEEDUP = 20.0  # scan latency / ours, at least
TARGET_RSS_MB = 200.0  # peak RSS, at most
WARMUP = 10
TIMED_OUT = -2  # the total recorded for a query interrupted at the time budget

async def timed(
    store: SQLiteStore,
    call: Callable[[str], Awaitable[SearchPage]],
    queries: Sequence[tuple[str, str]],
    budget_s: float,
    cpu_out: list[float] | None = None,
) -> tuple[list[float], list[int], int]:
    """Latency of each query; one over ``budget_s`` is interrupted and counted at the budget, and
    later repeats of the same text are not run again (they would only burn minutes). The process's
    CPU time per query (both threads: the event loop's and aiosqlite's) goes to ``cpu_out`` when
    given: on a loaded machine it shows the work apart from the wait for a core."""
    for _, q in queries[:WARMUP]:  # the first calls pay for thread start-up and statement preparation
        await _bounded(store, call, q, budget_s)
    latencies, totals, timeouts = [], [], 0
    over: set[str] = set()
    for _, q in queries:
        if q in over:
            latencies.append(budget_s)
            totals.append(TIMED_OUT)
            timeouts += 1
            continue
        t0, c0 = time.perf_counter(), time.process_time()
        total = await _bounded(store, call, q, budget_s)
        latencies.append(time.perf_counter() - t0)
        if cpu_out is not None:
            cpu_out.append(time.process_time() - c0)
        totals.append(total)
        if total == TIMED_OUT:
            over.add(q)
            timeouts += 1
            err.print(f"  [yellow]{q!r} took over {budget_s:g} s; interrupted[/]")
    return latencies, totals, timeouts


async def _bounded(store: SQLiteStore, call: Callable[[str], Awaitable[SearchPage]], q: str, budget_s: float) -> int:
    try:
        async with asyncio.timeout(budget_s):  # no extra task, unlike wait_for
            return (await call(q)).total
    except QueryError:
        return -1
    except TimeoutError:
        # the Store API has no cancellation: stop the statement still running on aiosqlite's thread
        await store._db.interrupt()
        return TIMED_OUT


# -- the previous search path (baseline) ---------------------------------------------------------
_LEGACY_TERMS = re.compile(r'"([^"]*)"|(\S+)')
_LEGACY_ASCII = re.compile(r"[A-Za-z0-9][A-Za-z0-9 .\-']*")


async def legacy_search(store: SQLiteStore, query: str, limit: int = 10) -> int:
    """The search path before the one-statement rewrite, on the same store: a capped count, then
    a bm25-ranked page (newest first past 1,000 matches) with FTS5 snippets, then the rows.
    Its matching differs (prefix-only Korean short terms, no spacing rule): a cost baseline."""
    long_terms: list[str] = []
    short_terms: list[str] = []
    phrases: list[str] = []
    for m in _LEGACY_TERMS.finditer(query.strip()):
        term = (m.group(1) if m.group(1) is not None else m.group(2)).strip()
        if not term:
            continue
        if _LEGACY_ASCII.fullmatch(term) and m.group(1) is None:
            short_terms.extend(word_tokens(term))
        elif _LEGACY_ASCII.fullmatch(term):
            phrases.append(" ".join(word_tokens(term)))
        elif len(term) >= 3:
            long_terms.append(term)
        else:
            short_terms.extend(word_tokens(term))
    tri = " AND ".join(quote(t) for t in long_terms) or None
    words = " AND ".join([quote(t) + "*" for t in short_terms] + [quote(p) for p in phrases]) or None
    if tri is None and words is None:
        raise QueryError("nothing to search")
    extra = ""
    if tri is not None:
        table, params = "papers_fts", [tri]
        if words:
            extra = " AND +papers_fts.rowid IN (SELECT rowid FROM papers_words WHERE papers_words MATCH ?)"
            params.append(words)
    else:
        table, params = "papers_words", [words]
    db = store._db
    where = f"{table} MATCH ?{extra}"
    rows = await db.execute_fetchall(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {where} LIMIT {COUNT_CAP + 1})", params
    )
    total = rows[0][0]  # type: ignore[index]
    order = f"bm25({table}, 10.0, 4.0, 1.0), {table}.rowid DESC" if total <= COUNT_CAP else f"{table}.rowid DESC"
    top = await db.execute_fetchall(
        f"SELECT {table}.rowid, snippet({table}, -1, '[', ']', '…', 24) FROM {table} WHERE {where}"
        f" ORDER BY {order} LIMIT ?",
        [*params, limit],
    )
    ids = [r[0] for r in top]
    if ids:
        await db.execute_fetchall(f"SELECT * FROM papers WHERE id IN ({','.join('?' * len(ids))})", ids)
    return total


def _like(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def scan_keyword(conn: sqlite3.Connection, q: str) -> int:
    """The baseline: what a store without FTS would do for a keyword query (hits + total)."""
    pattern = _like(q.replace('"', ""))
    where = "title LIKE ?1 ESCAPE '\\' OR sections LIKE ?1 ESCAPE '\\' OR authors LIKE ?1 ESCAPE '\\'"
    conn.execute(f"SELECT id FROM papers WHERE {where} LIMIT 10", (pattern,)).fetchall()
    return conn.execute(f"SELECT count(*) FROM papers WHERE {where}", (pattern,)).fetchone()[0]


def scan_author(conn: sqlite3.Connection, name: str) -> int:
    pattern = _like(name)
    conn.execute("SELECT id FROM papers WHERE authors LIKE ? ESCAPE '\\' LIMIT 10", (pattern,)).fetchall()
    return conn.execute("SELECT count(*) FROM papers WHERE authors LIKE ? ESCAPE '\\'", (pattern,)).fetchone()[0]


def timed_scan(scan: Callable[[str], int], queries: Sequence[tuple[str, str]]) -> tuple[list[float], list[int]]:
    latencies, totals = [], []
    for _, q in queries:
        t0 = time.perf_counter()
        totals.append(scan(q))
        latencies.append(time.perf_counter() - t0)
    return latencies, totals


def sample(items: Sequence[Any], n: int) -> list[Any]:
    """``n`` items evenly spread over ``items`` (keeps the query mix)."""
    if n >= len(items):
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


async def timed_legacy(store: SQLiteStore, queries: Sequence[tuple[str, str]]) -> tuple[list[float], int]:
    for _, q in queries[:WARMUP]:
        with contextlib.suppress(QueryError):
            await legacy_search(store, q)
    latencies, failed = [], 0
    for _, q in queries:
        t0 = time.perf_counter()
        try:
            await legacy_search(store, q)
        except QueryError:
            failed += 1
        latencies.append(time.perf_counter() - t0)
    return latencies, failed


def file_mb(path: Path) -> float:
    """The database's size on disk with its WAL (closed stores have checkpointed theirs)."""
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6


async def open_pair(path: Path) -> dict[str, SQLiteStore]:
    """Today's layout at ``path`` and the layout before migration 0012 beside it (``…-baseline``)."""
    baseline = path.with_name(path.stem + "-baseline" + path.suffix)
    if baseline.exists():
        baseline.unlink()
    return {"ours": await SQLiteStore.open(path), "baseline": await BaselineLayoutStore.open(baseline)}


async def archive(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """A real-sized archive: ``args.archive`` papers in daily files of ~14 (5,000 in ~350)."""
    gen = synth.Generator(args.seed)
    n_q = min(args.queries, 500)
    keyword_qs = synth.keyword_queries(args.seed, n_q)
    author_qs = synth.author_queries(gen.pool, args.seed, n_q)
    err.print(f"[bold]real-sized archive: {args.archive:,} papers in files of ~14, both layouts[/]")
    stores = await open_pair(tmp / "archive.sqlite3")
    store, base = stores["ours"], stores["baseline"]
    try:
        ing = await ingest_all(stores, gen, args.archive, per_digest=14)
        kw_cpu: list[float] = []
        au_cpu: list[float] = []
        kw_lat, _, _ = await timed(store, lambda q: store.search(q, limit=10), keyword_qs, args.budget, kw_cpu)
        au_lat, _, _ = await timed(store, lambda q: store.search_authors(q, limit=10), author_qs, args.budget,
                                   au_cpu)
        old_lat, _ = await timed_legacy(base, keyword_qs)
    finally:
        for s in stores.values():
            await s.close()
    ours = ing["ours"]
    return {"papers": args.archive, "files": ours["digests"], "ingest_s": ours["ingest_s"],
            "papers_per_s": ours["papers_per_s"], "baseline_papers_per_s": ing["baseline"]["papers_per_s"],
            "keyword": {**summary(kw_lat), "cpu": summary(kw_cpu)},
            "author": {**summary(au_lat), "cpu": summary(au_cpu)}, "keyword_old_path": summary(old_lat)}


# -- the run -----------------------------------------------------------------------------------
async def bench(args: argparse.Namespace, db_path: Path) -> dict[str, Any]:
    started = time.perf_counter()
    t0 = time.perf_counter()
    gen = synth.Generator(args.seed)
    pool_s = time.perf_counter() - t0
    keyword_qs = synth.keyword_queries(args.seed, args.queries)
    author_qs = synth.author_queries(gen.pool, args.seed, args.queries)

    err.print(f"[bold]ingesting {args.papers:,} papers into {db_path} and, with the layout before 0012, beside it[/]")
    stores = await open_pair(db_path)
    store, base = stores["ours"], stores["baseline"]
    kw_cpu: list[float] = []
    au_cpu: list[float] = []
    try:
        both = await ingest_all(stores, gen, args.papers)
        ing, base_ing = both["ours"], both["baseline"]
        ing["author_pool_s"] = pool_s
        err.print(f"[bold]{len(keyword_qs)} keyword searches[/]")
        kw_lat, kw_tot, kw_out = await timed(store, lambda q: store.search(q, limit=10), keyword_qs, args.budget,
                                             kw_cpu)
        err.print(f"[bold]{len(author_qs)} author searches[/]")
        au_lat, au_tot, au_out = await timed(store, lambda q: store.search_authors(q, limit=10), author_qs,
                                             args.budget, au_cpu)
        err.print(f"[bold]{len(keyword_qs)} keyword searches through the previous path, on the previous layout[/]")
        old_lat, _ = await timed_legacy(base, keyword_qs)
    finally:
        for s in stores.values():
            await s.close()

    kw_sample, au_sample = sample(keyword_qs, args.scan_queries), sample(author_qs, args.scan_queries)
    err.print(f"[bold]LIKE scan baseline: {len(kw_sample)} keyword + {len(au_sample)} author queries[/]")
    conn = sqlite3.connect(db_path)
    try:
        sk_lat, sk_tot = timed_scan(lambda q: scan_keyword(conn, q), kw_sample)
        sa_lat, sa_tot = timed_scan(lambda q: scan_author(conn, q), au_sample)
    finally:
        conn.close()
    # ours over exactly the sampled queries too, for a like-for-like ratio
    kw_idx = {id(q): i for i, q in enumerate(keyword_qs)}
    au_idx = {id(q): i for i, q in enumerate(author_qs)}
    kw_on_sample = [kw_lat[kw_idx[id(q)]] for q in kw_sample]
    au_on_sample = [au_lat[au_idx[id(q)]] for q in au_sample]

    return {
        "papers": args.papers,
        "queries": args.queries,
        "scan_queries": len(kw_sample),
        "seed": args.seed,
        "db": str(db_path),
        "db_mb": file_mb(db_path),
        "baseline_db_mb": file_mb(db_path.with_name(db_path.stem + "-baseline" + db_path.suffix)),
        "sqlite_version": sqlite3.sqlite_version,
        "ingest": ing,
        "baseline_ingest": base_ing,
        "keyword": {
            **summary(kw_lat),
            "cpu": summary(kw_cpu),
            "on_scan_sample": summary(kw_on_sample),
            "zero_hits": sum(1 for t in kw_tot if t == 0),
            "timeouts": kw_out,
            "by_kind": by_kind(keyword_qs, kw_lat, kw_tot),
        },
        "author": {
            **summary(au_lat),
            "cpu": summary(au_cpu),
            "on_scan_sample": summary(au_on_sample),
            "zero_hits": sum(1 for t in au_tot if t == 0),
            "timeouts": au_out,
            "by_kind": by_kind(author_qs, au_lat, au_tot),
        },
        "keyword_old_path": {**summary(old_lat), "by_kind": by_kind(keyword_qs, old_lat, [0] * len(old_lat))},
        "scan_keyword": {**summary(sk_lat), "zero_hits": sum(1 for t in sk_tot if t == 0)},
        "scan_author": {**summary(sa_lat), "zero_hits": sum(1 for t in sa_tot if t == 0)},
        "peak_rss_mb": max(peak_rss_kb(), rss_kb()) / 1024,
        "budget_s": args.budget,
        "wall_s": time.perf_counter() - started,
    }


def verdicts(r: dict[str, Any]) -> list[dict[str, Any]]:
    """The table's rows (:func:`bench.results.row`): ``pass`` is None when there is no target."""
    ing, kw, au, sk, sa = r["ingest"], r["keyword"], r["author"], r["scan_keyword"], r["scan_author"]
    base, old = r["baseline_ingest"], r["keyword_old_path"]
    n_scan = r["scan_queries"]
    p99 = f"<= {TARGET_P99_MS:g}"

    def speedup(scan: float, ours: float) -> float:
        return scan / ours if ours > 0 else math.inf

    layout = ing["papers_per_s"] / base["papers_per_s"]
    rows = [
        row("ingest throughput", ing["papers_per_s"], "papers/s", target=f">= {TARGET_INGEST:,}",
            ok=ing["papers_per_s"] >= TARGET_INGEST),
        row("ingest throughput, layout before 0012 (same run, same digests)", base["papers_per_s"], "papers/s"),
        row("ingest: ours / layout before 0012", layout, "x", target=f">= {TARGET_LAYOUT:g}x",
            ok=layout >= TARGET_LAYOUT),
        row("ingest time", ing["ingest_s"], "s", baseline=base["ingest_s"]),
        row("database size", r["db_mb"], "MB", baseline=r["baseline_db_mb"]),
        row("RSS growth during ingest (both stores)", ing["rss_growth_mb"], "MB"),
        row("keyword search p50", kw["p50_ms"], "ms"),
        row("keyword search p99", kw["p99_ms"], "ms", target=p99, ok=kw["p99_ms"] <= TARGET_P99_MS),
        row("keyword search p99, CPU time", kw["cpu"]["p99_ms"], "ms"),
        row(f"keyword searches interrupted at {r['budget_s']:g} s", kw["timeouts"], "queries"),
        row("author search p50", au["p50_ms"], "ms"),
        row("author search p99", au["p99_ms"], "ms", target=p99, ok=au["p99_ms"] <= TARGET_P99_MS),
        row("author search p99, CPU time", au["cpu"]["p99_ms"], "ms"),
        row(f"author searches interrupted at {r['budget_s']:g} s", au["timeouts"], "queries"),
        row("keyword search p50, previous path and layout", old["p50_ms"], "ms"),
        row("keyword search p99, previous path and layout", old["p99_ms"], "ms"),
        row("keyword p99: ours / previous", kw["p99_ms"] / old["p99_ms"] if old["p99_ms"] else math.nan, "x"),
        row(f"LIKE scan keyword p50 (n={n_scan})", sk["p50_ms"], "ms"),
        row(f"LIKE scan keyword p99 (n={n_scan})", sk["p99_ms"], "ms"),
        row(f"LIKE scan author p50 (n={n_scan})", sa["p50_ms"], "ms"),
        row(f"LIKE scan author p99 (n={n_scan})", sa["p99_ms"], "ms"),
    ]  # fmt: skip
    for label, scan, ours in (("keyword", sk, kw), ("author", sa, au)):
        for p in ("p50", "p99"):
            x = speedup(scan[f"{p}_ms"], ours[f"{p}_ms"])
            rows.append(row(f"speed-up {label} {p} (scan / ours)", x, "x", target=f">= {TARGET_SPEEDUP:g}x",
                            ok=x >= TARGET_SPEEDUP))  # fmt: skip
    rows.append(row("peak RSS", r["peak_rss_mb"], "MB", target=f"<= {TARGET_RSS_MB:g}",
                    ok=r["peak_rss_mb"] <= TARGET_RSS_MB))
    a = r.get("archive")
    if a:
        label = f"archive {a['papers']:,} papers / {a['files']} files"
        rows += [
            row(f"{label}: ingest", a["papers_per_s"], "papers/s", baseline=a["baseline_papers_per_s"]),
            row(f"{label}: keyword p50", a["keyword"]["p50_ms"], "ms"),
            row(f"{label}: keyword p99", a["keyword"]["p99_ms"], "ms", target=p99,
                ok=a["keyword"]["p99_ms"] <= TARGET_P99_MS),
            row(f"{label}: keyword p99, CPU time", a["keyword"]["cpu"]["p99_ms"], "ms"),
            row(f"{label}: keyword p99, previous path and layout", a["keyword_old_path"]["p99_ms"], "ms"),
            row(f"{label}: author p50", a["author"]["p50_ms"], "ms"),
            row(f"{label}: author p99", a["author"]["p99_ms"], "ms", target=p99,
                ok=a["author"]["p99_ms"] <= TARGET_P99_MS),
            row(f"{label}: author p99, CPU time", a["author"]["cpu"]["p99_ms"], "ms"),
        ]
    return rows


def _fmt(value: float, unit: str) -> str:
    if unit == "papers/s":
        return f"{value:,.0f}"
    if unit == "queries":
        return f"{value:,}"
    if unit == "x":
        return f"{value:,.1f}x"
    return f"{value:,.1f}" if value >= 10 else f"{value:,.2f}"


def render(r: dict[str, Any], console: Console) -> None:
    ing = r["ingest"]
    table = Table(
        title=f"paperbot store benchmark: {r['papers']:,} papers in {ing['digests']:,} digests, "
        f"{r['queries']:,} keyword + {r['queries']:,} author queries (limit=10)",
        caption=f"LIKE scan over an evenly spread sample of {r['scan_queries']} queries of each kind; "
        f"an interrupted search counts as {r['budget_s']:g} s, so its p99 is then a lower bound; "
        f"speed-ups use ours over all queries. SQLite {r['sqlite_version']}, DB {r['db_mb']:,.0f} MB, "
        f"seed {r['seed']}, generator {ing['generate_s']:.1f} s (not in ingest time), "
        f"whole run {r['wall_s']:.1f} s",
    )
    for name, justify in (("metric", "left"), ("value", "right"), ("unit", "left"), ("target", "left"),
                          ("baseline", "right"), ("ratio", "right"), ("result", "center")):  # fmt: skip
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for v in verdicts(r):
        result = "" if v["pass"] is None else ("[green]PASS[/]" if v["pass"] else "[red bold]MISS[/]")
        table.add_row(v["metric"], _fmt(v["value"], v["unit"]), v["unit"], v["target"],
                      "" if v["baseline"] is None else _fmt(v["baseline"], v["unit"]),
                      "" if v["ratio"] is None else f"{v['ratio']:.2f}x", result)
    console.print(table)

    kinds = Table(title="latency by query kind (ours)")
    for name in ("search", "kind", "n", "p50 ms", "p99 ms", "max ms", "previous p99 ms", "median total",
                 "slowest query"):
        kinds.add_column(name, justify="left" if name in ("search", "kind", "slowest query") else "right")
    for label in ("keyword", "author"):
        for kind, s in sorted(r[label]["by_kind"].items(), key=lambda kv: -kv[1]["p99_ms"]):
            old = r["keyword_old_path"]["by_kind"].get(kind, {}) if label == "keyword" else {}
            kinds.add_row(label, kind, str(s["n"]), f"{s['p50_ms']:.2f}", f"{s['p99_ms']:.2f}", f"{s['max_ms']:.2f}",
                          f"{old['p99_ms']:.2f}" if old else "", f"{s['median_total']:,.0f}", s["slowest"])  # fmt: skip
    console.print(kinds)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.store", description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000, help="papers to generate and ingest")
    parser.add_argument("--archive", type=int, default=5000,
                        help="papers of the real-sized archive measured first (0: skip)")
    parser.add_argument("--queries", type=int, default=1000, help="keyword queries, and as many author queries")
    parser.add_argument("--scan-queries", type=int, default=100, help="queries of each kind for the LIKE baseline")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget", type=float, default=2.0, help="seconds before a search is interrupted")
    parser.add_argument("--db", type=Path, help="database file (default: a new file in a temporary directory)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/store*.json (a trial run)")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite",
                        help="postgres: the same ingest and searches on PostgreSQL too, next to SQLite's")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="paperbot-bench-") as tmp:
        db_path = args.db or Path(tmp) / "bench.sqlite3"
        if db_path.exists() and db_path.stat().st_size:
            parser.error(f"{db_path} already exists; the benchmark needs a fresh database")
        db_path.parent.mkdir(parents=True, exist_ok=True)
        small = asyncio.run(archive(args, Path(tmp))) if args.archive else None
        result = asyncio.run(bench(args, db_path))
        result["archive"] = small
        if args.backend == "postgres":
            from bench import store_pg

            result["postgres"] = asyncio.run(store_pg.bench(args))
            if not args.no_save:
                store_pg.record(result)
    result["verdicts"] = verdicts(result)
    ing = result["ingest"]
    if args.backend == "sqlite" and not args.no_save:  # a --backend postgres run leaves store.json to SQLite's
        save("store", f"SQLite store: {args.papers:,} papers in {ing['digests']:,} digests, {args.queries:,} keyword"
             f" + {args.queries:,} author queries",
             "python -m bench.store " + " ".join(sys.argv[1:] if argv is None else argv), result["verdicts"], notes=[
                 "baseline: the same digests ingested in the same run, one digest at a time into each store, with the"
                 " index layout before migration 0012 (bench/layout_baseline.py)",
                 "CPU time: the process's CPU time during each query; wall-clock latencies include waiting for a core"
                 " on a loaded machine"])
    if args.json:
        json.dump(result, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        render(result, Console(width=max(140, Console().width)))
        if "postgres" in result:
            from bench import store_pg

            store_pg.render(result, Console(width=max(140, Console().width)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
