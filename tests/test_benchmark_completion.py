"""HellaSwag and LAMBADA (`tasks/benchmarks/completion.py`): completion tasks asked as questions."""

from __future__ import annotations

from _benchmark_helpers import load, offline  # noqa: F401 (autouse)


def test_hellaswag_drops_the_wikihow_markup():
    hs = load("hellaswag")
    assert (
        hs[1].gold == "If it is dry, pour water slowly."
        and "[title]" not in hs[1].input
        and "[step]" not in hs[1].input
    )


def test_lambada_asks_for_the_last_word():
    lam = load("lambada")
    assert [e.gold for e in lam] == ["telescope", "Ben", "lamp", "Power", "aisle"]
    assert lam[0].input.endswith("she pointed the ____") and lam[0].meta["context"].endswith("pointed the")


def test_lambada_last_word_follows_a_line_break_too():
    """OpenAI's file has 7 passages whose last word follows a line break (row 426 "...some kind
    of\n\nPower"): splitting at the last space made the gold "of\n\nPower"."""
    power = load("lambada")[3]
    assert power.gold == "Power" and power.meta["last_token"] == "Power"
    assert power.meta["context"].endswith("some kind of") and power.input.endswith("some kind of ____")
