"""What the storage benchmarks share: latency summaries, resident memory, and the bulk ingest of
synthetic digests into one or more stores (``bench.store`` for SQLite, ``bench.store_pg`` for
PostgreSQL beside it; neither imports the other's module for these)."""

from __future__ import annotations

import math
import resource
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from rich.console import Console

from bench import synth
from bench.results import percentile
from storage.sqlite import SQLiteStore

err = Console(stderr=True)


# -- measuring ---------------------------------------------------------------------------------
def rss_kb() -> int:
    """The current resident set size (Linux ``/proc``), in KB."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def peak_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB on Linux


def summary(latencies_s: Sequence[float]) -> dict[str, float]:
    ms = [x * 1000 for x in latencies_s]
    return {
        "n": len(ms),
        "p50_ms": percentile(ms, 50),
        "p90_ms": percentile(ms, 90),
        "p99_ms": percentile(ms, 99),
        "max_ms": max(ms, default=math.nan),
        "mean_ms": sum(ms) / len(ms) if ms else math.nan,
    }


def by_kind(queries: Sequence[tuple[str, str]], latencies: Sequence[float], totals: Sequence[int]) -> dict[str, Any]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, (kind, _) in enumerate(queries):
        groups[kind].append(i)
    out = {}
    for kind, idx in groups.items():
        worst = max(idx, key=lambda i: latencies[i])
        out[kind] = {
            **summary([latencies[i] for i in idx]),
            "median_total": percentile([float(totals[i]) for i in idx], 50),
            "slowest": queries[worst][1],
        }
    return out


# -- phases ----------------------------------------------------------------------------------
async def ingest(store: SQLiteStore, gen: synth.Generator, n_papers: int) -> dict[str, Any]:
    """:func:`ingest_all` into one store."""
    return (await ingest_all({"store": store}, gen, n_papers))["store"]


async def ingest_all(stores: dict[str, SQLiteStore], gen: synth.Generator, n_papers: int,
                     per_digest: int = 50) -> dict[str, dict[str, Any]]:
    """One digest at a time in bulk mode, as `paperbot ingest FOLDER` does a backfill, into each store in
    turn (the same digest into every store before the next, so load on the machine weighs on both
    alike); the final index merge (``optimize``) counts as ingest time."""
    rss_before = rss_kb()
    wall = time.perf_counter()
    out: dict[str, dict[str, Any]] = {name: {"papers": 0, "digests": 0, "ingest_s": 0.0} for name in stores}
    generate_s = 0.0
    modes = {name: store.bulk() for name, store in stores.items()}
    for name, mode in modes.items():
        t0 = time.perf_counter()
        await mode.__aenter__()
        out[name]["ingest_s"] += time.perf_counter() - t0
    try:
        it = gen.digests(n_papers, per_digest=per_digest)
        while True:
            t0 = time.perf_counter()
            digest = next(it, None)
            generate_s += time.perf_counter() - t0
            if digest is None:
                break
            for name, store in stores.items():
                t0 = time.perf_counter()
                await store.ingest(digest)
                r = out[name]
                r["ingest_s"] += time.perf_counter() - t0
                r["papers"] += len(digest.papers)
                r["digests"] += 1
            first = next(iter(out.values()))
            if first["digests"] % 200 == 0:
                rates = ", ".join(f"{name} {r['papers'] / r['ingest_s']:,.0f}/s" for name, r in out.items())
                err.print(f"  ingested {first['papers']:,} papers: {rates}, RSS {rss_kb() / 1024:.0f} MB")
    finally:
        for name, mode in modes.items():
            t0 = time.perf_counter()
            await mode.__aexit__(None, None, None)
            out[name]["merge_s"] = time.perf_counter() - t0
    for r in out.values():
        r["ingest_s"] += r["merge_s"]
        r["papers_per_s"] = r["papers"] / r["ingest_s"] if r["ingest_s"] else math.nan
        r["generate_s"] = generate_s
        r["wall_s"] = time.perf_counter() - wall
        r["rss_before_mb"] = rss_before / 1024
        r["rss_growth_mb"] = (max(peak_rss_kb(), rss_kb()) - rss_before) / 1024
    return out
