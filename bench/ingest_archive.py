"""Ingest benchmark: a real-sized archive of Korean daily digests in every format the digest has used.

    python -m bench.ingest_archive [--files 350] [--papers 5000] [--seed 0] [--json]

Writes ``--files`` daily Markdown files (``--papers`` papers in all, ``bench.synth`` text) into
a temporary folder, each day in one of the format variants of issue 11 (plain bullet
summaries, ``***labels***`` with curly apostrophes and Korean labels, soft-wrapped and
numbered continuation lines, list literals, videos, ``/papers/`` links and two headers,
broken labels; some insecure thumbnails and bad vote counts, as real files have). Then:

* ``parse``: every file through :func:`bot.digest_markdown.parse_file`; the baseline is
  the same papers written in the canonical format, parsed in the same run;
* ``ingest``: the parsed digests into a fresh SQLite store through its public API
  (``bulk()`` + ``ingest()``, as ``paperbot ingest`` does);
* ``linear``: one soft-wrapped section of 1/2/4/8 MB, parse time per MB (the old parser
  was quadratic: 1.4/3/16/75 s).

Prints a table (or ``--json``): files, papers, parse seconds, ingest papers/s, warnings by
cause, and the ratios against the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import synth
from bench.results import row, save
from bot.digest_markdown import parse, parse_file, render
from bot.models import Digest, Paper, ParseResult
from storage.sqlite import SQLiteStore

err = Console(stderr=True)
TARGET_RATIO = 3.0  # variant archive parse time / canonical archive parse time, at most
TARGET_LINEAR = 2.0  # (8 MB seconds / 8) / (1 MB seconds / 1), at most


# -- the variants: one writer per format the Korean digest has used --------------------------------------------------
def _head(p: Paper, *, image: bool = True, vote: bool = True, authors: str | None = None) -> list[str]:
    out = [f"### [{p.title}]({p.url})", ""]
    if image and p.thumbnail:
        out += [f"![]({p.thumbnail})", ""]
    if vote:
        out += [f"Vote: {'-' if p.votes is None else p.votes}", ""]
    if p.authors:
        out += [f"Authors: {authors if authors is not None else ', '.join(p.authors)}", ""]
    return out


def _sentences(text: str) -> list[str]:
    return [s.strip() + ("" if s.strip().endswith(".") else ".") for s in text.split(". ") if s.strip()]


def plain_bullets(d: Digest, rng: random.Random) -> str:
    out = [f"## Daily Papers ({d.date})", ""]
    for p in d.papers:
        bare = rng.random() < 0.2  # early files: no vote, authors or image line
        out += _head(p, image=not bare, vote=not bare) if not bare else [f"### [{p.title}]({p.url})", ""]
        for i, s in enumerate(_sentences(" ".join(t for _, t in p.sections))):
            out.append(f"   - ({i}) {s}" if i % 3 == 2 else f"- {s}")
        out.append("")
    return "\n".join(out)


def bold_italic(d: Digest, rng: random.Random) -> str:
    out = [f"## Daily Papers ({d.date})", ""]
    for p in d.papers:
        out += _head(p)
        for name, text in p.sections:
            name = name.replace("'", "\u2019") if rng.random() < 0.3 else name
            style = rng.choice(("***{}***: ", "**{}**: ", "**{}:** "))
            out.append("- " + style.format(name) + text)
        if rng.random() < 0.3:
            out.append(f"- **{rng.choice(['비전 인코더 (Vision Encoder)', '고찰', 'Limitations'])}**: 추가 설명입니다.")
        out.append("")
    return "\n".join(out)


def continuations(d: Digest, rng: random.Random) -> str:
    out = [f"## Daily Papers ({d.date})", ""]
    for p in d.papers:
        out += _head(p)
        for name, text in p.sections:
            words = text.split(" ")
            out.append(f"- ***{name}***: " + " ".join(words[:8]))
            for k in range(8, len(words), 8):  # soft-wrapped, some lines indented
                out.append(("    " if k % 16 else "") + " ".join(words[k: k + 8]))
            out.append("1) 첫째 항목입니다.")
            out.append("2. **Tokenizer**: 둘째 항목입니다.")
        out.append("")
    return "\n".join(out)


def list_literals(d: Digest, rng: random.Random) -> str:
    out = [f"## Daily Papers ({d.date})", ""]
    for p in d.papers:
        names = [*p.authors, p.authors[0]] if p.authors else []
        out += _head(p, authors=repr(names) if names else None)
        for name, text in p.sections:
            out.append(f"- **{name}**: {text}")
        out.append(f"- **Contributions**: {_sentences(p.sections[0][1])[:3]!r}" if p.sections else "")
        out.append("")
    return "\n".join(out)


def media(d: Digest, rng: random.Random) -> str:
    out = [f"## Daily Papers ({d.date})", ""]
    forms = ('[Watch Video]({})', '<div><video controls src="{}" muted="false"></video></div>',
             "<video src='{}'></video>", "[Watch Video]{}")
    for p in d.papers:
        out += [f"### [{p.title}]({p.url})", "", rng.choice(forms).format(
            f"https://cdn-uploads.huggingface.co/production/uploads/{p.arxiv_id}.mp4"), ""]
        out += _head(p, image=False)[2:]
        for name, text in p.sections:
            out.append(f"- ***{name}***: {text}")
        out.append("")
    return "\n".join(out)


def relative_links(d: Digest, rng: random.Random) -> str:
    out = [f"## Daily Papers ({d.date})", ""]
    half = len(d.papers) // 2
    for i, p in enumerate(d.papers):
        if i == half:
            out += [f"## Daily Papers ({d.date})", ""]
        thumb = "/avatars/05abee0b6317f100923936ca2099e9eb.svg" if i % 4 == 0 else p.thumbnail
        out += [f"### [{p.title}](/papers/{p.arxiv_id})", "", f"![]({thumb})", ""]
        out += _head(p, image=False)[2:]
        for name, text in p.sections:
            out.append(f"- **{name}**: {text}")
        out.append("")
    return "\n".join(out)


def broken_and_noisy(d: Digest, rng: random.Random) -> str:
    out = [f"## Daily Papers ({d.date})", ""]
    for p in d.papers:
        head = _head(p)
        if rng.random() < 0.3:  # the kinds of problems real files have: warned, never fatal
            head = [line.replace("https://cdn-thumbnails", "http://cdn-thumbnails") for line in head]
        if rng.random() < 0.1:
            head = [line if not line.startswith("Vote:") else "Vote: many" for line in head]
        out += head
        for i, (name, text) in enumerate(p.sections):
            if i == 1:
                out.append(f"- ***{name}*: {text} **: 3.2")
            else:
                out.append(f"- ***{name}***: {text}")
        out.append("")
    return "\n".join(out)


VARIANTS: dict[str, Callable[[Digest, random.Random], str]] = {
    "plain bullets": plain_bullets,
    "bold-italic labels": bold_italic,
    "continuations": continuations,
    "list literals": list_literals,
    "media": media,
    "relative links": relative_links,
    "broken labels": broken_and_noisy,
}


# -- the run --------------------------------------------------------------------------------------------------------
def write_archive(folder: Path, files: int, papers: int, seed: int) -> tuple[list[Path], list[Path], list[str]]:
    """The variant archive and the same papers in canonical form; the variant of each file."""
    rng = random.Random(seed)
    gen = synth.Generator(seed)
    digests = list(gen.digests(papers, per_digest=max(11, round(papers / files))))
    kinds = list(VARIANTS)
    (folder / "variants").mkdir()
    (folder / "canonical").mkdir()
    variant_paths, canonical_paths, used = [], [], []
    for i, digest in enumerate(digests):
        kind = kinds[i % len(kinds)]
        name = f"{digest.date.isoformat()}.md"
        (folder / "variants" / name).write_text(VARIANTS[kind](digest, rng), encoding="utf-8")
        (folder / "canonical" / name).write_text(render(digest), encoding="utf-8")
        variant_paths.append(folder / "variants" / name)
        canonical_paths.append(folder / "canonical" / name)
        used.append(kind)
    return variant_paths, canonical_paths, used


def timed_parse(paths: list[Path]) -> tuple[float, list[ParseResult]]:
    start = time.perf_counter()
    results = [parse_file(p) for p in paths]
    return time.perf_counter() - start, results


async def timed_ingest(db: Path, results: list[ParseResult], paths: list[Path]) -> float:
    store = await SQLiteStore.open(db)
    try:
        start = time.perf_counter()
        async with store.bulk():
            for result, path in zip(results, paths, strict=True):
                if result.digest is not None:
                    await store.ingest(result.digest, source=str(path))
        return time.perf_counter() - start
    finally:
        await store.close()


def linear_check(sizes_mb: tuple[int, ...] = (1, 2, 4, 8)) -> dict[int, float]:
    out = {}
    line = "추론 단계를 선호 최적화의 단위로 다루는 방법을 제안합니다 step by step reasoning"
    for mb in sizes_mb:
        count = mb * 1_000_000 // (len(line.encode()) + 1)
        text = ("## Daily Papers (2024-07-11)\n### [Long](https://arxiv.org/abs/2407.00011)\n- **Technical Details**: "
                + "\n".join(line for _ in range(count)) + "\n")
        start = time.perf_counter()
        result = parse(text, "long.md", max_bytes=len(text.encode()) + 1)
        out[mb] = time.perf_counter() - start
        assert result.digest is not None and len(result.digest.papers) == 1
    return out


def run(files: int, papers: int, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="paperbot-ingest-") as tmp:
        folder = Path(tmp)
        err.print(f"writing {files} files, ~{papers} papers …")
        variant_paths, canonical_paths, kinds = write_archive(folder, files, papers, seed)
        err.print("parsing …")
        base_s, base_results = timed_parse(canonical_paths)
        parse_s, results = timed_parse(variant_paths)
        err.print("ingesting …")
        base_ingest_s = asyncio.run(timed_ingest(folder / "canonical.db", base_results, canonical_paths))
        ingest_s = asyncio.run(timed_ingest(folder / "variants.db", results, variant_paths))
        size = sum(p.stat().st_size for p in variant_paths)
    n_papers = sum(len(r.digest.papers) for r in results if r.digest is not None)
    n_base = sum(len(r.digest.papers) for r in base_results if r.digest is not None)
    causes = Counter(p.cause or p.message for r in results for p in r.problems)
    no_summary = sum(1 for r in results if r.digest for p in r.digest.papers if not p.sections)
    err.print("parsing 1/2/4/8 MB sections …")
    linear = linear_check()
    return {
        "files": len(variant_paths), "papers": n_papers, "canonical_papers": n_base, "megabytes": size / 1e6,
        "variants": dict(Counter(kinds)), "parse_s": parse_s, "baseline_parse_s": base_s,
        "parse_ratio": parse_s / base_s, "ingest_s": ingest_s, "ingest_papers_per_s": n_papers / ingest_s,
        "baseline_ingest_papers_per_s": n_base / base_ingest_s, "warnings_by_cause": dict(causes.most_common()),
        "papers_without_summary": no_summary,
        "linear_s": {f"{mb} MB": s for mb, s in linear.items()},
        "linear_ratio": (linear[8] / 8) / (linear[1] / 1),
    }


def rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    """The results file's rows (:mod:`bench.results`)."""
    lin = r["linear_s"]
    return [
        row("parse, every format variant", r["parse_s"], "s", target=f"<= {TARGET_RATIO}x baseline",
            baseline=r["baseline_parse_s"], ok=r["parse_ratio"] <= TARGET_RATIO),
        row("papers parsed (baseline: canonical format)", r["papers"], "papers", baseline=r["canonical_papers"],
            ok=r["papers"] == r["canonical_papers"]),
        row("ingest", r["ingest_papers_per_s"], "papers/s", baseline=r["baseline_ingest_papers_per_s"]),
        row("papers without a summary", r["papers_without_summary"], "papers"),
        row("warnings", sum(r["warnings_by_cause"].values()), ""),
        row("parse of one soft-wrapped 8 MB section", lin["8 MB"], "s", baseline=lin["1 MB"] * 8,
            target=f"<= {TARGET_LINEAR}x linear", ok=r["linear_ratio"] <= TARGET_LINEAR),
    ]


