"""bench.results (one percentile, one results format) and bench.report (the README section from them)."""

from __future__ import annotations

import json
import math

from bench import report
from bench.results import load, percentile, row, save


def test_percentile_is_nearest_rank():
    assert percentile(list(range(1, 101)), 99) == 99
    assert percentile(list(range(1000, 0, -1)), 99) == 990
    assert percentile([5.0], 50) == 5.0
    assert math.isnan(percentile([], 99))


def test_saved_rows_carry_their_baseline_ratio_and_machine(tmp_path):
    path = save("demo", "Demo bench", "python -m bench.demo", [
        row("p99", 8.0, "ms", target="<= 10", baseline=16.0, ok=True),
        row("empty", math.nan, "ms"),
    ], directory=tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))  # strict JSON: no NaN
    assert data["rows"][0] == {"metric": "p99", "value": 8.0, "unit": "ms", "target": "<= 10",
                              "baseline": 16.0, "ratio": 0.5, "pass": True}
    assert data["rows"][1]["value"] is None
    assert data["machine"]["cpus"] and data["date"]
    assert load("demo", tmp_path) == data and load("missing", tmp_path) is None


def test_report_rewrites_only_between_the_markers_and_names_benchmarks_not_run(tmp_path):
    save("store", "SQLite store: 10 papers", "python -m bench.store --papers 10", [
        row("keyword search p99", 12.5, "ms", target="<= 10", ok=False),
        row("ingest: ours / layout before 0012", 1.4, "x", target=">= 1.3x", ok=True),
    ], directory=tmp_path)
    (tmp_path / "alerts.json").write_text("{not json", encoding="utf-8")  # unreadable: as if not run
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n## Performance\n\nintro\n\n{report.START}\nold numbers\n{report.END}\n\n## Deploy\n",
                      encoding="utf-8")
    assert report.main(["--readme", str(readme), "--results", str(tmp_path)]) == 0
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# x\n\n## Performance\n\nintro\n\n" + report.START)
    assert text.endswith(report.END + "\n\n## Deploy\n") and "old numbers" not in text
    assert "| keyword search p99 | 12.5 ms | <= 10 |  |  | **miss** |" in text
    assert "| ingest: ours / layout before 0012 | 1.40× | >= 1.3x |  |  | pass |" in text
    assert "*Not run:* no `bench/results/alerts.json` yet." in text
    assert "*Not run:* no `bench/results/fanout_slack.json` yet." in text
    assert report.main(["--readme", str(readme), "--results", str(tmp_path), "--check"]) == 0


def test_the_readme_has_the_markers():
    text = (report.ROOT / "README.md").read_text(encoding="utf-8")
    assert text.index(report.START) < text.index(report.END)
    assert text.index("## Performance") < text.index(report.START)
