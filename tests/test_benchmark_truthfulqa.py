"""TruthfulQA (`tasks/benchmarks/truthfulqa.py`): MC1 with the options shuffled, MC2 labels kept."""

from __future__ import annotations

from _benchmark_helpers import load, offline  # noqa: F401 (autouse)


def test_truthfulqa_shuffles_the_true_answer_away_from_first():
    tqa = load("truthfulqa")
    assert tqa[0].gold == "It passes through your digestive system"
    assert [e.label for e in tqa] != [0, 0]  # the source's "true answer first" is not kept
    assert sorted(tqa[0].meta["order"]) == list(range(len(tqa[0].choices)))
    assert tqa[0].meta["mc2_labels"] == [1, 1, 0]
