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
    assert [e.gold for e in lam] == ["telescope", "Ben", "lamp"]
    assert lam[0].input.endswith("she pointed the ____") and lam[0].meta["context"].endswith("pointed the")
