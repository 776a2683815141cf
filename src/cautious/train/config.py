"""`TrainConfig`: everything `cautious train` does, as one typed object that maps onto code.

A YAML file gives the config; command-line flags override single keys; `--set a.b=v` overrides
any key. Unknown keys are refused by name (a typo must never silently fall back to a default),
and every error becomes one `UserError` line naming the file and the key.

Stage-level settings (`epochs`, `lr`, `max_steps`, `warmup_ratio`) default to the top-level
ones, so a one-stage config needs only `stages: [{datasets: [train.jsonl]}]`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cautious.errors import UserError
from cautious.paths import same_file

LAB_TINY = "lab-tiny"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LabTinyConfig(_Strict):
    """Shape of the from-scratch lab student (a Llama) and of its fitted tokenizer.

    The defaults (~1.0M parameters with a 1k-token vocab) train at ~6-7k tokens/s on one CPU
    core. Measured on erased arithmetic chats: this shape learns to copy digits from the
    question (loss 0.5 → 0.18, steps 450-600) within ~5 minutes, while a 3.4M shape
    (hidden 256, intermediate 688) learns no faster per step at 3.5× the cost per step.
    """

    hidden_size: int = 128
    num_layers: int = 4
    num_heads: int = 2  # head_dim 64: CPU attention kernels run ~10% faster per step than 32
    num_kv_heads: int | None = None
    intermediate_size: int = 384
    vocab_size: int = 1024
    rope_theta: float = 10000.0
    tie_embeddings: bool = True
    #: Tokens (itself included) each input embedding sees through a learned map per offset
    #: (`cautious.train.lab_llama`): the first half of the copying circuit, given rather than
    #: learned. 1: a plain Llama.
    token_shift: int = Field(4, ge=1, le=16)

    @model_validator(mode="after")
    def _heads_divide(self) -> "LabTinyConfig":
        if self.hidden_size % self.num_heads:
            raise ValueError(f"hidden_size {self.hidden_size} is not divisible by num_heads {self.num_heads}")
        if self.num_kv_heads and self.num_heads % self.num_kv_heads:
            raise ValueError(f"num_heads {self.num_heads} is not divisible by num_kv_heads {self.num_kv_heads}")
        return self


class LoraSettings(_Strict):
    """LoRA adapters (peft). The exported checkpoint has them merged into plain weights."""

    r: int = Field(16, gt=0)
    alpha: float = 32.0
    dropout: float = Field(0.0, ge=0, lt=1)
    target_modules: list[str] | str = "all-linear"


class DatasetSpec(_Strict):
    """One training file: chat `messages` JSONL (assistant-only loss) or plain text (loss on all).

    `format: auto` decides by content: a `.txt` file is one document per line; a JSONL line with
    `messages` is a chat, one with `text` a document.
    """

    path: Path
    format: Literal["auto", "chat", "text"] = "auto"
    limit: int | None = Field(None, gt=0, description="use only the first N records")


class StageConfig(_Strict):
    """One step of progressive learning; it starts from the previous stage's weights."""

    name: str | None = None
    datasets: list[DatasetSpec] = Field(min_length=1)
    epochs: float | None = Field(None, gt=0)
    lr: float | None = Field(None, gt=0)
    max_steps: int | None = Field(None, gt=0)
    warmup_ratio: float | None = Field(None, ge=0, le=1)

    @field_validator("datasets", mode="before")
    @classmethod
    def _paths_as_specs(cls, value: Any) -> Any:
        if isinstance(value, (str, Path)):
            value = [value]
        if isinstance(value, list):
            return [{"path": v} if isinstance(v, (str, Path)) else v for v in value]
        return value


class TrainConfig(_Strict):
    """The whole training job. Field docs are the config reference (docs/train.md)."""

    model: str = Field(LAB_TINY, description="`lab-tiny`, a local HF folder, a hub id, a .gguf file, or `pkg:DIST` (the GGUF a pip package ships)")
    lab_tiny: LabTinyConfig = Field(default_factory=LabTinyConfig)
    output_dir: Path = Path("runs/train")
    stages: list[StageConfig] = Field(min_length=1)

    # Data
    max_len: int = Field(512, ge=8, description="tokens per training sequence (packed row)")
    packing: bool = True
    system_message: str | None = Field(None, description="replace every system message (None: keep the data's)")

    # Optimisation
    epochs: float = Field(1.0, gt=0)
    max_steps: int | None = Field(None, gt=0, description="optimizer steps per stage (overrides epochs)")
    lr: float = Field(3e-3, gt=0)
    schedule: Literal["cosine", "linear", "constant"] = "cosine"
    warmup_ratio: float = Field(0.05, ge=0, le=1)
    min_lr_ratio: float = Field(0.1, ge=0, le=1)
    batch_size: int = Field(8, gt=0, description="sequences per optimizer step, over all processes")
    micro_batch_size: int = Field(8, gt=0, description="sequences per forward pass on one process")
    weight_decay: float = Field(0.1, ge=0)
    adam_betas: tuple[float, float] = (0.9, 0.95)
    adam_eps: float = 1e-8
    max_grad_norm: float | None = Field(1.0, gt=0)
    lora: LoraSettings | None = None
    seed: int = 0

    # Hardware
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    attn_implementation: str | None = "sdpa"
    varlen_attention: bool = Field(True, description="with sdpa: attend within each packed example only, no mask")
    gradient_checkpointing: bool = False
    threads: int | None = Field(None, gt=0, description="CPU threads for torch (None: torch's default, all cores)")
    trust_remote_code: bool = False

    # Checkpoints and feedback
    save_every: int = Field(0, ge=0, description="checkpoint every N steps (0: only at stage ends)")
    keep_checkpoints: int = Field(2, ge=1)
    log_every: int = Field(1, gt=0)
    report_to: list[Literal["tensorboard", "wandb"]] = Field(default_factory=list)
    progress: bool = True

    def stage_value(self, stage: StageConfig, key: str) -> Any:
        """A stage's own setting, or the top-level one it inherits."""
        own = getattr(stage, key)
        return getattr(self, key) if own is None else own

    def stage_name(self, index: int) -> str:
        return self.stages[index].name or f"stage{index}"

    def grad_accum(self, world_size: int) -> int:
        """Micro-batches per process per optimizer step."""
        return max(1, math.ceil(self.batch_size / (self.micro_batch_size * world_size)))


