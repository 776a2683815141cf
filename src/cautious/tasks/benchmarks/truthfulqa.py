"""TruthfulQA multiple choice (Lin et al., 2022), MC1: one true answer among several.

Source: `truthfulqa/truthful_qa`, config `multiple_choice`, split `validation` (817
questions); columns `question`, `mc1_targets` and `mc2_targets` (each `choices` and 0/1
`labels`). Offline, either layout:

- the Hub's: multiple_choice/validation-*.parquet, or the same columns as JSON Lines;
- the release's own file (github.com/sylinrl/TruthfulQA, data/mc_task.json): a JSON list of
  `{"question", "mc1_targets", "mc2_targets"}` whose targets map each answer to its label
  (`{"Nothing happens": 1, "You get arthritis": 0}`), in the release's order.

The release's data/ folder holds three versions of that file since January 2025: data/mc_task.json
(790 questions, revised with the binary-choice update), data/v1/mc_task.json (the 817 questions the
Hub carries and the Orca 2 paper evaluated) and data/v0/mc_task.json (the first 2021 release).
Given the folder, only v1 is read: all three together were 2,424 examples, most of them twice.
A single file given by path is read whatever its version.

The source lists the true answer first; options are shown in a fixed permutation seeded by the
question (meta["order"] maps shown -> source positions), so position gives nothing away.
MC2's options and labels are kept in meta for MC2 scoring.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cautious.errors import UserError
from cautious.records import Example
from cautious.tasks.benchmarks.prompts import mc_prompt, shuffle_options
from cautious.tasks.benchmarks.source import BenchmarkTask, Row


def targets(value: Any) -> tuple[list[str], list[int]]:
    """(options, labels) of an `mc1_targets`/`mc2_targets` value in either layout: the Hub's
    `{"choices": [...], "labels": [...]}` or the release's `{answer: label}`."""
    if not value:
        return [], []
    if "choices" in value and "labels" in value and isinstance(value["choices"], list):
        return list(value["choices"]), [int(x) for x in value["labels"]]
    if all(isinstance(v, int) for v in value.values()):
        return list(value), list(value.values())
    raise ValueError("targets must be {choices, labels} (the Hub) or {answer: 0/1} (the release's mc_task.json)")


class TruthfulQA(BenchmarkTask):
    name = "truthfulqa"
    description = "TruthfulQA MC1: pick the one true answer to questions that invite false beliefs"
    answer_type = "choice"
    needs = ("download",)
    hf_id = "truthfulqa/truthful_qa"
    configs = ("multiple_choice",)
    # The Hub's split, then the release's file name (data/mc_task.json): it holds the same 817.
    split_map = {"test": ("validation", "mc_task")}
    local_format = (
        "truthfulqa/truthful_qa rows (question, mc1_targets, mc2_targets) as multiple_choice/validation-*.parquet "
        "or .jsonl, or the release's data/mc_task.json (targets as {answer: label})"
    )

    def local_files(self, root: Path, subset: str | None, names: tuple[str, ...]) -> list[Path]:
        """The split's files; of several release mc_task.json files (a copy of the whole data/
        folder), only the v1 one, which is the Hub's 817 questions."""
        found = super().local_files(root, subset, names)
        releases = [p for p in found if p.name == "mc_task.json"]
        if len(releases) < 2:
            return found
        v1 = [p for p in releases if p.parent.name == "v1"]
        if len(v1) != 1:
            listed = ", ".join(str(p.relative_to(root)) for p in releases)
            raise UserError(
                f"{root}: {len(releases)} release mc_task.json files ({listed}) and no single v1/mc_task.json "
                "to choose; give the task one file, e.g. the release's data/v1/mc_task.json"
            )
        return [p for p in found if p not in releases or p == v1[0]]

    def to_example(self, row: Row, split: str) -> Example:
        options, labels = targets(row["mc1_targets"])
        if labels.count(1) != 1 or len(labels) != len(options):
            raise ValueError("mc1_targets needs exactly one label 1 and one label per choice")
        shown, label, order = shuffle_options(options, labels.index(1), f"truthfulqa|{row['question']}")
        mc2_choices, mc2_labels = targets(row.get("mc2_targets"))
        return self.make(
            row,
            split,
            f"{row['_split']}/{row['_index']}",
            input=mc_prompt(row["question"], shown),
            choices=shown,
            label=label,
            answer_type="choice",
            meta={"order": order, "mc2_choices": mc2_choices or None, "mc2_labels": mc2_labels or None},
        )