def table(r: dict[str, Any]) -> Table:
    t = Table(title="paperbot ingest: a real-sized archive in every digest format")
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_column("baseline (canonical format, same run)", justify="right")
    t.add_column("ratio / target", justify="right")
    ok = "✓" if r["parse_ratio"] <= TARGET_RATIO else "✗ MISS"
    t.add_row("files", str(r["files"]), str(r["files"]), "")
    t.add_row("papers", f"{r['papers']:,}", f"{r['canonical_papers']:,}", "same" if r["papers"] == r["canonical_papers"]
              else "✗ DIFFER")
    t.add_row("archive size", f"{r['megabytes']:.1f} MB", "", "")
    t.add_row("parse", f"{r['parse_s']:.2f} s", f"{r['baseline_parse_s']:.2f} s",
              f"{r['parse_ratio']:.2f}× (≤ {TARGET_RATIO}) {ok}")
    ours, base = r["ingest_papers_per_s"], r["baseline_ingest_papers_per_s"]
    t.add_row("ingest", f"{ours:,.0f} papers/s", f"{base:,.0f} papers/s", f"{ours / base:.2f}×")
    t.add_row("papers without a summary", str(r["papers_without_summary"]), "", "")
    for cause, n in r["warnings_by_cause"].items():
        t.add_row(f"warnings: {cause}", f"{n:,}", "", "")
    lin = r["linear_s"]
    ok = "✓" if r["linear_ratio"] <= TARGET_LINEAR else "✗ MISS"
    t.add_row("one soft-wrapped section 1/2/4/8 MB", " / ".join(f"{s:.2f}" for s in lin.values()) + " s",
              "old parser: 1.4 / 3 / 16 / 75 s",
              f"s per MB 8 MB vs 1 MB: {r['linear_ratio']:.2f}× (≤ {TARGET_LINEAR}) {ok}")
    return t


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_archive", description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=350)
    parser.add_argument("--papers", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.files, args.papers, args.seed)
    save("ingest_archive", f"Real-sized archive: {result['papers']:,} papers in {result['files']} daily files of every"
         " format", "python -m bench.ingest_archive " + " ".join(sys.argv[1:] if argv is None else argv), rows(result))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        Console(width=150).print(table(result))
    return 0 if result["parse_ratio"] <= TARGET_RATIO and result["linear_ratio"] <= TARGET_LINEAR else 1


if __name__ == "__main__":
    raise SystemExit(main())
