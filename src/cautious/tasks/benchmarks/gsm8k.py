"""GSM8K (Cobbe et al., 2021): grade-school math word problems, answer a number.

Source: `openai/gsm8k`, config `main`, split `test` (1,319 problems); columns `question`,
`answer`. The answer is a worked solution ending in `#### <number>`; the gold is that number
(thousands separators removed), the solution is kept in `meta["solution"]`. Offline: the Hub
layout `main/test-00000-of-00001.parquet`, or the original release's `test.jsonl`
(github.com/openai/grade-school-math), which has the same two fields.
"""

from __future__ import annotations

from cautious.records import Example
from cautious.tasks.benchmarks.source import BenchmarkTask, Row


def gold_number(answer: str) -> str:
    """The number after the last `####`, without thousands separators."""
    if "####" not in answer:
        raise ValueError("`answer` has no `#### <number>` line")
    return answer.rsplit("####", 1)[1].strip().replace(",", "")


class GSM8K(BenchmarkTask):
    name = "gsm8k"
    description = "GSM8K grade-school math word problems; the answer is a number"
    answer_type = "number"
    needs = ("download",)
    hf_id = "openai/gsm8k"
    configs = ("main",)
    split_map = {"test": ("test",), "train": ("train",)}
    local_format = "GSM8K rows with `question` and `answer` ('... #### 42'): main/test-*.parquet or test.jsonl"

    def to_example(self, row: Row, split: str) -> Example:
        return self.make(
            row,
            split,
            f"{row['_split']}/{row['_index']}",
            input=row["question"].strip(),
            target=gold_number(row["answer"]),
            answer_type="number",
            meta={"solution": row["answer"]},
        )
