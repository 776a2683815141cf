"""RACE (Lai et al., 2017): English reading-comprehension exams, middle and high school.

Source: `ehovy/race`, configs `high` and `middle` (meta["subset"]), split `test`; columns
`example_id`, `article`, `question`, `options` (4 strings), `answer` ("A".."D"). Offline: the
Hub layout high/test-*.parquet and middle/test-*.parquet, or the same columns as JSON Lines.
Questions written as cloze sentences ("... _ .") are shown as they are.
"""

from __future__ import annotations

from cautious.records import Example
from cautious.tasks.benchmarks.prompts import mc_prompt
from cautious.tasks.benchmarks.source import BenchmarkTask, Row


class RACE(BenchmarkTask):
    name = "race"
    description = "RACE: reading-comprehension exam questions (middle and high school)"
    answer_type = "choice"
    needs = ("download",)
    hf_id = "ehovy/race"
    configs = ("high", "middle")
    split_map = {"test": ("test",), "dev": ("validation",), "train": ("train",)}
    local_format = (
        "ehovy/race rows (example_id, article, question, options, answer) as <high|middle>/test-*.parquet or .jsonl"
    )

    def to_example(self, row: Row, split: str) -> Example:
        options = list(row["options"])
        label = "ABCDEFGH".index(str(row["answer"]).strip())
        if label >= len(options):
            raise ValueError(f"answer {row['answer']!r} is not among {len(options)} options")
        question = f"Article:\n{row['article'].strip()}\n\nQuestion: {row['question'].strip()}"
        return self.make(
            row,
            split,
            f"{row['_subset'] or row['_split']}/{row['example_id']}/{row['_index']}",
            input=mc_prompt(question, options),
            choices=options,
            label=label,
            answer_type="choice",
            meta={"example_id": row["example_id"]},
        )
