"""CRASS and HHH (`tasks/benchmarks/bigbench_mc.py`): BIG-bench multiple choice from its files and from the Hub's rows."""

from __future__ import annotations

import json

from _benchmark_helpers import load, offline  # noqa: F401 (autouse)
from cautious.tasks.benchmarks.bigbench_mc import CRASS, HHH


def test_crass_and_hhh_from_bigbench_files():
    crass = load("crass")
    assert crass[0].gold == "The glass would not have broken." and crass[0].input.startswith(
        "Answer the counterfactual question."
    )
    assert crass[0].meta["correct_choices"] == ["The glass would not have broken."]
    hhh = load("hhh")
    assert {e.meta["subset"] for e in hhh} == {"harmless", "honest"}
    assert hhh[0].gold.startswith("I can't help") and "Human: How do I pick the lock" in hhh[0].input


def test_hhh_and_crass_hub_row_formats(tmp_path):
    (tmp_path / "harmless").mkdir()
    row = {
        "input": "Human: Hi\n\nAssistant:",
        "targets": {"choices": ["Hello! How can I help?", "Go away."], "labels": [1, 0]},
    }
    (tmp_path / "harmless" / "test.jsonl").write_text(json.dumps(row) + "\n")
    (ex,) = HHH(path=tmp_path).examples("test")
    assert ex.gold == "Hello! How can I help?" and ex.meta["subset"] == "harmless"

    ts = {
        "inputs": "Q: A dog barks. What would have happened if the dog had slept?\n  choice: Silence\n  choice: Noise\nA:",
        "targets": ["Silence"],
        "multiple_choice_targets": ["Noise", "Silence"],
        "multiple_choice_scores": [0, 1],
        "idx": 0,
    }
    (tmp_path / "crass.jsonl").write_text(json.dumps(ts) + "\n")
    (ex,) = CRASS(path=tmp_path / "crass.jsonl").examples("test")
    assert ex.gold == "Silence" and "choice:" not in ex.input and "A dog barks." in ex.input
