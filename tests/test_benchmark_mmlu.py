"""MMLU (`tasks/benchmarks/mmlu.py`): the Hub layout and the original CSV release."""

from __future__ import annotations

from _benchmark_helpers import FIXTURES, load, offline  # noqa: F401 (autouse)
from cautious.tasks.benchmarks.mmlu import MMLU


def test_mmlu_hub_layout_and_original_csv():
    hub = load("mmlu")
    assert hub[0].input.startswith("The following is a multiple choice question about college biology.")
    assert hub[2].gold == "Mercury"
    release = MMLU(path=FIXTURES / "mmlu" / "release").examples("test")
    astronomy = [e for e in release if e.meta["subject"] == "astronomy"]
    assert [e.gold for e in astronomy] == ["The Moon", "Distance"]
    code = next(e for e in release if e.id == "mmlu/high_school_computer_science/test/0")
    assert code.choices[0].count("\n") == 2  # an option over several lines stays whole


def test_mmlu_options_scored_as_written():
    """Three rows of the authors' CSVs whose gold text scored wrong (gold_check, issue 24): a
    multi-line option after `Final answer:` (the strict rule read its first line only), the
    option `**` (stripped as markdown to nothing) and `6'` (its quote stripped, it read as `6`)."""
    from cautious.evaluate.metrics import EvalOutput, ScoringContext, score_outputs

    release = {e.id: e for e in MMLU(path=FIXTURES / "mmlu" / "release").examples("test")}
    code, power = release["mmlu/high_school_computer_science/test/0"], release["mmlu/high_school_computer_science/test/1"]
    feet = release["mmlu/miscellaneous/test/0"]
    for ex, text in ((code, f"Final answer: {code.gold}"), (code, f"Final answer: (A) {code.gold}\nBecause."),
                     (power, "Final answer: **"), (feet, "6'"), (feet, "Final answer: 6'")):
        [pair] = score_outputs(object(), [ex], [EvalOutput(text)], ScoringContext())
        assert pair.strict.correct or not text.startswith("Final"), text
        assert pair.flexible.correct, text
    first_line = f"Final answer: {code.gold.splitlines()[0]}"
    [pair] = score_outputs(object(), [code], [EvalOutput(first_line)], ScoringContext())
    assert not pair.strict.correct and pair.strict.answer == "newList ← Combine (list1, list2)"  # option C
