"""The training recipe: one visible loop over progressive stages (nanoGPT-style, on accelerate).

    for stage in stages:                       # e.g. knowledge facts → strategy data
        plan = plan_stage(...)                 # every step's rows, fixed by the seed
        optimizer, scheduler = AdamW, warmup + cosine/linear
        for step in plan[start:]:
            for micro_batch in my share:       # gradient accumulation, DDP-synced on the last
                loss = Σ CE(assistant tokens) · world / (assistant tokens in the whole step)
                backward
            clip, step, log, checkpoint
        export the stage

Loss is a mean over *all* trained tokens of the optimizer step (across micro-batches and
processes), so accumulation and world size do not change the objective. Distribution,
mixed precision (bf16 on GPU, fp32 on CPU) and FSDP/DeepSpeed come from accelerate; nothing
here is home-made distribution.
"""

from __future__ import annotations

import json
import logging
import math
import time
from contextlib import nullcontext
from functools import partial
from pathlib import Path

from cautious.errors import UserError
from cautious.jsonl import atomic_writer
from cautious.paths import check_output_dir, naming
from cautious.train.checkpoint import (
    check_output, clear_output, export_hf, latest_checkpoint, refuse_inputs_in_output, save_checkpoint, truncate_metrics,
)
from cautious.train.config import LAB_TINY, TrainConfig, dump_config
from cautious.train.data import IGNORE, DataStats, Sample, collate, fingerprint, fitting_texts, load_stage_raws, tokenize
from cautious.train.plan import plan_stage, rank_micro_batches
from cautious.train.student import count_params, fit_tokenizer, load_student, wrap_lora, wrap_tokenizer


def lr_factor(step: int, *, warmup: int, total: int, schedule: str, min_ratio: float) -> float:
    """Linear warmup, then cosine or linear decay to `min_ratio` of the peak."""
    if step < warmup:
        return (step + 1) / (warmup + 1)
    if schedule == "constant":
        return 1.0
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    decay = 0.5 * (1 + math.cos(math.pi * progress)) if schedule == "cosine" else 1 - progress
    return min_ratio + (1 - min_ratio) * decay


def make_optimizer(model, cfg: TrainConfig, lr: float, total: int, warmup_ratio: float):
    """AdamW with decay on matrices only (not norms/biases), and its LR schedule."""
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.ndim >= 2], "weight_decay": cfg.weight_decay},
        {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=lr, betas=cfg.adam_betas, eps=cfg.adam_eps)
    warmup = round(warmup_ratio * total)
    fn = partial(lr_factor, warmup=warmup, total=total, schedule=cfg.schedule, min_ratio=cfg.min_lr_ratio)
    return opt, torch.optim.lr_scheduler.LambdaLR(opt, fn)


def make_accelerator(cfg: TrainConfig):
    import torch
    from accelerate import Accelerator
    from accelerate.utils import is_tensorboard_available, is_wandb_available

    for tracker, ok in (("tensorboard", is_tensorboard_available), ("wandb", is_wandb_available)):
        if tracker in cfg.report_to and not ok():
            raise UserError(f"report_to {tracker}: not installed (pip install {tracker})")
    gpu = torch.cuda.is_available()
    precision = cfg.precision if cfg.precision != "auto" else ("bf16" if gpu and torch.cuda.is_bf16_supported() else "fp32")
    return Accelerator(
        cpu=not gpu,
        mixed_precision="bf16" if precision == "bf16" else "no",
        step_scheduler_with_optimizer=False,  # our schedule counts optimizer steps, once each
        log_with=cfg.report_to or None,
        project_dir=str(cfg.output_dir),
    )


def load_data(cfg: TrainConfig, tokenizer, raws) -> tuple[list[list[Sample]], DataStats]:
    stats = DataStats()
    samples = []
    for stage, stage_raws in zip(cfg.stages, raws):
        stage_samples = tokenize(stage_raws, tokenizer, cfg.max_len, stats)
        if not stage_samples:
            raise UserError(f"stage {stage.name or len(samples)}: its datasets hold nothing to train on")
        samples.append(stage_samples)
    return samples, stats


