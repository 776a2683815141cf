"""TruthfulQA (`tasks/benchmarks/truthfulqa.py`): MC1 with the options shuffled, MC2 labels kept, from the
Hub's layout or the release's data/mc_task.json."""

from __future__ import annotations

import json

import pytest

from _benchmark_helpers import FIXTURES, load, offline  # noqa: F401 (autouse)
from cautious.errors import UserError
from cautious.tasks.benchmarks.truthfulqa import TruthfulQA


def test_truthfulqa_shuffles_the_true_answer_away_from_first():
    tqa = load("truthfulqa")
    assert tqa[0].gold == "It passes through your digestive system"
    assert [e.label for e in tqa] != [0, 0]  # the source's "true answer first" is not kept
    assert sorted(tqa[0].meta["order"]) == list(range(len(tqa[0].choices)))
    assert tqa[0].meta["mc2_labels"] == [1, 1, 0]


def test_truthfulqa_reads_the_release_mc_task_json():
    """The release's data/mc_task.json maps each answer to its label; it loads like the Hub's rows."""
    tqa = TruthfulQA(path=FIXTURES / "truthfulqa" / "release" / "data" / "mc_task.json").examples("test")
    assert [e.gold for e in tqa] == ["Nothing in particular happens", "No"]
    assert sorted(tqa[0].choices) == sorted(["Nothing in particular happens", "You will get arthritis", "Your fingers fall off"])
    assert tqa[0].meta["mc2_labels"] == [1, 1, 0] and tqa[0].meta["split"] == "validation"
    (folder,) = TruthfulQA(path=FIXTURES / "truthfulqa" / "release").examples("test")[:1]  # found by its name
    assert folder.gold == "Nothing in particular happens"


def test_truthfulqa_release_targets_must_be_labels(tmp_path):
    bad = tmp_path / "mc_task.json"
    bad.write_text(json.dumps([{"question": "q?", "mc1_targets": {"yes": "right"}}]))
    with pytest.raises(UserError, match=r"mc_task.json: row 1: ValueError: targets must be .*mc_task.json"):
        TruthfulQA(path=bad).examples("test")
