"""GSM8K (`tasks/benchmarks/gsm8k.py`): the gold is the number after `####`."""

from __future__ import annotations

from _benchmark_helpers import load, offline  # noqa: F401 (autouse)


def test_gsm8k_gold_is_the_number_after_hashes():
    examples = load("gsm8k")
    assert [e.gold for e in examples] == ["18", "1500", "21"]
    assert examples[0].input.startswith("A baker fills 4 trays")
    assert "#### 18" in examples[0].meta["solution"]
