"""MMLU (`tasks/benchmarks/mmlu.py`): the Hub layout and the original CSV release."""

from __future__ import annotations

from _benchmark_helpers import FIXTURES, load, offline  # noqa: F401 (autouse)
from cautious.tasks.benchmarks.mmlu import MMLU


def test_mmlu_hub_layout_and_original_csv():
    hub = load("mmlu")
    assert hub[0].input.startswith("The following is a multiple choice question about college biology.")
    assert hub[2].gold == "Mercury"
    release = MMLU(path=FIXTURES / "mmlu" / "release").examples("test")
    assert [e.gold for e in release] == ["The Moon", "Distance"] and release[0].meta["subject"] == "astronomy"
