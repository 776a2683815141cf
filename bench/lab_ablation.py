"""The lab ablation as a benchmark: Orca 2's claim in miniature, and what each stage costs.

Runs `cautious run --preset lab` (the README's main job) in a fresh folder and reports, per
student and system message: held-out average accuracy with its 95% interval, tokens per
answer, agreement with the strategy `select` chose, and the cautious student minus each
other student (paired bootstrap 95% interval: beats / ties within the interval / loses);
then the probe's score matrix, the wall time of every stage and the verdict on the target:

    the erased cautious student beats every single-strategy student by the paired interval
    and is >= each by point estimate, beats the student that kept its instructions, reaches
    >= 50% average accuracy, spends <= 1.1x its selection's own answer length (the floor), and
    answers in the selected strategy's shape >= 95% of the time; per seed, the probe is
    competent (>= 60% dev) on every family and >= 2 distinct strategies are selected.

    python bench/lab_ablation.py                    # the lab preset, <= 12 minutes on 2 AVX2-only cores
    python bench/lab_ablation.py --seeds 3          # seeds 0, 1, 2: mean ± sd, claim per seed
    python bench/lab_ablation.py --budgets 0.5,1,2  # a learning curve: probe and student steps scaled
    python bench/lab_ablation.py --preset smoke     # ~1 minute, to try the script

Writes bench/results/lab_ablation.json: seed 0's full summary (the `make run` result) under
`summary`, every seed's under `seeds`, mean ± sd over seeds under `across_seeds`, and with
`--budgets` one summary per budget under `budgets` (the gap between students at each).
Timings depend on the machine and on what else runs on it; accuracies are seeded. So the JSON
also says how fast the host was: right after the runs, 60 probe steps of 8 rows on seed 0's
probe data are timed (`machine.speed`) against the same step on the machine that set the
12-minute budget, and seed 0's wall is restated at that machine's speed
(`wall_seconds_at_reference_speed`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


#: The x86 vector/matrix units that decide how fast torch's fp32 and bf16 kernels run here.
CPU_UNITS = frozenset({"avx2", "avx512f", "avx512_bf16", "amx_tile", "amx_bf16"})


def cpu_description() -> dict:
    """The CPU's model name and the vector/matrix units torch can use: the same 2 cores ran the
    preset in 13-15 minutes on one Xeon and in 5.5 on another with AMX, so a wall time means
    little without them. Empty where /proc/cpuinfo is not there (not Linux); ARM's cpuinfo has
    no "model name", so the platform's name stands in."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    fields = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in text.splitlines() if ":" in line)}
    model = fields.get("model name") or fields.get("Model") or fields.get("Hardware") or platform.processor() or platform.machine()
    flags = set(fields.get("flags", "").split())
    return {"cpu_model": model, "cpu_units": sorted(flags & CPU_UNITS)}


