"""ARC Easy and Challenge (`tasks/benchmarks/arc.py`): numeric option labels map to letters."""

from __future__ import annotations

from _benchmark_helpers import load, offline  # noqa: F401 (autouse)


def test_arc_maps_numeric_labels():
    easy = load("arc_easy")
    assert easy[1].gold == "iron" and easy[1].label == 2 and "(C) iron" in easy[1].input
    assert load("arc_challenge")[1].gold == "Burning paper"
