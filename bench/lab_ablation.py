"""The lab ablation as a benchmark: Orca 2's claim in miniature, and what each stage costs.

Runs `cautious run --preset lab` (the README's main job) in a fresh folder and reports, per
student and system message: held-out average accuracy, tokens per answer, and how often the
student answered in the shape of the strategy `select` chose for the task (agreement); then
the wall time of every stage and the verdict on the target:

    the erased cautious student beats every single-strategy student on average accuracy,
    at fewer tokens per answer than the always-step-by-step student, and picks the selected
    strategy on its own for >= 95% of answers.

    python bench/lab_ablation.py                    # the lab preset, ≤ 15 minutes on 2 cores
    python bench/lab_ablation.py --preset smoke     # ~1 minute, to try the script

Writes bench/results/lab_ablation.json (summary, stage seconds, machine, load average).
Timings depend on the machine and on what else runs on it; accuracies are seeded and do not.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="lab")
    ap.add_argument("--work", type=Path, default=ROOT / "runs" / "bench-lab", help="run folder (emptied first)")
    ap.add_argument("--keep", action="store_true", help="reuse finished stages in --work instead of starting fresh")
    ap.add_argument("--out", type=Path, default=None, help="JSON result (default bench/results/lab_ablation[-PRESET].json)")
    a = ap.parse_args()

    import torch
    from rich.console import Console

    from cautious.run import load_run_config
    from cautious.run import run as run_pipeline
    from cautious.run.summary import verdict_lines

    if a.work.exists() and not a.keep:
        shutil.rmtree(a.work)
    cfg = load_run_config(preset=a.preset)
    load_before = os.getloadavg()
    started = time.perf_counter()
    summary = run_pipeline(cfg, str(a.work), console=Console(stderr=True))
    wall = time.perf_counter() - started

    conds = cfg.systems
    print(f"\nlab ablation, preset {a.preset}: held-out accuracy % / tokens per answer / agreement % per system message")
    print(f"{'student':<22}{'taught':<16}" + "".join(f"{'[' + c + ']':>24}" for c in conds))
    for name, s in summary["students"].items():
        cells = "".join(
            f"{100 * v['accuracy']:>9.1f}{v['tokens']:>7.0f}{100 * v['agreement']:>8.1f}" for v in (s["conditions"][c] for c in conds)
        )
        print(f"{name:<22}{s['strategy']:<16}{cells}")
    print("\nselected strategies: " + ", ".join(f"{t}: {s}" for t, s in summary["selected"].items()))
    print("\nstage wall times (s):")
    for stage, sec in summary["stage_seconds"].items():
        print(f"  {stage:<30}{sec:>8.1f}")
    print(f"  {'total (this process)':<30}{wall:>8.1f}")
    print()
    for line in verdict_lines(summary):
        print(line.replace("**", ""))

    out = a.out or RESULTS / ("lab_ablation.json" if a.preset == "lab" else f"lab_ablation-{a.preset}.json")
    result = {
        "benchmark": "lab_ablation", "when": time.strftime("%Y-%m-%dT%H:%M:%S"), "preset": a.preset,
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "load_average_before": [round(x, 2) for x in load_before], "load_average_after": [round(x, 2) for x in os.getloadavg()],
                    "python": sys.version.split()[0], "torch": torch.__version__},
        "wall_seconds": round(wall, 1),
        "config": cfg.model_dump(mode="json"),
        "summary": summary,
    }  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
