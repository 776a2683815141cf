"""The paper's benchmarks as tasks: each registered with what it needs, each loader reading its
fixture into well-formed examples. What one loader does with its source's rows is in
`test_benchmark_<loader>.py`; the reading machinery they share (local files, the Hub, errors)
in `test_benchmark_source.py`.
"""

from __future__ import annotations

import pytest

from _benchmark_helpers import FIXTURES, load, offline  # noqa: F401 (autouse)
from cautious.answers import is_correct
from cautious.tasks import get_task, registered

BENCHMARKS = {
    "agieval",
    "bbh",
    "drop",
    "race",
    "gsm8k",
    "crass",
    "mmlu",
    "arc_easy",
    "arc_challenge",
    "hellaswag",
    "lambada",
    "truthfulqa",
    "hhh",
    "toxigen",
    "mt_bench",
    "aci_bench",
    "qmsum",
    "ms_marco",
}
JUDGED = {"mt_bench", "aci_bench", "qmsum", "ms_marco"}


# -- the registry ---------------------------------------------------------------------------
def test_every_benchmark_is_registered_with_what_it_needs():
    entries = {name: e for name, e in registered().items() if e.group == "benchmark"}
    assert set(entries) == BENCHMARKS
    for name, entry in entries.items():
        assert "download" in entry.needs, name
        assert ("judge" in entry.needs) == (name in JUDGED), name
        assert entry.factory().needs == entry.needs


def test_tasks_list_shows_benchmarks_and_needs(cli):
    code, out, _ = cli("tasks", "list")
    assert code == 0
    for name in ("gsm8k", "mt_bench", "aci_bench", "truthfulqa"):
        assert name in out
    assert "judge, download" in out


# -- every loader reads its fixture -------------------------------------------------------------
@pytest.mark.parametrize(
    "name, count, answer_type, metric",
    [
        ("agieval", 8, "choice", "exact_match"),
        ("bbh", 15, None, "exact_match"),
        ("drop", 3, "text", "f1"),
        ("race", 3, "choice", "exact_match"),
        ("gsm8k", 3, "number", "exact_match"),
        ("crass", 3, "choice", "exact_match"),
        ("mmlu", 7, "choice", "exact_match"),
        ("arc_easy", 2, "choice", "exact_match"),
        ("arc_challenge", 2, "choice", "exact_match"),
        ("hellaswag", 2, "choice", "exact_match"),
        ("lambada", 5, "text", "exact_match"),
        ("truthfulqa", 2, "choice", "exact_match"),
        ("hhh", 3, "choice", "exact_match"),
        ("toxigen", 3, "yes_no", "exact_match"),
        ("mt_bench", 3, "text", "judge"),
        ("aci_bench", 2, "text", "judge"),
        ("qmsum", 2, "text", "judge"),
        ("ms_marco", 2, "text", "judge"),
    ],
)
def test_loader_reads_its_fixture(name, count, answer_type, metric):
    examples = load(name)
    assert len(examples) == count
    assert len({e.id for e in examples}) == count
    for ex in examples:
        assert ex.task == name and ex.id.startswith(f"{name}/")
        assert ex.metric == metric
        assert ex.meta["source"].startswith(str(FIXTURES / name))
        if answer_type:
            assert ex.answer_type == answer_type
        if ex.answer_type == "choice":
            assert ex.choices and ex.label is not None
            for letter, option in zip("ABCDEFGH", ex.choices):
                assert f"({letter}) {option}" in ex.input  # lettered options in the prompt
            letter = "ABCDEFGH"[ex.label]  # every answer form: tests/test_scoring_invariant.py
            assert is_correct(ex, letter) and is_correct(ex, f"({letter}) {ex.gold}")
        if metric == "judge":
            assert ex.meta["judge"] in ("mt_bench", "hallucination")


def test_sampling_is_seeded_and_a_subset():
    (task,) = get_task("gsm8k")
    a, b = task.examples("test", n=2, seed=1), task.examples("test", n=2, seed=1)
    assert [e.id for e in a] == [e.id for e in b] and len(a) == 2
    assert {e.id for e in a} <= {e.id for e in task.examples("test")}
