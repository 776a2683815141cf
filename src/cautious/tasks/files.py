"""Files as tasks: a user JSONL file, or BIG-bench JSON tasks, resolved by path.

`get_task` hands every existing path to `tasks_from_path` (in `cautious.tasks.base`), so a
user's own data needs no registration: `cautious ... --tasks data/my_task.jsonl` or
`--tasks BIG-bench/bigbench/benchmark_tasks/date_understanding`.

What the two sources share lives here: one answer type per file (a task is checked one way),
ids that stay unique without dropping duplicates, and the splits. A file has no train/dev/test
split of its own (BIG-bench never had one; a JSONL file may set `split` per line), so examples
are partitioned 80/10/10 by a hash of their input (`split_of`), which keeps splits disjoint and
stable when the file grows. The extra split `all` is every example, for when a file is used
purely for evaluation or purely for training.

The loaders live in `jsonl_file` and `bigbench`, which build on this module; `tasks_from_path`
picks one by the path. Nothing here registers a task.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from cautious.errors import UserError
from cautious.records import AnswerType, Example
from cautious.task import Task

FILE_SPLITS = ("all", "train", "dev", "test")

# Integers or decimals, optionally signed, optionally with thousands separators ("1,234.5").
# Deliberately not float(): that would call "nan", "inf" and "1e5" numbers.
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+")


def infer_answer_type(targets: list[str]) -> AnswerType:
    """The answer type of a generative file, from all its gold targets at once.

    Decided per file, not per line, so one task is checked one way: a single "n/a" among
    numbers makes the whole file "text" rather than a mix the checker cannot handle.
    """
    cleaned = [t.strip() for t in targets]
    if cleaned and all(_NUMBER.fullmatch(t) for t in cleaned):
        return "number"
    if cleaned and all(t.lower() in ("yes", "no") for t in cleaned):
        return "yes_no"
    return "text"


def target_text(value: Any) -> str | None:
    """A gold answer as text; JSON numbers are accepted (`"target": 42`), booleans are not."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def type_name(value: Any) -> str:
    """The JSON name of a value's type, for messages aimed at people who wrote JSON."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "list", dict: "object"}.get(type(value), type(value).__name__)


def unique_ids(ids: list[str]) -> list[str]:
    """Make ids unique by suffixing repeats `#2`, `#3`, ... in file order.

    Duplicate examples are kept, not dropped: silently losing lines would change counts the
    user can check against their file. The suffix skips any id the file itself already uses.
    """
    originals = set(ids)
    used: set[str] = set()
    out: list[str] = []
    for id_ in ids:
        new = id_
        if new in used:
            k = 2
            while f"{id_}#{k}" in used or f"{id_}#{k}" in originals:
                k += 1
            new = f"{id_}#{k}"
        used.add(new)
        out.append(new)
    return out


class FileTask(Task):
    """A task whose examples were read (and validated) from a file when it was resolved.

    Loading eagerly means a bad file fails when `--tasks` is resolved, before any model call,
    and each example's split is recorded in `meta["split"]`.
    """

    splits = FILE_SPLITS

    def __init__(
        self,
        name: str,
        examples: list[Example],
        *,
        answer_type: AnswerType,
        path: Path,
        source: str,
        description: str = "",
        info: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.path = path
        self.source = source
        self.answer_type = answer_type
        self.description = description or f"examples from {path}"
        #: Source-specific facts about the whole task (e.g. BIG-bench `metrics`, `preferred_score`).
        self.info = info or {}
        self._examples = examples

    def examples(self, split: str = "test", n: int | None = None, seed: int = 0) -> list[Example]:
        """The examples of `split`: all in file order when `n` is None, else the first `n` of a
        shuffle seeded by (task, split, seed), so a sample is reproducible and unbiased by order."""
        self.check_split(split)
        if n is not None and n < 0:
            raise UserError(f"task {self.name!r}: cannot take {n} examples")
        pool = [e for e in self._examples if split == "all" or e.meta["split"] == split]
        if n is not None:
            random.Random(f"{self.name}|{split}|{seed}").shuffle(pool)
            pool = pool[:n]
        return [e.model_copy(deep=True) for e in pool]
