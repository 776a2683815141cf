"""The task registry: every task by name, and the resolver that turns names and paths into tasks.

Built in are the lab families (group `lab`, one per `cautious.lab.FAMILIES` entry) and the
benchmark loaders (group `benchmark`, listed below); a user adds a task with
`register_task(name, group=...)` on a zero-argument factory. Files are tasks too: a path to a
JSONL file or to a BIG-bench `task.json` (or a folder of them) resolves without registration.
The registry is what `cautious tasks list` shows and what every verb's `--tasks` option
resolves against. The task interface itself lives in `cautious.task`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from cautious.errors import UserError, unknown_name
from cautious.lab import FAMILIES, LabTask
from cautious.registry import Registry
from cautious.task import SPLITS, Task, content_id, split_of, stable_bucket
from cautious.tasks.benchmarks.agieval import AGIEval
from cautious.tasks.benchmarks.arc import ARCChallenge, ARCEasy
from cautious.tasks.benchmarks.bbh import BBH
from cautious.tasks.benchmarks.bigbench_mc import CRASS, HHH
from cautious.tasks.benchmarks.completion import LAMBADA, HellaSwag
from cautious.tasks.benchmarks.drop import DROP
from cautious.tasks.benchmarks.grounding import ACIBench, MSMarco, QMSum
from cautious.tasks.benchmarks.gsm8k import GSM8K
from cautious.tasks.benchmarks.mmlu import MMLU
from cautious.tasks.benchmarks.mt_bench import MTBench
from cautious.tasks.benchmarks.race import RACE
from cautious.tasks.benchmarks.toxigen import ToxiGen
from cautious.tasks.benchmarks.truthfulqa import TruthfulQA
from cautious.tasks.bigbench import bigbench_tasks
from cautious.tasks.jsonl_file import jsonl_task

__all__ = [
    "SPLITS", "TASKS", "Task", "TaskEntry", "content_id", "get_task", "register_task", "registered",
    "resolve_tasks", "split_of", "stable_bucket", "tasks_from_path",
]


@dataclass
class TaskEntry:
    name: str
    factory: Callable[[], Task]
    group: str
    description: str = ""
    needs: tuple[str, ...] = field(default_factory=tuple)


#: Every registered task that is not a lab family (the lab's are `cautious.lab.FAMILIES`).
TASKS: Registry[TaskEntry] = Registry("task")

_DOWNLOAD = ("download",)
_JUDGED = ("judge", "download")
_BENCHMARKS = [
    (AGIEval, "agieval", "AGIEval English multiple choice, 8 exams (hails/agieval-*, test)", _DOWNLOAD),
    (ARCEasy, "arc_easy", "ARC-Easy science questions (allenai/ai2_arc, test)", _DOWNLOAD),
    (ARCChallenge, "arc_challenge", "ARC-Challenge science questions (allenai/ai2_arc, test)", _DOWNLOAD),
    (BBH, "bbh", "BIG-Bench Hard, 27 subtasks zero-shot (lukaemon/bbh, test)", _DOWNLOAD),
    (CRASS, "crass", "CRASS counterfactual reasoning (BIG-bench crass_ai; tasksource/bigbench)", _DOWNLOAD),
    (HHH, "hhh", "HHH alignment: pick the better reply (BIG-bench hhh_alignment; HuggingFaceH4/hhh_alignment)", _DOWNLOAD),
    (HellaSwag, "hellaswag", "HellaSwag sentence completion (Rowan/hellaswag, validation)", _DOWNLOAD),
    (LAMBADA, "lambada", "LAMBADA last-word prediction (EleutherAI/lambada_openai, test)", _DOWNLOAD),
    (DROP, "drop", "DROP reading comprehension (ucinlp/drop, validation); token F1", _DOWNLOAD),
    (ACIBench, "aci_bench", "ACI-BENCH clinical notes from dialogues; hallucination rate by LLM judge (mkieffer/ACI-Bench)", _JUDGED),
    (QMSum, "qmsum", "QMSum query-based meeting summaries; hallucination rate by LLM judge (Yale-LILY/QMSum; pszemraj/qmsum-cleaned)", _JUDGED),
    (MSMarco, "ms_marco", "MS MARCO answers from passages; hallucination rate by LLM judge (microsoft/ms_marco v2.1, validation)", _JUDGED),
    (GSM8K, "gsm8k", "GSM8K grade-school math (openai/gsm8k main, test); number", _DOWNLOAD),
    (MMLU, "mmlu", "MMLU, 57 subjects (cais/mmlu all, test)", _DOWNLOAD),
    (MTBench, "mt_bench", "MT-Bench 80 two-turn questions, graded 1-10 by an LLM judge (HuggingFaceH4/mt_bench_prompts)", _JUDGED),
    (RACE, "race", "RACE reading comprehension, high + middle (ehovy/race, test)", _DOWNLOAD),
    (ToxiGen, "toxigen", "ToxiGen discriminative, toxic yes/no (toxigen/toxigen-data annotated, test; gated)", _DOWNLOAD),
    (TruthfulQA, "truthfulqa", "TruthfulQA MC1 (truthfulqa/truthful_qa multiple_choice, validation)", _DOWNLOAD),
]
for _factory, _name, _description, _needs in _BENCHMARKS:
    TASKS.register(_name, TaskEntry(_name, _factory, "benchmark", _description, _needs))


def register_task(name: str, group: str, description: str = "", needs: tuple[str, ...] = ()):
    """Decorator: register a zero-argument factory that builds the task (a name is taken once)."""

    def deco(factory: Callable[[], Task]) -> Callable[[], Task]:
        if name in FAMILIES:
            raise ValueError(f"task {name!r} is already registered (a lab family)")
        TASKS.register(name, TaskEntry(name, factory, group, description, needs))
        return factory

    return deco


def registered() -> dict[str, TaskEntry]:
    """Every task by name: the lab families first, then the others in registration order."""
    lab = {
        name: TaskEntry(name, partial(LabTask, family), "lab", family.description) for name, family in FAMILIES.items()
    }
    taken = sorted(set(lab) & set(TASKS))
    if taken:
        raise ValueError(f"task {taken[0]!r} is registered both as a lab family and as a task")
    return {**lab, **dict(TASKS.items())}


def tasks_from_path(path: Path) -> list[Task]:
    """Tasks in a file or folder.

    - `*.jsonl`: one user task named after the file stem (see `cautious.tasks.jsonl_file`).
    - `*.json`, or a folder holding `task.json`: a BIG-bench task, or its subtasks
      `parent:subtask` when its task.json has no examples (see `cautious.tasks.bigbench`).
    - a folder without task.json: every subfolder holding a task.json, like BIG-bench's
      `benchmark_tasks/`.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: file not found")
    if path.is_dir() or path.suffix.lower() == ".json":
        return bigbench_tasks(path)
    if path.suffix.lower() == ".jsonl":
        return [jsonl_task(path)]
    raise UserError(
        f"{path}: cannot read tasks from a {path.suffix or 'suffix-less'} file; expected a .jsonl "
        "file of examples or a BIG-bench task (.json file or folder)"
    )


def get_task(spec: str) -> list[Task]:
    """Resolve one name or path to tasks (a BIG-bench folder may hold several)."""
    entries = registered()
    if spec in entries:
        return [entries[spec].factory()]
    path = Path(spec)
    if path.exists():
        return tasks_from_path(path)
    if any(ch in spec for ch in "/\\") or spec.endswith((".json", ".jsonl")):
        raise UserError(f"{spec}: file not found")
    raise unknown_name("task", spec, list(entries))


def resolve_tasks(specs: str | list[str]) -> list[Task]:
    """Resolve a comma-separated string or a list of names/paths; `lab` means every lab family."""
    if isinstance(specs, str):
        specs = [s.strip() for s in specs.split(",") if s.strip()]
    if not specs:
        raise UserError("no tasks selected")
    tasks: list[Task] = []
    for spec in specs:
        if spec == "lab":
            tasks.extend(e.factory() for e in registered().values() if e.group == "lab")
        else:
            tasks.extend(get_task(spec))
    seen: dict[str, Task] = {}
    for t in tasks:
        seen.setdefault(t.name, t)
    return list(seen.values())
