"""BIG-Bench Hard (`tasks/benchmarks/bbh.py`): each row's answer type, irregular rows, and the subtasks present offline."""

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
    assert "navigate" in task.missing_subsets and "snarks" not in task.missing_subsets  # offline, the subtasks present


def test_bbh_irregular_rows_do_not_change_their_subtask():
    """A few release rows list options split at their commas and target the option's text (ruin_names 99
    and 144, movie_recommendation 163): those rows are scored as free text, their subtask stays multiple choice."""
    examples = {(e.meta["subset"], e.meta["row"]): e for e in load("bbh")}
    normal, odd = examples[("ruin_names", 0)], examples[("ruin_names", 1)]
    assert normal.answer_type == "choice" and normal.gold == "sun, moon, & scars" and normal.meta["target_letter"] == "(A)"
    assert odd.answer_type == "text" and odd.gold == "salt, pepper, & pill" and "irregular" in odd.meta
    assert is_correct(odd, "salt, pepper, & pill") and not is_correct(odd, "The") and not is_correct(odd, "(C)")
    assert examples[("movie_recommendation", 0)].answer_type == "choice"
    dyck = examples[("dyck_languages", 1)]  # a gold of symbols only: SQuAD normalisation would make it ""
    assert dyck.answer_type == "text" and is_correct(dyck, ">])") and not is_correct(dyck, "> ]") and not is_correct(dyck, "a")
