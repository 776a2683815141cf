"""MT-Bench (`tasks/benchmarks/mt_bench.py`): both turns and the references are kept."""

from __future__ import annotations

from _benchmark_helpers import load, offline  # noqa: F401 (autouse)


def test_mt_bench_questions_keep_both_turns():
    examples = {e.meta["question_id"]: e for e in load("mt_bench")}
    math = examples[902]
    assert math.input == "What is 12 * 12?" and math.meta["turns"][1] == "And 12 * 13?"
    assert math.meta["reference"] == ["144", "156"] and math.target == "144"
    assert examples[901].target == "" and examples[901].meta["category"] == "writing"


def test_fastchat_questions_are_not_recorded_as_a_train_split():
    """FastChat's question.jsonl has no splits; only the Hub's copy names its one split `train`."""
    assert {e.meta["split"] for e in load("mt_bench")} == {"test"}
