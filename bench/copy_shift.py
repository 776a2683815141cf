"""How fast a from-scratch lab-tiny learns to copy, with and without its token shift.

Every lab answer copies from its question, and a ~1M-parameter Llama from scratch learns to
copy late and abruptly. This benchmark isolates that skill: random lists of 3–8 tokens from a
50-token alphabet, then a separator, then the same list; the loss is on the copy only. Both
models are `cautious.train.lab_llama.LabLlamaForCausalLM` at the lab preset's shape (hidden
128, 4 layers, 2 heads), trained with the same seed, data, batch (32) and learning rate
(3e-3, AdamW); `token_shift: 1` is a plain Llama, `4` is lab-tiny's default. Every
`--every` steps it measures greedy exact-match copying on 200 held-out lists (Wilson 95%
interval).

    python bench/copy_shift.py                 # ~4 minutes on 2 cores
    python bench/copy_shift.py --steps 300     # shorter
    python bench/copy_shift.py --smoke --out /tmp/c.json   # seconds: does it still run? (tests/test_bench_smoke.py)

Writes bench/results/copy_shift.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import time
from pathlib import Path

import torch

from cautious.stats import wilson
from cautious.train.lab_llama import LabLlamaConfig, LabLlamaForCausalLM

RESULTS = Path(__file__).resolve().parents[1] / "bench" / "results"
HELD_OUT = {"n": 200}  # held-out lists per measurement (--smoke: a few)
ALPHABET, SEP, END = 50, 50, 51


def sample(rng: random.Random) -> tuple[list[int], int]:
    """(tokens, where the copy starts)."""
    items = [rng.randrange(ALPHABET) for _ in range(rng.randint(3, 8))]
    return items + [SEP] + items + [END], len(items) + 1


def build(token_shift: int) -> LabLlamaForCausalLM:
    torch.manual_seed(0)
    cfg = LabLlamaConfig(token_shift=token_shift, vocab_size=ALPHABET + 2, hidden_size=128, intermediate_size=344,
                         num_hidden_layers=4, num_attention_heads=2, tie_word_embeddings=True, pad_token_id=END,
                         eos_token_id=END, bos_token_id=None)  # fmt: skip
    model = LabLlamaForCausalLM(cfg)
    model.set_attn_implementation("sdpa")
    return model


@torch.no_grad()
def copy_accuracy(model, n: int = 200) -> float:
    n = HELD_OUT["n"]
    model.eval()
    rng, right = random.Random(12345), 0
    for _ in range(n):
        tokens, start = sample(rng)
        prompt = torch.tensor([tokens[:start]])
        out = model.generate(input_ids=prompt, max_new_tokens=len(tokens) - start, do_sample=False, pad_token_id=END, eos_token_id=END)
        right += out[0, start:].tolist() == tokens[start:]
    model.train()
    return right / n


def train(token_shift: int, steps: int, every: int, batch: int) -> dict:
    model = build(token_shift)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, betas=(0.9, 0.95), weight_decay=0.0)
    rng, curve, t0 = random.Random(0), [], time.time()
    for step in range(1, steps + 1):
        rows = [sample(rng) for _ in range(batch)]
        width = max(len(t) for t, _ in rows)
        ids = torch.full((batch, width), END)
        labels = torch.full((batch, width), -100)
        for i, (tokens, start) in enumerate(rows):
            ids[i, : len(tokens)] = torch.tensor(tokens)
            labels[i, start : len(tokens)] = torch.tensor(tokens[start:])
        loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad()
        if step % every == 0:
            acc = copy_accuracy(model)
            lo, hi = wilson(round(acc * HELD_OUT["n"]), HELD_OUT["n"])
            curve.append({"step": step, "loss": round(loss.item(), 4), "copy_accuracy": acc, "interval": [lo, hi]})
            print(f"  token_shift {token_shift}  step {step:4d}  loss {loss.item():.3f}  copy {100 * acc:5.1f}% "
                  f"[{100 * lo:.1f}, {100 * hi:.1f}]  {time.time() - t0:.0f}s", flush=True)  # fmt: skip
    return {"token_shift": token_shift, "curve": curve, "seconds": round(time.time() - t0, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--every", type=int, default=100)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=RESULTS / "copy_shift.json")
    ap.add_argument("--smoke", action="store_true", help="the cheapest path (2 steps, 4 held-out lists): checks the script still runs")
    a = ap.parse_args()
    if a.smoke:
        a.steps, a.every, a.batch, a.threads, HELD_OUT["n"] = 2, 2, 4, 1, 4
    torch.set_num_threads(a.threads)
    runs = [train(shift, a.steps, a.every, a.batch) for shift in (1, 4)]
    print("\nheld-out copy accuracy % by step")
    print(f"{'step':>6}  {'plain (shift 1)':>16}  {'lab-tiny (shift 4)':>19}")
    for plain, shifted in zip(*(r["curve"] for r in runs)):
        print(f"{plain['step']:>6}  {100 * plain['copy_accuracy']:>16.1f}  {100 * shifted['copy_accuracy']:>19.1f}")
    result = {"benchmark": "copy_shift", "steps": a.steps, "batch": a.batch, "threads": a.threads,
              "machine": platform.processor() or platform.machine(), "runs": runs}  # fmt: skip
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=2))
    print(f"\nwrote {a.out}")


if __name__ == "__main__":
    main()