def library_versions() -> dict:
    """The versions of the libraries whose kernels and model code the numbers went through.
    constraints.txt pins torch, transformers and tokenizers for `make setup`, but a run may come
    from any environment, and a seed's numbers can move with any of these: a comparison between
    two hosts must know whether they differed (README, five seeds on two CPUs)."""
    from importlib import metadata

    found = {}
    for name in ("transformers", "tokenizers", "numpy", "peft", "accelerate", "safetensors"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


#: The lab probe's step of 8 packed 256-token rows on the 2-core AVX2-only machine that set
#: `make run`'s 12-minute budget (its probe ran at ~0.19 s a step there). A wall time here times
#: (that / this host's own step) is what the run would have taken on that machine.
REFERENCE_8ROW_STEP_S = 0.19


def host_speed(cfg, folder: Path, steps: int) -> dict | None:
    """Time `steps` probe steps of 8 rows on `folder`'s own probe data, right after its run.

    Why: a timing is only comparable with a budget if one knows how fast the host was at the
    time; the same 2-core VM ran the same probe step from 0.09 to 0.15 s within a day (other
    tenants). The step is the probe's (same model shape, data, 2 threads) at 8 rows, the shape
    the budget's reference machine was measured in. None when the run trained no probe."""
    import statistics
    import tempfile

    from cautious.run.pipeline import validate_train_settings
    from cautious.train import train

    data = folder / "probe-data" / "train.jsonl"
    if cfg.probe is not None or not data.exists():
        return None
    facts = folder / "data" / "facts.txt"
    mix = [str(facts)] * cfg.knowledge_mix if cfg.knowledge and facts.exists() and facts.stat().st_size else []
    with tempfile.TemporaryDirectory() as tmp:
        settings = {**cfg.train, "seed": cfg.seed, "batch_size": 8, "micro_batch_size": 8, "output_dir": tmp, "progress": False,
                    "save_every": 0, "stages": [{"name": "strategies", "datasets": [str(data), *mix], "max_steps": steps}]}
        train(validate_train_settings(settings), overwrite=True, log=lambda *a, **k: None)
        seconds = [json.loads(line)["step_s"] for line in (Path(tmp) / "metrics.jsonl").read_text().splitlines()]
    step = statistics.median(seconds[1:] or seconds)  # the first step warms the kernels up
    return {"probe_8row_step_s": round(step, 4), "steps": steps, "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "reference_8row_step_s": REFERENCE_8ROW_STEP_S, "reference_over_host": round(REFERENCE_8ROW_STEP_S / step, 3)}


def print_seed(summary: dict, conds: list[str], wall: float) -> None:
    from cautious.run.summary import verdict_lines

    for cond in conds:
        print(f"\nsystem message `{cond}`: accuracy % [95% CI] / tokens per answer / agreement % / cautious minus it [95% CI]")
        for name, s in summary["students"].items():
            v = s["conditions"][cond]
            cmp = summary["comparisons"].get(cond, {}).get(name)
            diff = "" if cmp is None else f"{100 * cmp['difference']:+6.1f} [{100 * cmp['interval'][0]:+.1f}, {100 * cmp['interval'][1]:+.1f}] {cmp['verdict']}"
            print(f"  {name:<21}{s['strategy']:<15}{100 * v['accuracy']:6.1f} [{100 * v['interval'][0]:5.1f}, {100 * v['interval'][1]:5.1f}]"
                  f"{v['tokens']:7.1f}{100 * v['agreement']:7.1f}   {diff}")
    print("\nprobe score matrix on dev (accuracy %, tokens):")
    for task, row in summary["score_matrix"].items():
        cells = "  ".join(f"{s}: {100 * c['accuracy']:.1f} ({c['tokens']:.0f})" for s, c in row.items())
        print(f"  {task:<12} selected {summary['selected'][task]:<17} {cells}")
    rounds = summary.get("probe_rounds")
    if rounds is not None:
        print(f"probe rounds past its own steps: {rounds['rounds']} (checks: "
              + "; ".join(" ".join(f"{t} {100 * v:.0f}" for t, v in c["best"].items()) for c in rounds["checks"]) + ")")
    print("\nstage wall times (s):")
    for stage, sec in summary["stage_seconds"].items():
        print(f"  {stage:<30}{sec:>8.1f}")
    print(f"  {'total (stages as run)':<30}{summary['wall_seconds']:>8.1f}")
    print(f"  {'this process':<30}{wall:>8.1f}\n")
    for line in verdict_lines(summary):
        print(line.replace("**", ""))


def across(seeds: list[dict], conds: list[str]) -> dict:
    """Mean ± sd over seeds of each student's accuracy, tokens and agreement; claim per seed."""
    def ms(xs: list[float]) -> dict:
        return {"mean": statistics.fmean(xs), "sd": statistics.stdev(xs) if len(xs) > 1 else 0.0, "values": xs}

    first = seeds[0]["summary"]
    out: dict = {"seeds": [s["seed"] for s in seeds], "students": {}, "claim_holds": {}}
    for name in first["students"]:
        out["students"][name] = {
            cond: {k: ms([s["summary"]["students"][name]["conditions"][cond][k] for s in seeds]) for k in ("accuracy", "tokens", "agreement")}
            for cond in conds
        }
    checks = ("beats_every_single_strategy_student", "not_beaten_by_any_single_strategy_student",
              "accuracy_at_least_every_single_strategy_student", "beats_no_erasure_student", "accuracy_at_least_50",
              "tokens_at_most_1.1_of_selection_floor", "agreement_at_least_95")
    out["checks_holding"] = {}
    for cond in conds:
        verdicts = [s["summary"]["verdict"].get(cond, {}) for s in seeds]
        holds = [bool(v.get("claim_holds")) for v in verdicts]
        out["claim_holds"][cond] = {"seeds_holding": sum(holds), "of": len(holds), "per_seed": holds}
        # which part of the claim holds in how many seeds: a claim that fails one check in
        # every seed reads differently from one that fails a different check in each
        out["checks_holding"][cond] = {k: sum(bool(v.get(k)) for v in verdicts) for k in checks}
    out["selected"] = [s["summary"]["selected"] for s in seeds]
    # The seed-level targets beside the per-condition checks: a competent probe on
    # every family (best dev strategy >= 60%) and at least two distinct strategies selected.
    competence = [s["summary"].get("probe_competence", {}) for s in seeds]
    out["probe_competent"] = {"seeds_holding": sum(bool(c.get("all")) for c in competence), "of": len(seeds),
                              "best_per_task": [c.get("best", {}) for c in competence]}
    # choice 26: how many rounds each seed's probe trained past its own steps (0: the first check passed)
    out["probe_rounds"] = [(s["summary"].get("probe_rounds") or {}).get("rounds") for s in seeds]
    distinct = [len(set(s["summary"]["selected"].values())) for s in seeds]
    out["distinct_strategies"] = {"seeds_with_at_least_2": sum(d >= 2 for d in distinct), "of": len(seeds), "per_seed": distinct}
    out["wall_seconds"] = ms([s["summary"]["wall_seconds"] for s in seeds])  # stage seconds as run, also for reused stages
    return out


def seed_count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number of seeds, at least 1")
    return int(text)


def budget_list(text: str) -> list[float]:
    """`--budgets 0.5,1,2`: positive step multipliers; anything else is one argparse error line."""
    try:
        values = [float(b) for b in text.split(",") if b.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected comma-separated numbers, e.g. 0.5,1,2") from None
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: every budget must be a number above 0")
    return values


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="lab")
    ap.add_argument("--seeds", type=seed_count, default=1, help="run seeds 0..N-1 (N > 1: mean ± sd across seeds)")
    ap.add_argument("--budgets", type=budget_list, default=[1.0], help="comma-separated multipliers of the preset's probe and student steps (seed 0)")
    ap.add_argument("--work", type=Path, default=ROOT / "runs" / "bench-lab", help="run folder (emptied first; one subfolder per seed)")
    ap.add_argument("--keep", action="store_true", help="reuse finished stages in --work instead of starting fresh")
    ap.add_argument("--out", type=Path, default=None, help="JSON result (default bench/results/lab_ablation[-PRESET].json)")
    ap.add_argument("--smoke", action="store_true", help="the cheapest path: the smoke preset at toy sizes, seconds (tests/test_bench_smoke.py)")
    a = ap.parse_args()

    import torch
    from rich.console import Console

    from cautious.run import load_run_config
    from cautious.run import run as run_pipeline

    if a.work.exists() and not a.keep:
        shutil.rmtree(a.work)
    load_before = os.getloadavg()
    budgets = a.budgets
    base = load_run_config(preset="smoke" if a.smoke else a.preset)
    if a.smoke:  # every stage and summary of the real thing, at sizes that only check the script still runs
        base = base.model_copy(update={"probe_examples": 4, "select_examples": 2, "train_examples": 4, "test_examples": 2,
                                       "probe_steps": 2, "steps": 1, "curve_points": 0, "max_new_tokens": 24,
                                       "students": base.students[:2]})
    jobs = [(seed, 1.0) for seed in range(a.seeds)] + [(0, b) for b in budgets if b != 1.0]
    runs, curve = [], []
    for seed, budget in jobs:
        cfg = base.model_copy(update={"seed": seed, "steps": max(1, round(base.steps * budget)),
                                      "probe_steps": max(1, round((base.probe_steps or base.steps) * budget))})
        folder = a.work / (f"seed{seed}" if budget == 1.0 else f"budget{budget:g}")
        started = time.perf_counter()
        summary = run_pipeline(cfg, str(folder), console=Console(stderr=True))
        wall = time.perf_counter() - started
        print(f"\n=== lab ablation, preset {a.preset}, seed {seed}, budget {budget:g}x: {wall:.0f} s ===")
        print_seed(summary, cfg.systems, wall)
        # wall_seconds: the stages' own seconds as they ran (also for stages --keep reused, where
        # this process's time would be a few seconds); process_seconds: this call, as timed here
        row = {"seed": seed, "budget": budget, "probe_steps": cfg.probe_steps, "steps": cfg.steps,
               "wall_seconds": summary["wall_seconds"], "process_seconds": round(wall, 1),
               "config": cfg.model_dump(mode="json"), "summary": summary}
        (runs if budget == 1.0 else curve).append(row)
    # How fast this host was, measured after the runs on seed 0's probe data. A failure here
    # must not cost the runs' results (they are written below either way).
    from cautious.errors import UserError

    try:
        speed = host_speed(base.model_copy(update={"seed": 0}), a.work / "seed0", 3 if a.smoke else 60) if runs else None
    except (UserError, OSError, RuntimeError) as exc:
        print(f"\nhost speed: not measured ({exc})")
        speed = None
    # The reference step is the lab probe's shape: restating any other model's wall by it means nothing.
    at_reference = round(runs[0]["wall_seconds"] * speed["reference_over_host"], 1) if speed and a.preset == "lab" and not a.smoke else None
    if speed:
        print(f"\nhost speed: a probe step of 8 rows took {speed['probe_8row_step_s']:.3f} s here"
              + (f", {REFERENCE_8ROW_STEP_S} s on the budget's reference machine: seed 0's {runs[0]['wall_seconds']:.0f} s "
                 f"are ~{at_reference:.0f} s there" if at_reference is not None else ""))
    if curve:  # any budget other than 1x was run: the curve includes seed 0 at 1x
        curve = sorted(curve + [runs[0]], key=lambda r: r["budget"])

    result = {
        "benchmark": "lab_ablation", "when": time.strftime("%Y-%m-%dT%H:%M:%S"), "preset": a.preset,
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(), **cpu_description(),
                    # set to AVX2 to time an AVX-512/AMX CPU as an AVX2-only one (README)
                    "isa_limits": {k: os.environ.get(k) for k in ("MKL_ENABLE_INSTRUCTIONS", "ONEDNN_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY")},
                    "load_average_before": [round(x, 2) for x in load_before], "load_average_after": [round(x, 2) for x in os.getloadavg()],
                    "python": sys.version.split()[0], "torch": torch.__version__, "libraries": library_versions(), "speed": speed},
        "wall_seconds": runs[0]["wall_seconds"],
        "wall_seconds_at_reference_speed": at_reference, "config": runs[0]["config"], "summary": runs[0]["summary"],
    }  # fmt: skip
    if curve:
        result["budgets"] = [{k: r[k] for k in ("budget", "probe_steps", "steps", "wall_seconds", "process_seconds", "summary")} for r in curve]
        print("\n=== learning curve (seed 0): budget, probe steps, student steps | cautious minus each student, points [95% CI] ===")
        for r in curve:
            for cond, cmp in r["summary"]["comparisons"].items():
                cells = "  ".join(f"{n}: {100 * v['difference']:+.1f} [{100 * v['interval'][0]:+.1f}, {100 * v['interval'][1]:+.1f}]"
                                  for n, v in cmp.items())
                acc = 100 * r["summary"]["students"]["cautious"]["conditions"][cond]["accuracy"]
                print(f"  {r['budget']:g}x ({r['probe_steps']}, {r['steps']}) [{cond}] cautious {acc:.1f}%  {cells}")
    if a.seeds > 1:
        conds = runs[0]["config"]["systems"]
        result["seeds"] = [{k: r[k] for k in ("seed", "wall_seconds", "process_seconds", "summary")} for r in runs]
        result["across_seeds"] = agg = across(runs, conds)
        print(f"\n=== across seeds {agg['seeds']}: mean ± sd ===")
        for name, by_cond in agg["students"].items():
            cells = "  ".join(f"[{c}] acc {100 * v['accuracy']['mean']:.1f} ± {100 * v['accuracy']['sd']:.1f}, tok {v['tokens']['mean']:.1f}, "
                              f"agree {100 * v['agreement']['mean']:.1f}" for c, v in by_cond.items())
            print(f"  {name:<21}{cells}")
        for cond, h in agg["claim_holds"].items():
            parts = ", ".join(f"{k} {n}/{h['of']}" for k, n in agg["checks_holding"][cond].items())
            print(f"  claim holds under `{cond}` in {h['seeds_holding']} of {h['of']} seeds ({parts})")
        pc, ds = agg["probe_competent"], agg["distinct_strategies"]
        print(f"  probe competent on every family in {pc['seeds_holding']} of {pc['of']} seeds; "
              f">= 2 distinct strategies selected in {ds['seeds_with_at_least_2']} of {ds['of']}")
        if any(r is not None for r in agg.get("probe_rounds", [])):
            print(f"  probe rounds past its own steps, per seed: {agg['probe_rounds']}")
    out = a.out or RESULTS / ("lab_ablation.json" if a.preset == "lab" else f"lab_ablation-{a.preset}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
