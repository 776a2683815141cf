"""BIG-Bench Hard (`tasks/benchmarks/bbh.py`): each subtask's answer type, and the subtasks present offline."""

from __future__ import annotations

from _benchmark_helpers import load, offline  # noqa: F401 (autouse)
from cautious.answers import is_correct
from cautious.tasks import get_task


def test_bbh_answer_type_follows_the_subtask():
    examples = {(e.meta["subset"], e.meta["row"]): e for e in load("bbh")}
    assert (
        examples[("boolean_expressions", 0)].answer_type == "yes_no"
        and examples[("boolean_expressions", 0)].gold == "True"
    )
    mc = examples[("date_understanding", 1)]
    assert mc.answer_type == "choice" and mc.choices == ["12/30/2020", "01/01/2021"] and mc.label == 1
    assert is_correct(mc, "(B)") and is_correct(mc, "01/01/2021") and not is_correct(mc, "A")
    assert examples[("object_counting", 0)].answer_type == "number"
    assert (
        examples[("word_sorting", 0)].answer_type == "text" and examples[("word_sorting", 0)].gold == "apple mango pear"
    )
    (task,) = get_task("bbh")
    task.examples("test")
    assert "snarks" in task.missing_subsets  # offline, the subtasks present are used
