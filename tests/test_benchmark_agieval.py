"""AGIEval (`tasks/benchmarks/agieval.py`): the release files and the Hub's rows read alike."""

from __future__ import annotations

from _benchmark_helpers import load, offline  # noqa: F401 (autouse)


def test_agieval_reads_release_and_hub_layouts():
    by_subset = {}
    for ex in load("agieval"):
        by_subset.setdefault(ex.meta["subset"], []).append(ex)
    assert set(by_subset) == {"aqua-rat", "lsat-ar", "sat-math", "logiqa-en"}
    lsat = by_subset["lsat-ar"][0]
    assert lsat.input.startswith("Five runners") and "\n\nWhich one of the following" in lsat.input
    assert lsat.choices[0] == "F, G, J, K, H" and lsat.gold == "F, G, J, K, H"
    assert by_subset["sat-math"][0].gold == "4"
    hub = by_subset["logiqa-en"][0]  # hails/agieval-* query: no "Answer Choices", no "Among A through"
    assert "Answer Choices" not in hub.input and "Among A through" not in hub.input
    assert hub.input.startswith("Every cat in the shelter") and hub.gold == "Milo is vaccinated if Milo is a cat"
    aqua = by_subset["aqua-rat"][1]  # options that differ only in symbols stay apart
    assert aqua.choices[:2] == ["$10.50", "$1050"] and aqua.gold == "$10.50"
