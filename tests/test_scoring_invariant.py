"""The scoring invariant over every benchmark loader's fixtures (`cautious.evaluate.invariant`).

For every multiple-choice example the gold letter, `(X)` and the gold option's text score
correct under strict and flexible extraction, every other option's letter and text score
wrong, and the non-answers `The`, `a`, `""`, `none` score wrong; for number, yes/no and text
answers the gold scores correct and a wrong or non-answer scores wrong. The fixtures include
the rows a checker gets wrong silently (`fixtures/benchmarks/hard_cases.py`). The same check
runs on the real release files through `bench/gold_check.py`.
"""

from __future__ import annotations

import sys

import pytest

from _benchmark_helpers import FIXTURES, offline  # noqa: F401 (autouse)
from cautious.evaluate.invariant import check_example, check_examples
from cautious.records import Example
from cautious.tasks import get_task, registered
from cautious.tasks.benchmarks.drop import DROP
from cautious.tasks.benchmarks.mmlu import MMLU
from cautious.tasks.benchmarks.truthfulqa import TruthfulQA

sys.path.insert(0, str(FIXTURES))
import hard_cases  # noqa: E402

BENCHMARKS = sorted(name for name, entry in registered().items() if entry.group == "benchmark")
# Fixtures in a second layout of the same loader: the release files next to the Hub's.
RELEASES = {
    "mmlu/release": lambda: MMLU(path=FIXTURES / "mmlu" / "release"),
    "drop/release": lambda: DROP(path=FIXTURES / "drop" / "release"),
    "truthfulqa/release": lambda: TruthfulQA(path=FIXTURES / "truthfulqa" / "release"),  # reads data/v1/
    "truthfulqa/release-2025": lambda: TruthfulQA(path=FIXTURES / "truthfulqa" / "release" / "data" / "mc_task.json"),
}


def examples_of(source: str) -> list[Example]:
    if source in RELEASES:
        return RELEASES[source]().examples("test")
    (task,) = get_task(source)
    return task.examples("test")


@pytest.mark.parametrize("source", BENCHMARKS + sorted(RELEASES))
def test_gold_scores_correct_and_nothing_else_does(source):
    checks = check_examples(examples_of(source))
    violations = [f"{c.id}: {v}" for c in checks for v in c.violations]
    assert not violations, "\n".join(violations)
    assert all(c.outputs > 0 or c.skipped for c in checks)


def test_the_hard_cases_are_in_the_fixtures_and_only_they_are_ambiguous():
    checks = [c for source in BENCHMARKS + sorted(RELEASES) for c in check_examples(examples_of(source))]
    assert {c.id for c in checks if c.ambiguous} == hard_cases.AMBIGUOUS
    bbh = {e.id: e for e in examples_of("bbh")}
    assert {i for i, e in bbh.items() if "irregular" in e.meta} == hard_cases.IRREGULAR
    assert bbh["bbh/ruin_names/0"].answer_type == "choice" and bbh["bbh/ruin_names/1"].gold == "salt, pepper, & pill"
    assert bbh["bbh/dyck_languages/1"].answer_type == "text" and bbh["bbh/multistep_arithmetic_two/0"].gold == "-12"


def test_judged_examples_are_counted_not_checked():
    (check,) = check_examples(examples_of("mt_bench")[:1])
    assert check.skipped == "scored by an LLM judge" and check.outputs == 0 and not check.violations


def test_the_invariant_catches_a_checker_that_merges_options(monkeypatch):
    """A checker that reads `+60` as `-60` fails the check: the oracle does not share its code."""
    signs = Example(id="t/1", task="t", input="q", choices=["+60", "-60"], label=1, answer_type="choice")
    assert not check_example(signs).violations
    from cautious.evaluate import metrics

    monkeypatch.setattr(metrics, "is_correct", lambda ex, answer: (answer or "").strip("+-") in ("60", "B", "(B)"))
    assert any("'Final answer: +60' (strict) scored correct" in v for v in check_example(signs).violations)
