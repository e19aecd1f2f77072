"""What every benchmark shares: the one percentile definition and the results file it leaves behind.

    from bench.results import percentile, row, save

    rows = [row("keyword search p99", 8.1, "ms", target="<= 10", baseline=12.4, ok=8.1 <= 10)]
    save("store", "SQLite store, 100,000 papers", "python -m bench.store", rows)

``save`` writes ``bench/results/<name>.json``: the title, the command that produced it, the rows
(``metric, value, unit, target, baseline, ratio, pass``), the machine and the date. ``python -m
bench.report`` turns those files into the README's Performance section.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
FIELDS = ("metric", "value", "unit", "target", "baseline", "ratio", "pass")


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile: the smallest value with at least ``p`` % of the values at or below it
    (p99 of 100 values is the 99th smallest, of 1,000 the 990th). NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def row(metric: str, value: float | int | None, unit: str = "", *, target: str = "",
        baseline: float | int | None = None, ratio: float | None = None, ok: bool | None = None) -> dict[str, Any]:
    """One result row. ``ratio`` defaults to value / baseline when a baseline is given;
    ``ok`` is None when the row has no target."""
    if ratio is None and baseline and value is not None and not _nan(value):
        ratio = value / baseline
    return {"metric": metric, "value": value, "unit": unit, "target": target, "baseline": baseline,
            "ratio": ratio, "pass": ok}


def _nan(x: Any) -> bool:
    return isinstance(x, float) and (math.isnan(x) or math.isinf(x))


def _clean(x: Any) -> Any:
    """JSON has no NaN/inf: they become None."""
    if _nan(x):
        return None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    return x


def machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "cpu": _cpu_name(),
        "cpus": os.cpu_count(),
        "load_1m": round(load[0], 2) if load else None,
    }


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def save(name: str, title: str, command: str, rows: Sequence[dict[str, Any]], *,
         notes: Sequence[str] = (), directory: Path | None = None) -> Path:
    """Write ``<directory or bench/results>/<name>.json`` and return its path.

    Each row needs ``metric`` and ``value``; the other fields of :data:`FIELDS` default to empty."""
    out = []
    for r in rows:
        if "metric" not in r or "value" not in r:
            raise ValueError(f"a result row needs metric and value: {r!r}")
        out.append({f: r.get(f, "" if f in ("unit", "target") else None) for f in FIELDS})
    doc = {
        "name": name,
        "title": title,
        "command": command,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "argv": sys.argv,
        "notes": list(notes),
        "rows": out,
    }
    path = (directory or RESULTS_DIR) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_clean(doc), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load(name: str, directory: Path | None = None) -> dict[str, Any] | None:
    """A saved result, or None when that benchmark has not been run (or its file is unreadable)."""
    path = (directory or RESULTS_DIR) / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
