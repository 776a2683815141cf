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
    tqa = TruthfulQA(path=FIXTURES / "truthfulqa" / "release" / "data" / "v1" / "mc_task.json").examples("test")
    assert [e.gold for e in tqa][:2] == ["Nothing in particular happens", "No"]
    assert sorted(tqa[0].choices) == sorted(["Nothing in particular happens", "You will get arthritis", "Your fingers fall off"])
    assert tqa[0].meta["mc2_labels"] == [1, 1, 0] and tqa[0].meta["split"] == "validation"


def test_truthfulqa_release_folder_reads_v1_only():
    """The release's data/ folder holds mc_task.json (the 2025 revision), v0/ and v1/: read all
    three, the real folder gave 2,424 examples, most questions twice and ids with `#2`. v1 is the
    817 of the Hub and the paper; a single file given by path is read whatever its version."""
    folder = TruthfulQA(path=FIXTURES / "truthfulqa" / "release").examples("test")
    assert len(folder) == 3 and all(e.meta["source"].endswith("v1/mc_task.json") for e in folder)
    assert not any("#" in e.id for e in folder)
    revised = TruthfulQA(path=FIXTURES / "truthfulqa" / "release" / "data" / "mc_task.json").examples("test")
    assert [e.gold for e in revised] == ["Nothing in particular happens"]


def test_truthfulqa_release_copies_without_v1_are_refused(tmp_path):
    for version in ("a", "b"):
        (tmp_path / version).mkdir()
        (tmp_path / version / "mc_task.json").write_text(json.dumps([]))
    with pytest.raises(UserError, match=r"2 release mc_task.json files \(a/mc_task.json, b/mc_task.json\) and no single v1"):
        TruthfulQA(path=tmp_path).examples("test")


def test_truthfulqa_release_targets_must_be_labels(tmp_path):
    bad = tmp_path / "mc_task.json"
    bad.write_text(json.dumps([{"question": "q?", "mc1_targets": {"yes": "right"}}]))
    with pytest.raises(UserError, match=r"mc_task.json: row 1: ValueError: targets must be .*mc_task.json"):
        TruthfulQA(path=bad).examples("test")
