"""Gold check: every gold answer scores correct and every wrong one wrong, on the real release files.

For each benchmark whose files are in the data folder ($CAUTIOUS_DATA_DIR/<task>/, the layout
`cautious` reads offline, docs/benchmarks.md), every example is loaded by its loader and put
to the scoring invariant (`cautious.evaluate.invariant`): the gold letter, `(X)` and the gold
option's text score correct under strict and flexible extraction, every other option scores
wrong, and the non-answers `The`, `a`, `""`, `none` score wrong (number, yes/no and text
answers: the gold right, a wrong answer and the non-answers wrong). No model is involved.

Printed per task and subset: examples, violations (examples with at least one wrong verdict),
ambiguous (examples with options that cannot be told apart, e.g. a repeated option), judged
(scored by an LLM judge: nothing to check) and irregular (BBH rows scored as free text). The
benchmarks with no folder are listed as not obtained.

Run:     python bench/gold_check.py                          (reads $CAUTIOUS_DATA_DIR)
         python bench/gold_check.py --data-dir tests/fixtures/benchmarks --out /tmp/gold.json
Options: --tasks bbh,agieval (default: every benchmark), --show N violations per task (3),
         --baseline OLD.json (copy another run's counts in, e.g. one made on older code).
Results: bench/results/gold_check.json. Exit status 1 when any example has a violation.
Cost: the 30,826 examples of the 9 benchmarks we could fetch take a few minutes of one core
(MMLU's 14,079 the most; each task's `seconds` are in the results).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results" / "gold_check.json"
COUNTS = ("examples", "violations", "ambiguous", "judged", "irregular")


def benchmarks() -> list[str]:
    from cautious.tasks import registered

    return sorted(name for name, entry in registered().items() if entry.group == "benchmark")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_task(name: str, data_dir: Path, show: int) -> dict:
    """Load one benchmark from `data_dir/<name>` and check every example; a counts row per subset."""
    from cautious.errors import UserError
    from cautious.evaluate.invariant import check_example
    from cautious.tasks import get_task

    (task,) = get_task(name)
    task.path = data_dir / name
    start = time.perf_counter()
    try:
        examples = task.examples("test")
    except UserError as exc:
        return {"status": "unreadable", "error": str(exc)}
    subsets: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    violations: list[str] = []
    ambiguous: dict[str, list[str]] = {}
    for ex in examples:
        check = check_example(ex)
        row = subsets[str(ex.meta.get("subject") or check.subset or "-")]  # MMLU: its 57 subjects
        row["examples"] += 1
        row["violations"] += bool(check.violations)
        row["ambiguous"] += bool(check.ambiguous)
        row["judged"] += check.skipped is not None
        row["irregular"] += "irregular" in ex.meta
        violations += [f"{ex.id}: {v}" for v in check.violations[:2]]
        if check.ambiguous:
            ambiguous[ex.id] = check.ambiguous
    total = {k: sum(s[k] for s in subsets.values()) for k in COUNTS}
    files = sorted({ex.meta["source"] for ex in examples})
    return {
        "status": "checked",
        **total,
        "seconds": round(time.perf_counter() - start, 1),
        "files": {str(Path(f).relative_to(data_dir)): sha256(Path(f)) for f in files},
        "missing_subsets": list(task.missing_subsets),
        "subsets": dict(sorted(subsets.items())),
        "first_violations": violations[:show],
        "ambiguous_examples": ambiguous,
        "irregular_examples": {ex.id: ex.meta["irregular"] for ex in examples if "irregular" in ex.meta},
    }


def commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def print_table(results: dict[str, dict]) -> None:
    print(f"{'task':42} {'examples':>8} {'violations':>10} {'ambiguous':>9} {'judged':>6} {'irregular':>9}")
    for name, r in results.items():
        if r["status"] != "checked":
            print(f"{name:42} {r['status']}" + (f": {r['error']}" if r.get("error") else ""))
            continue
        print(f"{name:42} " + " ".join(f"{r[k]:>{w}}" for k, w in zip(COUNTS, (8, 10, 9, 6, 9))))
        if len(r["subsets"]) > 1:
            for sub, c in r["subsets"].items():
                print(f"  {sub:40} " + " ".join(f"{c[k]:>{w}}" for k, w in zip(COUNTS, (8, 10, 9, 6, 9))))
        for v in r["first_violations"]:
            print(f"    ! {v[:200]}")


def read_baseline(path: Path) -> dict:
    """Another run's counts (per task and subset), kept beside this run's for comparison."""
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
        tasks = old["tasks"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        sys.exit(f"error: --baseline {path}: not a gold_check.json ({type(exc).__name__}: {exc})")
    return {
        "commit": old.get("cautious_commit"),
        "date": old.get("date"),
        "note": old.get("note"),
        "violations": {n: r.get("violations") for n, r in tasks.items() if r.get("status") == "checked"},
        "subsets": {
            n: {s: c["violations"] for s, c in r["subsets"].items()} for n, r in tasks.items() if r.get("status") == "checked"
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=None, help="the benchmarks' folders (default: $CAUTIOUS_DATA_DIR)")
    ap.add_argument("--tasks", default=None, help="comma-separated benchmarks (default: all)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON results (default: {DEFAULT_OUT.relative_to(HERE.parent)})")
    ap.add_argument("--show", type=int, default=3, help="violations printed per task")
    ap.add_argument("--baseline", type=Path, default=None, help="a gold_check.json of another run, copied in as `baseline`")
    ap.add_argument("--note", default=None, help="a line kept in the results (e.g. which code was checked)")
    args = ap.parse_args()
    data_dir = args.data_dir or (Path(os.environ["CAUTIOUS_DATA_DIR"]) if os.environ.get("CAUTIOUS_DATA_DIR") else None)
    if data_dir is None:
        sys.exit("error: no data folder: pass --data-dir DIR or set CAUTIOUS_DATA_DIR (one folder per benchmark, docs/benchmarks.md)")
    if not data_dir.is_dir():
        sys.exit(f"error: --data-dir {data_dir}: not a folder")
    data_dir = data_dir.resolve()
    known = benchmarks()
    names = known if args.tasks is None else [t.strip() for t in args.tasks.split(",") if t.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        sys.exit(f"error: unknown benchmark(s) {', '.join(unknown)}; valid: {', '.join(known)}")
    baseline = read_baseline(args.baseline) if args.baseline else None

    results: dict[str, dict] = {}
    for name in names:
        if not (data_dir / name).exists():
            results[name] = {"status": "not obtained"}
            continue
        results[name] = check_task(name, data_dir, args.show)
    print_table(results)
    checked = {n: r for n, r in results.items() if r["status"] == "checked"}
    totals = {k: sum(r[k] for r in checked.values()) for k in COUNTS}
    not_obtained = [n for n, r in results.items() if r["status"] == "not obtained"]
    print(f"\n{len(checked)} benchmarks checked: {totals['examples']} examples, {totals['violations']} with violations, "
          f"{totals['ambiguous']} ambiguous; not obtained: {', '.join(not_obtained) or 'none'}")

    report = {
        "benchmark": "gold_check",
        "date": datetime.date.today().isoformat(),
        "cautious_commit": commit(),
        "note": args.note,
        "python": platform.python_version(),
        "data_dir": data_dir.name,
        "totals": totals,
        "not_obtained": not_obtained,
        "unreadable": [n for n, r in results.items() if r["status"] == "unreadable"],
        "tasks": results,
    }
    if baseline is not None:
        report["baseline"] = baseline
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    sys.exit(1 if totals["violations"] else 0)


if __name__ == "__main__":
    main()
