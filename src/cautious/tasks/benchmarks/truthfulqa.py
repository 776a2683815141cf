"""TruthfulQA multiple choice (Lin et al., 2022), MC1: one true answer among several.

Source: `truthfulqa/truthful_qa`, config `multiple_choice`, split `validation` (817
questions); columns `question`, `mc1_targets` and `mc2_targets` (each `choices` and 0/1
`labels`). Offline: the Hub layout multiple_choice/validation-*.parquet or the same columns
as JSON Lines. The source lists the true answer first; options are shown in a fixed
permutation seeded by the question (meta["order"] maps shown -> source positions), so
position gives nothing away. MC2's options and labels are kept in meta for MC2 scoring.
"""

from __future__ import annotations

from cautious.records import Example
from cautious.tasks.benchmarks.prompts import mc_prompt, shuffle_options
from cautious.tasks.benchmarks.source import BenchmarkTask, Row


class TruthfulQA(BenchmarkTask):
    name = "truthfulqa"
    description = "TruthfulQA MC1: pick the one true answer to questions that invite false beliefs"
    answer_type = "choice"
    needs = ("download",)
    hf_id = "truthfulqa/truthful_qa"
    configs = ("multiple_choice",)
    split_map = {"test": ("validation",)}
    local_format = "truthfulqa/truthful_qa rows (question, mc1_targets, mc2_targets) as multiple_choice/validation-*.parquet or .jsonl"

    def to_example(self, row: Row, split: str) -> Example:
        mc1 = row["mc1_targets"]
        options, labels = list(mc1["choices"]), list(mc1["labels"])
        if labels.count(1) != 1 or len(labels) != len(options):
            raise ValueError("mc1_targets needs exactly one label 1 and one label per choice")
        shown, label, order = shuffle_options(options, labels.index(1), f"truthfulqa|{row['question']}")
        mc2 = row.get("mc2_targets") or {}
        return self.make(
            row,
            split,
            f"{row['_split']}/{row['_index']}",
            input=mc_prompt(row["question"], shown),
            choices=shown,
            label=label,
            answer_type="choice",
            meta={"order": order, "mc2_choices": mc2.get("choices"), "mc2_labels": mc2.get("labels")},
        )