def use_varlen_attention(model) -> str | None:
    """Switch an SDPA model to `cautious.train.attention` for training; None if it cannot."""
    from cautious.train import attention

    if getattr(model.config, "_attn_implementation", None) != "sdpa":
        return None
    try:
        model.set_attn_implementation(attention.register())
    except (ValueError, ImportError, AttributeError):  # a model that does not use the attention interface
        return None
    return attention.NAME


def to_device(batch: dict, device) -> dict:
    """The model inputs of a collated batch (packing indices included) on `device`."""
    out = {k: batch[k].to(device) if batch[k] is not None else None for k in ("input_ids", "position_ids", "attention_mask")}
    if batch["packed"] is not None:
        out["packed"] = {k: v.to(device) if hasattr(v, "to") else v for k, v in batch["packed"].items()}
    return out


def projects_only_kept(model, device) -> bool:
    """Whether `model(..., logits_to_keep=<bool mask>)` returns logits for the masked positions only.

    Why: only assistant tokens carry a loss, yet a plain forward projects every position onto
    the vocabulary. For SmolLM2-135M (49k vocabulary) the LM head is a fifth of the forward
    matmuls, and the (positions × vocabulary) fp32 logits and their softmax are the largest
    tensors of the step; prompts (system message, question) are about half the tokens of lab
    chats, so projecting only trained positions saves that half of the head's work and memory.
    transformers ≥ 5 slices the hidden states with a boolean (batch, length) mask before the
    head; older versions (or models without `logits_to_keep`) fail this probe and keep the
    full projection, so the loss is the same either way.
    """
    import torch

    ids = torch.zeros((1, 2), dtype=torch.long, device=device)
    keep = torch.tensor([[False, True]], device=device)
    try:
        with torch.no_grad():
            logits = model(input_ids=ids, logits_to_keep=keep, use_cache=False).logits
    except Exception:  # noqa: BLE001 - any refusal means: project every position, as before
        return False
    return logits.ndim == 2 and logits.shape[0] == 1


def plan_key(cfg: TrainConfig) -> str:
    """A hash of every setting that shapes the data order, so a resume cannot silently diverge."""
    import hashlib

    keys = ("seed", "max_len", "packing", "batch_size", "epochs", "max_steps", "system_message")
    shape = {k: getattr(cfg, k) for k in keys} | {"stages": [s.model_dump(mode="json", exclude={"lr"}) for s in cfg.stages]}
    return hashlib.sha256(json.dumps(shape, sort_keys=True, default=str).encode()).hexdigest()[:12]


def preview_labels(cfg: TrainConfig, n: int) -> tuple[list[str], DataStats]:
    """`--show-labels`: the first `n` samples rendered with their loss mask, nothing trained."""
    from cautious.train.data import show_labels
    from cautious.train.student import load_tokenizer

    raws = [load_stage_raws(stage.datasets, cfg.system_message) for stage in cfg.stages]
    tokenizer = load_tokenizer(cfg, fitting_texts([r for rs in raws for r in rs]))
    samples, stats = load_data(cfg, tokenizer, raws)
    return show_labels([s for ss in samples for s in ss], tokenizer, n), stats


