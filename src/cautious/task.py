"""The task interface: a named source of examples per split, and the split helpers.

Every task source builds on this module: the lab families (`cautious.lab`), the benchmark
loaders (`cautious.tasks.benchmarks`) and files (`cautious.tasks.files`). The registry that
names them all is `cautious.tasks`; this module knows none of them, so each can import it.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path

from cautious.errors import UserError
from cautious.records import AnswerType, Example

SPLITS = ("train", "dev", "test")


class Task(ABC):
    """A named source of examples with a fixed answer type."""

    name: str
    description: str = ""
    source: str = ""
    answer_type: AnswerType = "text"
    splits: tuple[str, ...] = SPLITS
    #: What running it needs beyond a model, shown by `cautious tasks list` (e.g. "judge").
    needs: tuple[str, ...] = ()
    #: The file the task reads, if any (no output may overwrite it).
    path: Path | None = None
    #: The task's own generation limit in evaluation (None: the evaluator's default).
    max_new_tokens: int | None = None

    @abstractmethod
    def examples(self, split: str = "test", n: int | None = None, seed: int = 0) -> list[Example]:
        """Up to `n` examples of `split` (all when `n` is None), deterministic for `seed`."""

    def check_split(self, split: str) -> None:
        if split not in self.splits:
            raise UserError(f"task {self.name!r} has no split {split!r}; its splits: {', '.join(self.splits)}")


def draw_examples(tasks: list[Task], split: str, n: int | None = None, seed: int = 0) -> dict[str, list[Example]]:
    """Every task's examples of `split`, by task name: the one place examples are drawn, so the
    CLI verbs and `cautious run` check splits and empty selections the same way."""
    drawn: dict[str, list[Example]] = {}
    for task in tasks:
        task.check_split(split)
        examples = task.examples(split, n=n, seed=seed)
        if not examples:
            raise UserError(f"task {task.name!r} has no {split} examples (empty selection)")
        drawn[task.name] = examples
    return drawn


def input_files(tasks: list[Task], *extra: Iterable[str | Path]) -> list[Path]:
    """The files a verb reads (task files, then `extra` ones): no output may overwrite them."""
    found = [Path(t.path) for t in tasks if t.path]
    return found + [Path(p) for group in extra for p in (group or [])]


def stable_bucket(text: str, buckets: int = 100) -> int:
    """A split bucket that depends only on the text, so splits stay disjoint and stable."""
    return int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:8], "big") % buckets


def split_of(text: str) -> str:
    """80/10/10 train/dev/test by content hash: the partition used for file sources."""
    b = stable_bucket(text)
    return "train" if b < 80 else ("dev" if b < 90 else "test")


def content_id(task: str, text: str) -> str:
    return f"{task}/{hashlib.sha1(text.encode('utf-8')).hexdigest()[:12]}"
