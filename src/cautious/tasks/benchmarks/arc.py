"""ARC (Clark et al., 2018): grade-school science questions, Easy and Challenge sets.

Source: `allenai/ai2_arc`, configs `ARC-Easy` / `ARC-Challenge`, split `test`; columns `id`,
`question`, `choices` (`text`, `label` lists; labels are "A".."E" or "1".."5"), `answerKey`.
Offline: the Hub layout ARC-Easy/test-*.parquet, or the original release's
ARC-Easy-Test.jsonl (`{"id", "question": {"stem", "choices": [{"text", "label"}]}, "answerKey"}`).
Options are shown lettered A, B, C, ... whatever the source's labels were.
"""

from __future__ import annotations

from cautious.records import Example
from cautious.tasks.benchmarks.prompts import mc_prompt
from cautious.tasks.benchmarks.source import BenchmarkTask, Row


class ARC(BenchmarkTask):
    answer_type = "choice"
    needs = ("download",)
    hf_id = "allenai/ai2_arc"
    split_map = {"test": ("test", "Test"), "dev": ("validation", "Dev"), "train": ("train", "Train")}

    def to_example(self, row: Row, split: str) -> Example:
        question = row["question"]
        if isinstance(question, dict):  # the original jsonl nests stem and choices
            options = [c["text"] for c in question["choices"]]
            labels = [str(c["label"]) for c in question["choices"]]
            question = question["stem"]
        else:
            options = list(row["choices"]["text"])
            labels = [str(x) for x in row["choices"]["label"]]
        label = labels.index(str(row["answerKey"]).strip())
        return self.make(
            row,
            split,
            str(row["id"]),
            input=mc_prompt(question, options),
            choices=options,
            label=label,
            answer_type="choice",
            meta={"source_labels": labels},
        )


class ARCEasy(ARC):
    name = "arc_easy"
    description = "ARC-Easy: grade-school science multiple choice"
    configs = ("ARC-Easy",)
    local_format = (
        "allenai/ai2_arc rows (id, question, choices, answerKey) as ARC-Easy/test-*.parquet, or ARC-Easy-Test.jsonl"
    )


class ARCChallenge(ARC):
    name = "arc_challenge"
    description = "ARC-Challenge: the harder grade-school science multiple choice"
    configs = ("ARC-Challenge",)
    local_format = "allenai/ai2_arc rows (id, question, choices, answerKey) as ARC-Challenge/test-*.parquet, or ARC-Challenge-Test.jsonl"
