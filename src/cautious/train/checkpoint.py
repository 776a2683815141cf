"""Checkpoints: a Hugging Face model folder that is also a resume point.

    OUT/checkpoints/step-000120/
        config.json  model.safetensors  generation_config.json      ← from_pretrained + generate
        tokenizer.json  tokenizer_config.json  chat_template.jinja   ← apply_chat_template
        trainer_state.json                                            ← stage, step, data fingerprint
        state/   model.safetensors optimizer.bin scheduler.bin random_states_<rank>.pkl  (accelerate)

The HF part holds LoRA already merged; `state/` holds what training needs to go on exactly
(unmerged adapters, AdamW moments, scheduler, every process's RNG). A checkpoint is written
into a temporary folder and renamed into place once complete, so the newest folder that has a
`trainer_state.json` is always whole.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from cautious.errors import UserError

STATE_FILE = "trainer_state.json"
#: What `cautious train` writes into an output folder (and what --overwrite may remove).
OWNED = ["checkpoints", "stages", "metrics.jsonl", "summary.json", "train_config.yaml", "runs"]
HF_FILES = ["config.json", "generation_config.json", "model.safetensors", "model.safetensors.index.json",
            "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"]


@dataclass
class Resume:
    path: Path
    stage: int
    stage_step: int
    global_step: int
    fingerprint: str


def latest_checkpoint(out: Path) -> Resume | None:
    found = []
    for d in (out / "checkpoints").glob("step-*"):
        state = d / STATE_FILE
        if state.exists():
            s = json.loads(state.read_text())
            found.append(Resume(d, s["stage"], s["stage_step"], s["global_step"], s["fingerprint"]))
    return max(found, key=lambda r: r.global_step) if found else None


def holds_run(out: Path) -> bool:
    """Whether `out` holds a cautious training run: its config (written before the first step)
    or a checkpoint. Only such a folder may be cleared by --overwrite."""
    if (out / "train_config.yaml").is_file():
        return True
    return any((d / STATE_FILE).is_file() for d in (out / "checkpoints").glob("step-*"))


def check_output(out: Path, resume: bool, overwrite: bool) -> Resume | None:
    """Refuse to mix two runs in one folder, or to write over files that are not a training
    run's (a user's model or data); find the resume point when asked. Writes nothing."""
    if resume:
        ckpt = latest_checkpoint(out)
        if ckpt is None:
            raise UserError(f"{out}: no checkpoint to resume from (checkpoints/step-*/{STATE_FILE})")
        return ckpt
    used = [name for name in OWNED + HF_FILES if (out / name).exists()]
    if not used:
        return None
    if not holds_run(out):
        raise UserError(
            f"{out}: holds {used[0]}, which no cautious training run wrote (no train_config.yaml or checkpoint); "
            "training would overwrite it — choose another --output-dir"
            + (" (--overwrite only starts over a training run)" if overwrite else "")
        )
    if not overwrite:
        raise UserError(f"{out}: already holds a training run ({used[0]}); pass --resume to continue it or --overwrite to start over")
    return None


def refuse_inputs_in_output(out: Path, inputs: list[Path], resume: bool, model: str) -> None:
    """An input that training would overwrite or --overwrite would remove: a dataset named
    like a file a run writes in `out` (metrics.jsonl, ...), or the model folder itself."""
    root = out.resolve()
    if not resume and Path(model).exists():  # --overwrite would delete it after loading it
        inputs = [*inputs, Path(model)]
    for path in inputs:
        try:
            rel = path.resolve().relative_to(root)
        except ValueError:
            continue
        if rel.parts and rel.parts[0] in OWNED + HF_FILES:
            raise UserError(f"{path}: is inside the output folder, where training writes {rel.parts[0]}; move it out of {out}")
    if not resume and Path(model).is_dir() and Path(model).resolve() == root:
        raise UserError(f"{out}: is the model the run starts from (model: {model}); write the trained model to another --output-dir")


def clear_output(out: Path) -> None:
    """--overwrite: remove what an earlier run wrote (only that: the folder may hold other
    files). `check_output` has made sure the folder holds a training run."""
    for name in OWNED + HF_FILES:
        p = out / name
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        elif p.exists() or p.is_symlink():
            p.unlink()


def save_checkpoint(accelerator, model, tokenizer, out: Path, state: dict, keep: int, protect: set[int]) -> Path:
    """Write step-N atomically (all processes call this), then drop old ones beyond `keep`."""
    final = out / "checkpoints" / f"step-{state['global_step']:06d}"
    tmp = final.with_name("." + final.name + ".tmp")
    if accelerator.is_main_process and tmp.exists():
        shutil.rmtree(tmp)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(tmp / "state"), safe_serialization=True)
    export_hf(accelerator, model, tokenizer, tmp)
    if accelerator.is_main_process:
        (tmp / STATE_FILE).write_text(json.dumps(state, indent=2))
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        _rotate(out / "checkpoints", keep, protect)
    accelerator.wait_for_everyone()
    return final


def _rotate(folder: Path, keep: int, protect: set[int]) -> None:
    """Keep the newest `keep` checkpoints, plus stage ends (`protect`: global steps)."""
    steps = sorted(int(d.name.split("-")[1]) for d in folder.glob("step-*") if (d / STATE_FILE).exists())
    for step in steps[:-keep]:
        if step not in protect:
            shutil.rmtree(folder / f"step-{step:06d}", ignore_errors=True)


def export_hf(accelerator, model, tokenizer, path: Path) -> None:
    """Save a plain HF model (LoRA merged) from any distributed setup; all processes call it."""
    from cautious.train.student import save_hf

    unwrapped = accelerator.unwrap_model(model)
    state_dict = None if hasattr(unwrapped, "get_base_model") else accelerator.get_state_dict(model)
    if accelerator.is_main_process:
        save_hf(unwrapped, tokenizer, path, state_dict=state_dict)
    accelerator.wait_for_everyone()


def truncate_metrics(path: Path, global_step: int) -> None:
    """On resume, forget metrics logged after the checkpoint (they will be logged again)."""
    if not path.exists():
        return
    keep = [line for line in path.read_text().splitlines() if line.strip() and json.loads(line).get("step", 0) <= global_step]
    path.write_text("".join(line + "\n" for line in keep))
