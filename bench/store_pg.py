"""``python -m bench.store --backend postgres``: the same ingest and searches on PostgreSQL, next to SQLite's.

The PostgreSQL store gets the same synthetic digests (same seed) and the same keyword and
author queries as the SQLite run, in a fresh schema of ``--postgres-url`` dropped at the
end; the table puts both backends' figures side by side (target: keyword and author p99 ≤ 20 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import synth
from bench.measure import by_kind, err, ingest, summary
from bot.store import QueryError, SearchPage

TARGET_P99_MS = 20.0  # issue 14: keyword and author p99 on PostgreSQL
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


async def timed(call: Callable[[str], Awaitable[SearchPage]], queries: Sequence[tuple[str, str]],
                budget_s: float) -> tuple[list[float], list[int], int]:
    """Latency of each query; one over ``budget_s`` is cancelled (asyncpg cancels it on the server)."""
    for _, q in queries[:10]:
        await _bounded(call, q, budget_s)
    latencies, totals, timeouts = [], [], 0
    for _, q in queries:
        t0 = time.perf_counter()
        total = await _bounded(call, q, budget_s)
        latencies.append(time.perf_counter() - t0)
        totals.append(total)
        timeouts += total == -2
    return latencies, totals, timeouts


async def _bounded(call: Callable[[str], Awaitable[SearchPage]], q: str, budget_s: float) -> int:
    try:
        async with asyncio.timeout(budget_s):
            return (await call(q)).total
    except QueryError:
        return -1
    except TimeoutError:
        return -2


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    import asyncpg

    from storage.postgres import PostgresStore

    url = args.postgres_url
    schema = f"paperbot_bench_{os.getpid()}"
    gen = synth.Generator(args.seed)
    keyword_qs = synth.keyword_queries(args.seed, args.queries)
    author_qs = synth.author_queries(gen.pool, args.seed, args.queries)
    err.print(f"[bold]PostgreSQL: ingesting {args.papers:,} papers into schema {schema}[/]")
    store = await PostgresStore.open(url, schema=schema)
    try:
        ing = await ingest(store, gen, args.papers)  # type: ignore[arg-type]
        # what autovacuum does after a bulk load (PostgreSQL 13+ vacuums insert-only tables too):
        # statistics for the planner, and the visibility map index-only scans need
        conn = await asyncpg.connect(url, server_settings={"search_path": f"{schema}, public"})
        try:
            await conn.execute("VACUUM ANALYZE papers, authors, paper_authors, digest_papers")
        finally:
            await conn.close()
        err.print(f"[bold]PostgreSQL: {len(keyword_qs)} keyword + {len(author_qs)} author searches[/]")
        kw_lat, kw_tot, kw_out = await timed(lambda q: store.search(q, limit=10), keyword_qs, args.budget)
        au_lat, au_tot, au_out = await timed(lambda q: store.search_authors(q, limit=10), author_qs, args.budget)
        size = await store.fetch(
            "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'", schema)
        index = await store.fetch("SELECT pg_size_pretty(pg_relation_size('papers_terms'))")
    finally:
        await store.close()
        conn = await asyncpg.connect(url)
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await conn.close()
    return {
        "ingest": ing,
        "keyword": {**summary(kw_lat), "timeouts": kw_out, "by_kind": by_kind(keyword_qs, kw_lat, kw_tot),
                    "zero_hits": sum(1 for t in kw_tot if t == 0)},
        "author": {**summary(au_lat), "timeouts": au_out, "by_kind": by_kind(author_qs, au_lat, au_tot),
                   "zero_hits": sum(1 for t in au_tot if t == 0)},
        "size": size[0][0],
        "search_index": index[0][0],
    }


def record(r: dict[str, Any]) -> None:
    """SQLite's and PostgreSQL's figures of one run as ``bench/results/store_pg.json`` (bench.results)."""
    from bench.results import row, save

    pg, lite = r["postgres"], r
    rows = [row("ingest, PostgreSQL", pg["ingest"]["papers_per_s"], "papers/s",
                baseline=lite["ingest"]["papers_per_s"])]
    for label in ("keyword", "author"):
        for p in ("p50", "p99"):
            value, base = pg[label][f"{p}_ms"], lite[label][f"{p}_ms"]
            target = f"<= {TARGET_P99_MS:g}" if p == "p99" else ""
            rows.append(row(f"{label} search {p}, PostgreSQL", value, "ms", target=target, baseline=base,
                            ok=value <= TARGET_P99_MS if p == "p99" else None))
    save("store_pg", f"PostgreSQL next to SQLite, {r['papers']:,} papers (baseline: SQLite, same run)",
         "python -m bench.store " + " ".join(sys.argv[1:]), rows,
         notes=[f"PostgreSQL data {pg['size']}, of which the search index (papers_terms) {pg['search_index']}",
                *[f"{label} p99 by kind (ms, PostgreSQL / SQLite): " + ", ".join(
                    f"{kind} {s['p99_ms']:.1f}/{lite[label]['by_kind'].get(kind, {}).get('p99_ms', float('nan')):.1f}"
                    for kind, s in sorted(pg[label]["by_kind"].items(), key=lambda kv: -kv[1]["p99_ms"]))
                  for label in ("keyword", "author")],
                "2-core machine shared with other agents: compare the columns of one run, not runs"])


def render(r: dict[str, Any], console: Console) -> None:
    pg, lite = r["postgres"], r
    table = Table(title=f"PostgreSQL next to SQLite: {r['papers']:,} papers, same digests and queries "
                  f"(PG data {pg['size']}, search index {pg['search_index']})")
    for name in ("metric", "SQLite", "PostgreSQL", "PG / SQLite", "PG target", "result"):
        table.add_column(name, justify="left" if name in ("metric", "PG target") else "right")
    rows: list[tuple[str, Any, Any, float | None]] = [
        ("ingest papers/s", lite["ingest"]["papers_per_s"], pg["ingest"]["papers_per_s"], None)]
    for label in ("keyword", "author"):
        for p in ("p50", "p99"):
            rows.append((f"{label} search {p} ms", lite[label][f"{p}_ms"], pg[label][f"{p}_ms"],
                         TARGET_P99_MS if p == "p99" else None))
        rows.append((f"{label} searches interrupted", lite[label]["timeouts"], pg[label]["timeouts"], None))
    for metric, a, b, target in rows:
        ok = "" if target is None else ("[green]PASS[/]" if b <= target else "[red bold]MISS[/]")
        table.add_row(metric, f"{a:,.2f}", f"{b:,.2f}", f"{b / a:,.2f}x" if a else "",
                      f"<= {target:g}" if target else "", ok)
    console.print(table)
    kinds = Table(title="PostgreSQL latency by query kind")
    for name in ("search", "kind", "n", "p50 ms", "p99 ms", "max ms", "SQLite p99 ms", "slowest query"):
        kinds.add_column(name, justify="left" if name in ("search", "kind", "slowest query") else "right")
    for label in ("keyword", "author"):
        for kind, s in sorted(pg[label]["by_kind"].items(), key=lambda kv: -kv[1]["p99_ms"]):
            other = lite[label]["by_kind"].get(kind, {})
            kinds.add_row(label, kind, str(s["n"]), f"{s['p50_ms']:.2f}", f"{s['p99_ms']:.2f}", f"{s['max_ms']:.2f}",
                          f"{other['p99_ms']:.2f}" if other else "", s["slowest"])
    console.print(kinds)
