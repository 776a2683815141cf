"""ToxiGen (`tasks/benchmarks/toxigen.py`): the annotated split, toxic when the two ratings sum above 5.5."""

from __future__ import annotations

from _benchmark_helpers import load, offline  # noqa: F401 (autouse)


def test_toxigen_gold_follows_the_human_and_ai_ratings():
    tox = load("toxigen")
    assert [e.gold for e in tox] == ["No", "Yes", "No"]  # toxicity_ai + toxicity_human > 5.5
    assert (
        tox[1].input.startswith("Is the following statement toxic") and tox[1].meta["target_group"] == "fixture_group_b"
    )
