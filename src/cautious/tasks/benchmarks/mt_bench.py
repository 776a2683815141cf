"""MT-Bench questions (Zheng et al., 2023): 80 two-turn questions in 8 categories, LLM-judged.

Source: `HuggingFaceH4/mt_bench_prompts`, split `train` (the 80 questions); columns `prompt`
(the two turns), `prompt_id`, `category`, `reference` (reference answers for math, reasoning
and coding). Offline: FastChat's question file (fastchat/llm_judge/data/mt_bench/
question.jsonl: `question_id`, `category`, `turns`, optional `reference`; its rows record
meta["split"] = "test", since the file has no splits) or the Hub layout (`train`).

An Example's `input` is the first turn; both turns are in meta["turns"] and the references
in meta["reference"] (the first one is `target`, "" when there is none). Scoring is by an LLM
judge (metric "judge", meta["judge"] = "mt_bench"): `cautious eval` answers both turns and
the `judge` metric grades each (`cautious.judge`); outside eval, `cautious.judge.answer_turns`
and `cautious.judge.MTBenchJudge` do the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cautious.records import Example
from cautious.tasks.benchmarks.source import BenchmarkTask, Row


class MTBench(BenchmarkTask):
    name = "mt_bench"
    description = "MT-Bench: two-turn open questions graded 1-10 by an LLM judge"
    answer_type = "text"
    needs = ("judge", "download")
    metric = "judge"
    hf_id = "HuggingFaceH4/mt_bench_prompts"
    split_map = {"test": ("train", "question", "test")}
    local_format = "FastChat's mt_bench/question.jsonl (question_id, category, turns, reference) or mt_bench_prompts rows (prompt, prompt_id, category, reference)"

    def local_split(self, path: Path, names: tuple[str, ...]) -> str:
        """FastChat's question.jsonl has no splits: its 80 questions are the benchmark, our
        `test`. Only the Hub's copy calls them `train` (a Hub dataset's default split name)."""
        return "train" if path.name.startswith("train") else "test"

    def metric_info(self) -> dict[str, Any]:
        """How `cautious eval` and reports read the judge's numbers: a 1-10 rating."""
        return {"label": "MT-Bench score (1-10)", "percent": False, "higher_is_better": True}

    def to_example(self, row: Row, split: str) -> Example:
        turns = [str(t) for t in (row["turns"] if "turns" in row else row["prompt"])]
        qid = row.get("question_id", row.get("prompt_id"))
        if not turns or qid is None:
            raise ValueError("a question needs its turns and an id (question_id or prompt_id)")
        reference = [str(r) for r in (row.get("reference") or []) if r is not None]
        return self.make(
            row,
            split,
            str(qid),
            input=turns[0],
            target=reference[0] if reference else "",
            answer_type="text",
            meta={
                "judge": "mt_bench",
                "turns": turns,
                "reference": reference,
                "category": row["category"],
                "question_id": qid,
            },
        )
