"""BIG-bench JSON as tasks (`tasks/bigbench.py`): multiple choice and generative targets, the
task's prompt prefixes, subtasks, and one message naming file and field for a malformed task."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _task_file_helpers import BB, one, raises
from cautious.tasks.base import tasks_from_path
from cautious.tasks.bigbench import format_prompt


def write_bb(tmp_path: Path, data: object, name: str = "task.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def bb_task(examples: list, **settings: object) -> dict:
    return {"name": "t", "description": "d", "keywords": [], "metrics": ["exact_str_match"],
            "preferred_score": "exact_str_match", **settings, "examples": examples}


def test_bigbench_multiple_choice_default_prefixes() -> None:
    task = one(BB / "causal_judgment_mini")
    assert task.name == "causal_judgment_mini" and task.answer_type == "choice"
    assert task.info["preferred_score"] == "multiple_choice_grade"
    examples = task.examples("all")
    assert len(examples) == 7
    assert [e.gold for e in examples] == ["Yes", "No", "Yes", "No", "No", "The kick", "Yes"]
    first = examples[0]
    assert first.choices == ["Yes", "No"] and first.label == 0
    assert first.input.startswith("Q: How would a typical person")
    assert first.input.endswith("\n  choice: Yes\n  choice: No\nA:")
    assert first.meta["raw_input"].startswith("How would a typical person")
    tie = examples[5]  # two options score 1: the first is the label, both are kept
    assert tie.label == 0 and tie.meta["correct_choices"] == ["The kick", "The slip"]
    assert examples[3].meta["extra"] == {"comment": "overdetermination"}


def test_bigbench_generative_targets() -> None:
    task = one(BB / "arithmetic_words" / "task.json")
    assert task.name == "arithmetic_words" and task.answer_type == "number"
    assert task.info["output_regex"] == "[-+]?\\d+"
    examples = task.examples("all")
    assert len(examples) == 6
    assert [e.target for e in examples] == ["12", "7", "24", "12", "15", "12"]
    assert examples[1].meta["targets"] == ["7", "seven"]
    assert examples[0].meta["targets"] == ["12"]
    assert examples[0].input == "Q: " + examples[0].meta["raw_input"] + "\nA:"
    ids = [e.id for e in examples]
    assert len(set(ids)) == 6 and ids[5] == ids[0] + "#2"


def test_bigbench_prefixes_honoured() -> None:
    task = one(BB / "date_prefixed")
    first = task.examples("all")[0]
    assert first.input == (
        "Infer the date from context.\n\nQuestion: Today is 03/01/2021. What is the date tomorrow in MM/DD/YYYY?"
        "\n  option: 03/02/2021\n  option: 02/28/2021\n  option: 03/01/2022\nAnswer:"
    )
    golds = [e.gold for e in task.examples("all")]
    assert golds == ["03/02/2021", "01/01/2000", "02/29/2020", "07/08/2015", "09/30/2010"]


def test_bigbench_choices_not_appended(tmp_path: Path) -> None:
    path = write_bb(tmp_path, bb_task([{"input": "Pick (A) x or (B) y.", "target_scores": {"x": 0, "y": 1}}],
                                      append_choices_to_input=False))
    example = one(path).examples("all")[0]
    assert example.input == "Q: Pick (A) x or (B) y.\nA:"
    assert example.choices == ["x", "y"] and example.gold == "y"


def test_format_prompt_rule() -> None:
    settings = {"task_prefix": "", "example_input_prefix": "\nQ: ", "example_output_prefix": "\nA: ",
                "choice_prefix": "\n  choice: ", "append_choices_to_input": True}
    assert format_prompt("2+2?", None, settings) == "Q: 2+2?\nA:"
    assert format_prompt("Pick", ["a", "b"], settings) == "Q: Pick\n  choice: a\n  choice: b\nA:"


def test_bigbench_subtasks() -> None:
    tasks = tasks_from_path(BB / "shelf_order")
    assert [t.name for t in tasks] == ["shelf_order:four_objects", "shelf_order:three_objects"]
    assert [len(t.examples("all")) for t in tasks] == [6, 5]
    assert all(e.task == t.name for t in tasks for e in t.examples("all"))
    assert tasks[1].examples("all")[4].gold == "The short vase is the rightmost."
    # The parent's task.json resolves the same way, and a subtask alone keeps its full name and ids.
    assert [t.name for t in tasks_from_path(BB / "shelf_order" / "task.json")] == [t.name for t in tasks]
    alone = one(BB / "shelf_order" / "three_objects")
    assert alone.name == "shelf_order:three_objects"
    assert [e.id for e in alone.examples("all")] == [e.id for e in tasks[1].examples("all")]


@pytest.mark.parametrize(
    ("data", "fragments"),
    [
        ({"name": "t"}, ["task.json:examples:", "missing field"]),
        (bb_task([]), ["task.json:examples:", "no examples"]),
        (bb_task([{"input": "a", "target": "b"}, {"target": "c"}]), ["task.json:examples[1].input:", "missing field"]),
        (bb_task([{"input": "a", "target": "b"}, {"input": "c"}]), ["examples[1].target:", "target_scores"]),
        (bb_task([{"input": 3, "target": "b"}]), ["examples[0].input:", "expected a string"]),
        (bb_task([{"input": "a", "target": []}]), ["examples[0].target:", "non-empty list"]),
        (bb_task([{"input": "a", "target_scores": {"x": 1}}]), ["examples[0].target_scores:", "at least two"]),
        (bb_task([{"input": "a", "target_scores": {"x": 0, "y": "1"}}]), ["examples[0].target_scores:", "'y'"]),
        (bb_task([{"input": "a", "target_scores": {"x": 0, "y": 0}}]), ["examples[0].target_scores:", "positive"]),
        (bb_task([{"input": "a", "target": "b"}, {"input": "c", "target_scores": {"x": 1, "y": 0}}]),
         ["examples[1].target_scores:", "one answer type"]),
        (bb_task([{"input": "a", "target": "b"}], example_input_prefix=3),
         ["task.json:example_input_prefix:", "string"]),
        (bb_task(["a"]), ["task.json:examples[0]:", "object"]),
        ([{"input": "a", "target": "b"}], ["task.json:", ".jsonl"]),
    ],
)
def test_bigbench_errors_name_file_and_field(tmp_path: Path, data: object, fragments: list[str]) -> None:
    raises(write_bb(tmp_path, data), *fragments)


def test_bigbench_malformed_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "task.json"
    path.write_text('{\n  "name": "t",\n  "examples": [\n    {"input": "a" "target": "b"}\n  ]\n}\n', encoding="utf-8")
    raises(path, "task.json:4:", "malformed JSON")