def train(cfg: TrainConfig, *, resume: bool = False, overwrite: bool = False, stop_after: int | None = None, log=print) -> Path:
    """Train `cfg`; returns the folder of the exported model (`cfg.output_dir`).

    `stop_after` ends the run (with a checkpoint) after that many optimizer steps of this
    invocation — a preemption budget; `resume=True` continues from the newest checkpoint.
    """
    import torch
    import torch.nn.functional as F
    from accelerate.utils import broadcast_object_list, set_seed
    from transformers.utils import logging as hf_logging

    from cautious import progress

    bars_were_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # "Writing model shards" bars would break our own bar
    logging.getLogger("accelerate.utils.other").setLevel(logging.ERROR)  # "Removed shared tensor" (tied embeddings)

    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    out = cfg.output_dir
    check_output_dir(out, "--output-dir")  # before any data is read or model loaded
    refuse_inputs_in_output(out, [spec.path for stage in cfg.stages for spec in stage.datasets], resume, cfg.model)
    ckpt = check_output(out, resume, overwrite)
    raws = [load_stage_raws(stage.datasets, cfg.system_message) for stage in cfg.stages]  # bad files fail first
    accelerator = make_accelerator(cfg)
    main, rank, world = accelerator.is_main_process, accelerator.process_index, accelerator.num_processes

    # Student. lab-tiny's tokenizer is fitted by the main process and broadcast, so every
    # process shares one vocabulary; a resumed run takes the checkpoint's tokenizer.
    tokenizer = None
    if cfg.model == LAB_TINY and ckpt is None:
        fitted = [fit_tokenizer(fitting_texts([r for rs in raws for r in rs]), cfg.lab_tiny.vocab_size).backend_tokenizer.to_str()
                  if main else None]  # fmt: skip
        tokenizer = wrap_tokenizer(broadcast_object_list(fitted)[0])
    set_seed(cfg.seed)
    model, tokenizer = load_student(cfg, tokenizer, ckpt.path if ckpt else None)
    samples, stats = load_data(cfg, tokenizer, raws)  # refuses bad data before anything is written
    prints = fingerprint([s for ss in samples for s in ss]) + "-" + plan_key(cfg)
    if ckpt and ckpt.fingerprint != prints:
        raise UserError(f"{ckpt.path}: the training data, tokenizer or data settings changed since this checkpoint; resume needs the same")
    if main and overwrite and ckpt is None:
        clear_output(out)
    if cfg.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if cfg.lora:
        model = wrap_lora(model, cfg.lora)
    sizes = count_params(model)
    model = accelerator.prepare(model)
    model.train()
    attn = use_varlen_attention(accelerator.unwrap_model(model)) if cfg.varlen_attention else None
    attn = attn or getattr(accelerator.unwrap_model(model).config, "_attn_implementation", None)
    head_on_trained_only = projects_only_kept(accelerator.unwrap_model(model), accelerator.device)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    dummy = Sample([pad_id], [False], "(idle)")

    if main:
        out.mkdir(parents=True, exist_ok=True)
        with atomic_writer(out / "train_config.yaml") as fh:
            fh.write(dump_config(cfg))
        truncate_metrics(out / "metrics.jsonl", ckpt.global_step if ckpt else 0)
        log(
            f"train: {cfg.model} · {sizes['total'] / 1e6:.2f}M params ({sizes['trainable'] / 1e6:.2f}M trainable) · "
            f"{stats.samples} samples, {stats.tokens:,} tokens, {stats.trained_tokens:,} trained"
            + (f" · {stats.truncated} truncated to max_len {cfg.max_len}" if stats.truncated else "")
            + f" · {world} process(es) on {accelerator.device}"
        )
    if cfg.report_to:
        accelerator.init_trackers("cautious-train", config=json.loads(json.dumps(cfg.model_dump(mode="json"))))

    global_step = ckpt.global_step if ckpt else 0
    steps_this_run, stage_ends, offset = 0, set(), 0  # offset: global steps before this stage
    stopped = False
    for si, stage in enumerate(cfg.stages):
        name = cfg.stage_name(si)
        lengths = [len(s) for s in samples[si]]
        plan = plan_stage(
            samples[si], seed=cfg.seed, stage=si, epochs=cfg.stage_value(stage, "epochs"),
            max_steps=cfg.stage_value(stage, "max_steps"), batch_size=cfg.batch_size,
            max_len=cfg.max_len, packing=cfg.packing,
        )  # fmt: skip
        stage_ends.add(offset + len(plan))  # stage-end checkpoints survive rotation
        offset += len(plan)
        if ckpt and si < ckpt.stage:
            continue
        lr = cfg.stage_value(stage, "lr")
        optimizer, scheduler = make_optimizer(model, cfg, lr, len(plan), cfg.stage_value(stage, "warmup_ratio"))
        optimizer, scheduler = accelerator.prepare(optimizer, scheduler)
        start = 0
        if ckpt and si == ckpt.stage:
            accelerator.load_state(str(ckpt.path / "state"))
            start = ckpt.stage_step
        bar = progress.bar(name, total=len(plan), done=start, unit="steps", show=main and cfg.progress)
        t_start = time.perf_counter()
        for k in range(start, len(plan)):
            step = plan.steps[k]
            t0 = time.perf_counter()
            micro = rank_micro_batches(step, lengths, rank, world, cfg.micro_batch_size)
            loss_sum = torch.zeros((), device=accelerator.device)
            for m, rows in enumerate(micro):
                batch = collate([[samples[si][i] for i in row] for row in rows] or [[dummy]], pad_id, attn)
                sync = m == len(micro) - 1
                with (nullcontext() if sync else accelerator.no_sync(model)), accelerator.autocast():
                    inputs = to_device(batch, accelerator.device)
                    targets = batch["targets"].to(accelerator.device)
                    if head_on_trained_only:  # logits only where a loss is taken (see projects_only_kept)
                        inputs["logits_to_keep"] = targets != IGNORE
                        targets = targets[inputs["logits_to_keep"]]
                    logits = model(**inputs, use_cache=False).logits
                    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1), ignore_index=IGNORE,
                                         reduction="sum")  # fmt: skip
                accelerator.backward(ce * world / max(1, step.targets))
                loss_sum += ce.detach()
            grad_norm = accelerator.clip_grad_norm_(model.parameters(), cfg.max_grad_norm) if cfg.max_grad_norm else None
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            loss = accelerator.reduce(loss_sum, "sum").item() / max(1, step.targets)
            dt = time.perf_counter() - t0
            global_step += 1
            steps_this_run += 1
            record = {
                "step": global_step, "stage": name, "stage_index": si, "stage_step": k + 1, "epoch": step.epoch,
                "loss": loss, "lr": scheduler.get_last_lr()[0], "grad_norm": None if grad_norm is None else float(grad_norm),
                "tokens": step.tokens, "trained_tokens": step.targets, "tokens_per_s": step.tokens / dt,
                "step_s": dt, "elapsed_s": time.perf_counter() - t_start,
            }  # fmt: skip
            if main:
                with naming(out / "metrics.jsonl"), (out / "metrics.jsonl").open("a") as fh:
                    fh.write(json.dumps(record) + "\n")
                bar.advance(1, loss=loss if global_step % cfg.log_every == 0 else None, tokens=step.tokens)
            if cfg.report_to:
                accelerator.log({k2: v for k2, v in record.items() if isinstance(v, (int, float))}, step=global_step)
            last = k + 1 == len(plan)
            final = last and si == len(cfg.stages) - 1
            stopped = stop_after is not None and steps_this_run >= stop_after and not final
            if last or stopped or (cfg.save_every and global_step % cfg.save_every == 0):
                state = {"stage": si, "stage_step": k + 1, "global_step": global_step, "fingerprint": prints}
                save_checkpoint(accelerator, model, tokenizer, out, state, cfg.keep_checkpoints, stage_ends)
            if stopped:
                break
        bar.close()
        # The next stage starts from these weights with a fresh optimizer and schedule.
        accelerator._optimizers.remove(optimizer)
        accelerator._schedulers.remove(scheduler)
        if stopped:
            break
        if len(cfg.stages) > 1:
            export_hf(accelerator, model, tokenizer, out / "stages" / f"{si}-{name}")

    if not stopped:
        export_hf(accelerator, model, tokenizer, out)
    if main:
        summary = {"model": cfg.model, "params": sizes, "samples": stats.samples, "tokens": stats.tokens,
                   "trained_tokens": stats.trained_tokens, "steps": global_step, "finished": not stopped}  # fmt: skip
        with atomic_writer(out / "summary.json") as fh:
            fh.write(json.dumps(summary, indent=2))
        log(f"train: {'stopped after' if stopped else 'done,'} {global_step} steps → "
            f"{latest_checkpoint(out).path if stopped else out}")  # fmt: skip
    if cfg.report_to:
        accelerator.end_training()
    accelerator.wait_for_everyone()
    if bars_were_on:
        hf_logging.enable_progress_bar()
    return out
