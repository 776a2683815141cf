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
    """Rows of the authors' CSVs whose gold text scored wrong (gold_check, issue 24): a
    multi-line option after `Final answer:` (the strict rule read its first line only), the
    option `**` (stripped as markdown to nothing), `6'` (its quote stripped, it read as `6`) and
    genotypes that differ only in case (`Bb × Bb` named every option: ambiguous, scored wrong)."""
    from cautious.evaluate.metrics import EvalOutput, ScoringContext, score_outputs

    release = {e.id: e for e in MMLU(path=FIXTURES / "mmlu" / "release").examples("test")}
    code, power = release["mmlu/high_school_computer_science/test/0"], release["mmlu/high_school_computer_science/test/1"]
    feet, genes = release["mmlu/miscellaneous/test/0"], release["mmlu/high_school_biology/test/0"]
    for ex, text in ((code, f"Final answer: {code.gold}"), (code, f"Final answer: (A) {code.gold}\nBecause."),
                     (power, "Final answer: **"), (feet, "6'"), (feet, "Final answer: 6'"),
                     (genes, "Final answer: Bb × Bb"), (genes, "Bb × Bb")):
        [pair] = score_outputs(object(), [ex], [EvalOutput(text)], ScoringContext())
        assert pair.strict.correct or not text.startswith("Final"), text
        assert pair.flexible.correct, text
    first_line = f"Final answer: {code.gold.splitlines()[0]}"
    [pair] = score_outputs(object(), [code], [EvalOutput(first_line)], ScoringContext())
    assert not pair.strict.correct and pair.strict.answer == "newList ← Combine (list1, list2)"  # option C


def test_options_that_differ_only_in_case_are_told_apart_by_it():
    from cautious.answers import choice_indices

    genes = ["BB BB", "BB Bb", "Bb Bb", "Bb bb"]
    assert choice_indices("Bb Bb", genes) == [2] and choice_indices("bb bb", genes) == [0, 1, 2, 3]
    assert choice_indices("sC ≡ eJ", ["Cs ⊃ Ej", "Sc ≡ Ej", "sC ≡ eJ"]) == [2]
    assert choice_indices("the moon", ["The Moon.", "The Sun"]) == [0]  # case still aside when it is all that differs from one option
