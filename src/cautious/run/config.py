"""`RunConfig`: the whole Orca 2 experiment as one typed object, with presets.

`cautious run` with no arguments is the lab preset: procedurally generated tasks, the
solver-backed teacher, tiny students trained from scratch — the method measured end to end on
a laptop CPU. A YAML file (`--config`) overrides any key, e.g. a real teacher behind an
OpenAI-compatible server and a Hugging Face student; unknown keys are refused by name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cautious.errors import UserError

PAPER_STRATEGIES = [
    "direct-answer",
    "step-by-step",
    "explain-then-answer",
    "recall-then-generate",
    "recall-reason-generate",
    "extract-generate",
    "guess-and-check",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StudentSpec(_Strict):
    """One student of the ablation: which answers it is taught and whether the instruction is erased.

    `strategy: selected` means each task's strategy from `cautious select`; any catalog name
    means that strategy for every task (a single-strategy baseline).
    """

    name: str
    strategy: str = "selected"
    erase: bool = True


DEFAULT_STUDENTS = [
    StudentSpec(name="cautious", strategy="selected", erase=True),
    StudentSpec(name="direct-only", strategy="direct-answer", erase=True),
    StudentSpec(name="step-by-step-only", strategy="step-by-step", erase=True),
    StudentSpec(name="cautious-no-erasure", strategy="selected", erase=False),
]


class RunConfig(_Strict):
    """Every knob of `cautious run`. Sizes are per task; the same examples serve every student."""

    preset: str = "lab"
    seed: int = 0
    tasks: list[str] = Field(default_factory=lambda: ["lab"])
    candidates: list[str] = Field(default_factory=lambda: list(PAPER_STRATEGIES))
    strategies_files: list[Path] = Field(default_factory=list)

    # Teacher (generate) — any model spec; options go to the backend (base_url, concurrency, ...).
    teacher: str = "lab"
    teacher_options: dict[str, Any] = Field(default_factory=dict)
    teacher_max_tokens: int = 1024

    # Strategy selection: a ready probe model, or (None) train one with instructions kept.
    probe: str | None = None
    probe_examples: int = Field(40, gt=0, description="train examples per task × strategy for the probe")
    select_examples: int = Field(30, gt=0, description="dev examples per task for the score matrix")
    tie_tolerance: float = Field(0.02, ge=0, le=1)
    probe_steps: int | None = Field(None, gt=0, description="optimizer steps of the probe's strategy stage (None: `steps`)")

    # Students
    train_examples: int = Field(300, gt=0, description="train examples per task, the same for every student")
    students: list[StudentSpec] = Field(default_factory=lambda: list(DEFAULT_STUDENTS))
    erase_system: str = "cautious"
    knowledge: bool = Field(True, description="first learn the knowledge-base facts (progressive learning)")
    knowledge_epochs: float = Field(20.0, gt=0)
    #: Training settings (any `cautious train` key) shared by the probe and every student.
    train: dict[str, Any] = Field(default_factory=dict)
    steps: int = Field(100, gt=0, description="optimizer steps of the strategy stage, the same for every student")
    #: Where every student starts. `model`: the `train:` model (lab-tiny from scratch, or your
    #: HF student). `probe`: the probe's checkpoint — a student that already follows any
    #: strategy when told, as Orca 2's students start from a base model that can already reason
    #: when asked; fine-tuning then teaches which strategy to use with the instruction erased.
    student_init: Literal["model", "probe"] = "model"

    # Evaluation
    test_examples: int = Field(60, gt=0, description="held-out test examples per task")
    systems: list[str] = Field(default_factory=lambda: ["empty", "cautious"])
    eval_batch_size: int = Field(64, gt=0)
    max_new_tokens: int = Field(160, gt=0)


#: Sizes for each preset. `lab` must finish in ≤ 15 minutes on 2 CPU cores, `smoke` in ≤ 2.
PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {
        "tasks": ["arithmetic", "kv_lookup", "comparison"],
        "candidates": ["direct-answer", "step-by-step", "extract-generate"],
        "probe_examples": 12,
        "select_examples": 8,
        "train_examples": 24,
        "test_examples": 8,
        "steps": 12,
        "knowledge": False,
        "student_init": "probe",
        "max_new_tokens": 96,
        "train": {"lab_tiny": {"hidden_size": 64, "num_layers": 2, "num_heads": 4, "intermediate_size": 172, "vocab_size": 512},
                  "max_len": 768, "batch_size": 8, "micro_batch_size": 8, "lr": 3e-3, "threads": 1},
    },
    # Four families, one per kind of skill the strategies differ on: a written procedure
    # (arithmetic), knowledge recall (kb_recall), reading a passage (kv_lookup), classifying
    # and counting (counting). The other three families (True/False answers at 50% chance,
    # the longest texts, a second digit procedure) are in `large`; at this budget they would
    # only thin out the steps each family gets. The students start from the probe, so the
    # probe's steps are the shared "pretraining" and each student's steps teach it to choose.
    "lab": {
        "tasks": ["arithmetic", "kb_recall", "kv_lookup", "counting"],
        "probe_examples": 60,
        "select_examples": 30,
        "test_examples": 60,
        "knowledge_epochs": 60.0,
        "student_init": "probe",
        "probe_steps": 250,
        "steps": 60,
        "max_new_tokens": 224,
        "train": {"lab_tiny": {"hidden_size": 128, "num_layers": 4, "num_heads": 4, "intermediate_size": 344, "vocab_size": 768},
                  "max_len": 768, "batch_size": 8, "micro_batch_size": 8, "lr": 3e-3},
    },
    "large": {
        "probe_examples": 200,
        "select_examples": 60,
        "train_examples": 1000,
        "test_examples": 200,
        "student_init": "probe",
        "probe_steps": 4000,
        "steps": 1000,
        "max_new_tokens": 256,
        "knowledge_epochs": 60.0,
        "train": {"lab_tiny": {"hidden_size": 384, "num_layers": 6, "num_heads": 6, "intermediate_size": 1024, "vocab_size": 1024}},
    },
}


def _describe(err: ValidationError, where: str) -> str:
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"]) or "(config)"
    if first["type"] == "extra_forbidden":
        return f"{where}: unknown key {key!r} (valid keys: {', '.join(RunConfig.model_fields)})"
    return f"{where}: {key}: {first['msg']}"


def load_run_config(path: Path | None = None, preset: str | None = None) -> RunConfig:
    """Preset defaults, then the file's keys on top (the file may name its own preset)."""
    data: dict[str, Any] = {}
    if path is not None:
        if not path.exists():
            raise UserError(f"{path}: config file not found")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise UserError(f"{path}: malformed YAML ({getattr(exc, 'problem', exc)})") from None
        if not isinstance(data, dict):
            raise UserError(f"{path}: expected a mapping of run settings")
    name = preset or data.get("preset") or "lab"
    if name not in PRESETS:
        raise UserError(f"unknown preset {name!r}; valid presets: {', '.join(PRESETS)}")
    merged = {**PRESETS[name], **data, "preset": name}
    try:
        return RunConfig.model_validate(merged)
    except ValidationError as exc:
        raise UserError(_describe(exc, str(path) if path else f"preset {name}")) from None