# --------------------------------------------------------------------------- loading


def _describe(err: ValidationError, where: str) -> str:
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"]) or "(config)"
    if first["type"] == "extra_forbidden":
        return f"{where}: unknown config key {key!r}{_valid_keys_hint(first['loc'])}"

    if first["type"] == "missing":
        return f"{where}: missing config key {key!r}"
    return f"{where}: {key}: {first['msg']}"


def _valid_keys_hint(loc: tuple) -> str:
    """' (did you mean …? valid keys: …)' for the model that holds the unknown key."""
    import difflib

    model: type[BaseModel] | None = TrainConfig
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(str(part))
        ann = getattr(field, "annotation", None) if field else None
        model = next((t for t in _models_in(ann) if issubclass(t, BaseModel)), None)
    if model is None:
        return ""
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    guess = f"did you mean {close[0]!r}? " if close else ""
    return f" ({guess}valid keys: {', '.join(model.model_fields)})"


def _models_in(annotation: Any) -> list[type]:
    args = getattr(annotation, "__args__", None)
    if args:
        return [t for a in args for t in _models_in(a)]
    return [annotation] if isinstance(annotation, type) else []


def read_yaml(path: Path) -> dict[str, Any]:
    from cautious.paths import read_text

    text = read_text(path, "config file")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise UserError(f"{where}: malformed YAML ({getattr(exc, 'problem', exc)})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping of config keys, got {type(data).__name__}")
    return data


def apply_set(data: dict[str, Any], assignment: str) -> None:
    """Apply one `a.b.0.c=value` override (value parsed as YAML) to the raw config dict."""
    if "=" not in assignment:
        raise UserError(f"--set {assignment!r}: expected KEY=VALUE, e.g. --set stages.0.lr=1e-3")
    key, raw = assignment.split("=", 1)
    value = yaml.safe_load(raw) if raw.strip() else None
    parts = key.strip().split(".")
    node: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise UserError(f"--set {key}: {part!r} is not an index of a list of {len(node)}")
            if last:
                node[int(part)] = value
            else:
                node = node[int(part)]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
        else:
            raise UserError(f"--set {key}: {'.'.join(parts[:i])} is not a mapping or list")


def load_config(path: Path | None = None, overrides: dict[str, Any] | None = None, sets: list[str] | None = None) -> TrainConfig:
    """Build the config: YAML file, then flag overrides (top-level keys), then `--set`s."""
    data = read_yaml(path) if path else {}
    for key, value in (overrides or {}).items():
        if value is not None:
            data[key] = value
    for assignment in sets or []:
        apply_set(data, assignment)
    where = str(path) if path else "config"
    if "stages" not in data:
        raise UserError(f"{where}: no training data — give `stages:` in the config or --data FILE")
    try:
        return TrainConfig.model_validate(data)
    except ValidationError as exc:
        raise UserError(_describe(exc, where)) from None


def dump_config(cfg: TrainConfig) -> str:
    return yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False)


def config_from_cli(path: Path | None, flags: dict[str, Any], sets: list[str] | None = None, data: list[Path] | None = None,
                    lora: bool | None = None) -> TrainConfig:
    """`cautious train`'s config: the file, then the flags named like its keys, `--data` as the
    one stage, `--lora/--no-lora`, then `--set`s. A config file that is the one the run saves
    in its output folder may not be changed by flags (the saved copy would no longer say what ran)."""
    overrides = {k: v for k, v in flags.items() if k in TrainConfig.model_fields and k != "lora"}
    if data:
        overrides["stages"] = [{"datasets": [str(p) for p in data]}]
    cfg = load_config(path, overrides, list(sets or []))
    if lora is not None:  # --lora keeps the config's LoRA settings, or takes the defaults
        cfg = cfg.model_copy(update={"lora": (cfg.lora or LoraSettings()) if lora else None})
    saved = cfg.output_dir / "train_config.yaml"
    if path is not None and same_file(path, saved) and path.read_text(encoding="utf-8") != dump_config(cfg):
        raise UserError(f"{path}: is the config the run saves in its --output-dir, and these flags change it; copy it elsewhere first")
    return cfg
