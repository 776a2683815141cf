"""`RunConfig`: the whole Orca 2 experiment as one typed object, with presets.

`cautious run` with no arguments is the lab preset: procedurally generated tasks, the
solver-backed teacher, tiny students trained from scratch — the method measured end to end on
a laptop CPU. A YAML file (`--config`) overrides any key, e.g. a real teacher behind an
OpenAI-compatible server and a Hugging Face student; unknown keys are refused by name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cautious import yamlfile
from cautious.errors import UserError
from cautious.shapes import PAPER_STRATEGIES


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


class ProbeRounds(_Strict):
    """Train the probe on, in rounds, until some strategy of every task is learned (`probe_rounds.py`).

    A probe that has learned no strategy of a task cannot tell which one suits it: its
    selection there compares noise. After the probe's steps it answers a check set (dev
    questions past the ones `select` scores); while some task's best strategy is below
    `competent`, it trains `steps` more steps on its own data from its own weights at peak
    `lr`, at most `max_rounds` times."""

    competent: float = Field(0.6, gt=0, le=1, description="the best strategy's check accuracy a task needs")
    check_examples: int = Field(100, gt=0, description="dev examples per task for the check, never select's")
    steps: int = Field(500, gt=0, description="optimizer steps of one round")
    lr: float = Field(1e-3, gt=0, description="peak learning rate of a round (same warmup and schedule as `train`)")
    max_rounds: int = Field(2, ge=1)


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
    #: Narrower candidate lists for named tasks (the others use `candidates`), e.g. by an
    #: a-priori rule such as "extract-generate only where the question holds distractors".
    task_candidates: dict[str, list[str]] = Field(default_factory=dict)
    #: Difficulty knobs for named lab families (the others run at their defaults), e.g.
    #: `{arithmetic: {ops: "+"}}`; `cautious tasks` lists each family's knobs.
    task_knobs: dict[str, dict[str, Any]] = Field(default_factory=dict)
    strategies_files: list[Path] = Field(default_factory=list)

    # Teacher (generate) — any model spec; options go to the backend (base_url, concurrency, ...).
    teacher: str = "lab"
    teacher_options: dict[str, Any] = Field(default_factory=dict)
    teacher_max_tokens: int = 1024
    #: What the teacher and the probe read as a strategy's instruction: its detailed
    #: `teacher_instruction` (a real LLM teacher needs it), or its one-line `card` (a probe
    #: trained from scratch then spends its tokens on answers, not on re-reading instructions).
    #: Either way the students are trained with it erased.
    instructions: Literal["full", "card"] = "full"

    # Strategy selection: a ready probe model, or (None) train one with instructions kept.
    probe: str | None = None
    probe_examples: int = Field(40, gt=0, description="train examples per task × strategy for the probe")
    select_examples: int = Field(30, gt=0, description="dev examples per task for the score matrix")
    tie_tolerance: float = Field(0.02, ge=0, le=1)
    #: Which probe accuracy picks the strategies (both are recorded): `strict` reads the
    #: `Final answer:` line a trained probe writes; `flexible` finds the answer in prose, as a
    #: pretrained model prompted zero-shot writes it (strictly it scores ~0% everywhere).
    select_score: Literal["strict", "flexible"] = "strict"
    #: Whether a gap whose paired 95% interval includes 0 also counts as a tie (then fewer
    #: tokens wins). `false`: the most accurate strategy on dev wins unless tied exactly, the
    #: paper's rule — for a claim about accuracy measured on a small, noisy probe.
    select_intervals: bool = True
    probe_steps: int | None = Field(None, gt=0, description="optimizer steps of the probe's strategy stage (None: `steps`)")
    #: Rounds of more training for a probe that has not learned every task (None: no check).
    probe_rounds: ProbeRounds | None = None
    #: The probe's learning curve: its dev accuracy per task × strategy at this many evenly
    #: spaced points of its training (the last is the selection itself), on the first
    #: `curve_examples` dev examples of each task. 0: no curve.
    curve_points: int = Field(0, ge=0)
    curve_examples: int = Field(40, gt=0)

    # Students
    train_examples: int = Field(300, gt=0, description="train examples per task, the same for every student")
    students: list[StudentSpec] = Field(default_factory=lambda: list(DEFAULT_STUDENTS))
    #: The generic system message that replaces the strategy instruction; a list gives each
    #: training example one of them (by a hash of its id, the same for every student).
    erase_system: str | list[str] = "cautious"
    knowledge: bool = Field(True, description="first learn the knowledge-base facts (progressive learning)")
    #: Epochs of the separate knowledge stage before the strategies; 0: no separate stage, the
    #: facts are only mixed into the strategy stage (`knowledge_mix`).
    knowledge_epochs: float = Field(20.0, ge=0)
    #: How many copies of the facts the strategy stage mixes in (rehearsal): a tiny student
    #: forgets facts it is not shown again while it learns the strategies (measured in the lab:
    #: the one-digit sums fell from 100% to 18% without it).
    knowledge_mix: int = Field(1, ge=0)
    #: Facts per line of the knowledge corpus, in seeded shuffles, so each fact is seen at many
    #: positions of a sequence — where it is used in an answer — not only at the start of one.
    facts_per_line: int = Field(1, gt=0)
    #: Training settings (any `cautious train` key) shared by the probe and every student.
    train: dict[str, Any] = Field(default_factory=dict)
    steps: int = Field(100, gt=0, description="optimizer steps of the strategy stage, the same for every student")
    #: Training settings for the students only, over `train` (any `cautious train` key), the
    #: same for every student: e.g. a lower learning rate to fine-tune from the probe than the
    #: one the probe was trained from scratch with, as one fine-tunes a pretrained model.
    student_train: dict[str, Any] = Field(default_factory=dict)
    #: Where every student starts. `model`: the `train:` model (lab-tiny from scratch, or your
    #: HF student). `probe`: the probe's checkpoint — a student that already follows any
    #: strategy when told, as Orca 2's students start from a base model that can already reason
    #: when asked; fine-tuning then teaches which strategy to use with the instruction erased.
    student_init: Literal["model", "probe"] = "model"
    #: How many students train and are evaluated at once after `select`, each in its own process
    #: with the CPU's cores shared out (`run/lanes.py`): on 2 cores, two 1-thread students side
    #: by side do 1.5x the work of one 2-thread student. 1: one after another. A GPU run and a
    #: 1-core machine use 1. The thread count is part of a student's fingerprint (it changes
    #: the floats), so a student trained in a lane is never mixed up with one trained alone.
    parallel_students: int = Field(1, ge=1)

    # Evaluation
    test_examples: int = Field(60, gt=0, description="held-out test examples per task")
    systems: list[str] = Field(default_factory=lambda: ["empty", "cautious"])
    eval_batch_size: int = Field(64, gt=0)
    max_new_tokens: int = Field(160, gt=0)

    def candidates_for(self, task: str) -> list[str]:
        """The strategies the probe learns and is measured on for `task`."""
        return self.task_candidates.get(task, self.candidates)


#: Sizes for each preset. `lab` targets ≤ 12 minutes on 2 AVX2-only CPU cores (measured: 12-12.3 on a host ~1.3x slower than the target's machine, up to 16 when it was slower still; README), `smoke` ≤ 1.
PRESETS: dict[str, dict[str, Any]] = {
    # The lab's design at toy sizes: every stage and figure of the report in about a minute.
    "smoke": {
        "tasks": ["arithmetic", "comparison", "counting"],
        "task_knobs": {"arithmetic": {"ops": "+"}, "comparison": {"digits": 6, "equal_prefix": 1.0}},
        "candidates": ["direct-answer", "step-by-step", "extract-generate"],
        "task_candidates": {"arithmetic": ["direct-answer", "step-by-step"], "comparison": ["direct-answer", "step-by-step"]},
        "instructions": "card",
        "probe_examples": 12,
        "select_examples": 8,
        "train_examples": 24,
        "test_examples": 8,
        "steps": 12,
        "probe_steps": 12,
        "curve_points": 2,
        "curve_examples": 4,
        "knowledge": True,
        "knowledge_epochs": 0.0,
        "knowledge_mix": 1,
        "student_init": "probe",
        "erase_system": ["cautious", "empty"],
        "max_new_tokens": 96,
        "train": {"lab_tiny": {"hidden_size": 64, "num_layers": 2, "num_heads": 4, "intermediate_size": 172, "vocab_size": 512},
                  "max_len": 768, "batch_size": 8, "micro_batch_size": 8, "lr": 3e-3, "threads": 1},
    },
    # The design of this preset, and why each choice is fair, is docs/lab.md.
    "lab": {
        "tasks": ["arithmetic", "comparison", "counting"],
        "task_knobs": {"arithmetic": {"ops": "+"}, "comparison": {"digits": 6, "equal_prefix": 1.0}},
        # choice 17: counting's extract-generate cell (never selected, 19% of the probe's text) is dropped
        "candidates": ["direct-answer", "step-by-step"],
        "instructions": "card",
        "probe_examples": 2500,
        "select_examples": 100,
        "train_examples": 2000,
        "test_examples": 400,  # choice 16: a family gap of ~6 points needs ~400 paired questions
        "knowledge": True,
        "knowledge_epochs": 0.0,
        "knowledge_mix": 8,
        "facts_per_line": 8,
        "tie_tolerance": 0.0,
        "student_init": "probe",
        "erase_system": ["cautious", "empty"],
        "probe_steps": 3000,  # choice 16: steps of 4 rows (train below), 0.68x the tokens of 2,200 of 8
        # choice 26: while some family has no strategy at 60% on a check set, 500 more steps (at most 2 rounds)
        "probe_rounds": {"competent": 0.6, "check_examples": 100, "steps": 500, "lr": 1e-3, "max_rounds": 2},
        "curve_points": 4,
        "curve_examples": 30,
        "steps": 200,
        # students keep steps of 8 rows at a third of the probe's rate (choices 11, 16)
        "student_train": {"lr": 1e-3, "batch_size": 8, "micro_batch_size": 8},
        "parallel_students": 2,  # two students at a time, 1 thread each on 2 cores (run/lanes.py)
        "max_new_tokens": 96,
        "eval_batch_size": 100,
        "train": {"lab_tiny": {"hidden_size": 128, "num_layers": 4, "num_heads": 2, "intermediate_size": 344, "vocab_size": 1024},
                  "max_len": 256, "batch_size": 4, "micro_batch_size": 4, "lr": 3e-3, "warmup_ratio": 0.03,
                  "varlen_attention": False},
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


def _fields_at(loc: tuple) -> list[str]:
    """The valid keys where an unknown one was found: the run's, or a nested section's
    (`probe_rounds`, a `students` entry), so the hint lists what could have been meant."""
    import typing

    model: Any = RunConfig
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        kinds = [field.annotation, *typing.get_args(field.annotation)] if field else []
        kinds += [a for k in kinds for a in typing.get_args(k)]
        model = next((k for k in kinds if isinstance(k, type) and issubclass(k, BaseModel)), None)
    return list(model.model_fields) if model is not None else list(RunConfig.model_fields)


def _describe(err: ValidationError, where: str) -> str:
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"]) or "(config)"
    if first["type"] == "extra_forbidden":
        return f"{where}: unknown key {key!r} (valid keys: {', '.join(_fields_at(first['loc'][:-1]))})"
    return f"{where}: {key}: {first['msg']}"


def load_run_config(path: Path | None = None, preset: str | None = None) -> RunConfig:
    """Preset defaults, then the file's keys on top (the file may name its own preset)."""
    data: dict[str, Any] = {}
    if path is not None:
        if not path.exists():
            raise UserError(f"{path}: config file not found")
        data = yamlfile.parse(path.read_text(encoding="utf-8"), path)
        if data is None:  # an empty file used to start the full lab preset without a word
            raise UserError(f"{path}: the run config is empty; write the settings to change (e.g. `preset: smoke`), "
                            "or run without --config for the lab preset")
        if not isinstance(data, dict):
            raise UserError(f"{path}: expected a mapping of run settings")
    name = preset or data.get("preset") or "lab"
    if name not in PRESETS:
        raise UserError(f"unknown preset {name!r}; valid presets: {', '.join(PRESETS)}")
    merged = {**PRESETS[name], **data, "preset": name}
    if "tasks" in data and isinstance(data["tasks"], list) and "lab" not in data["tasks"]:
        # The preset's per-task settings follow the preset's tasks: a config that runs other
        # tasks keeps only those it still runs (its own per-task settings stay as written).
        for key in ("task_knobs", "task_candidates"):
            if key not in data and isinstance(merged.get(key), dict):
                merged[key] = {t: v for t, v in merged[key].items() if t in data["tasks"]}
    if "train" in data and "student_train" not in data:
        # `student_train` is a delta over the preset's own `train:` (the lab's students keep
        # 8-row steps at a third of its probe's rate); a file that writes its own `train:` has
        # not asked for that delta, so its students train exactly as its `train:` says.
        merged["student_train"] = {}
    try:
        return RunConfig.model_validate(merged)
    except ValidationError as exc:
        raise UserError(_describe(exc, str(path) if path else f"preset {name}")) from None
