"""RACE (`tasks/benchmarks/race.py`): both subsets, the article before the question."""

from __future__ import annotations

from _benchmark_helpers import load, offline  # noqa: F401 (autouse)


def test_race_reads_both_subsets():
    race = load("race")
    assert {e.meta["subset"] for e in race} == {"high", "middle"}
    assert race[0].input.startswith("Article:\nLena") and race[0].gold == "On Fridays"
