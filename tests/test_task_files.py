"""Files as tasks: user JSONL files and BIG-bench JSON (`cautious.tasks.files`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cautious.errors import UserError
from cautious.tasks import get_task
from cautious.tasks.base import split_of, tasks_from_path
from cautious.tasks.bigbench import format_prompt
from cautious.tasks.files import FileTask, infer_answer_type, unique_ids

FIXTURES = Path(__file__).parent / "fixtures"
BB = FIXTURES / "bigbench"
USER = FIXTURES / "user_tasks"
BAD = USER / "bad"


def one(path: Path) -> FileTask:
    tasks = tasks_from_path(path)
    assert len(tasks) == 1
    assert isinstance(tasks[0], FileTask)
    return tasks[0]


def raises(path: Path, *fragments: str) -> str:
    """Loading `path` fails with one UserError whose message holds every fragment."""
    with pytest.raises(UserError) as info:
        tasks_from_path(path)
    msg = str(info.value)
    for fragment in fragments:
        assert fragment in msg, f"{fragment!r} not in {msg!r}"
    assert "\n" not in msg
    return msg


def write_bb(tmp_path: Path, data: object, name: str = "task.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def bb_task(examples: list, **settings: object) -> dict:
    return {"name": "t", "description": "d", "keywords": [], "metrics": ["exact_str_match"],
            "preferred_score": "exact_str_match", **settings, "examples": examples}


# --- user JSONL -------------------------------------------------------------------------


def test_jsonl_generative_text() -> None:
    task = one(USER / "capitals.jsonl")
    assert task.name == "capitals" and task.answer_type == "text"
    examples = task.examples("all")
    assert len(examples) == 6  # the blank line is skipped
    assert [e.gold for e in examples][:3] == ["Paris", "Tokyo", "Nairobi"]
    assert examples[1].id == "japan"
    assert examples[0].id.startswith("capitals/")
    assert examples[2].meta["continent"] == "Africa"
    assert examples[2].meta["line"] == 3 and examples[3].meta["line"] == 5
    assert all(e.meta["source"] == "jsonl" and e.task == "capitals" for e in examples)


def test_jsonl_number_targets_explicit_splits_and_duplicates() -> None:
    task = one(USER / "sums.jsonl")
    assert task.answer_type == "number"  # "42", 56, 5.0 and "2,000" all count as numbers
    examples = task.examples("all")
    assert [e.target for e in examples] == ["42", "56", "99", "5.0", "42", "2,000"]
    assert [e.meta["split"] for e in examples] == ["train", "train", "dev", "test", "train", "test"]
    assert [len(task.examples(s)) for s in ("train", "dev", "test")] == [3, 1, 2]
    ids = [e.id for e in examples]
    assert len(set(ids)) == 6 and ids[4] == ids[0] + "#2"  # the repeated line is kept, not dropped


def test_jsonl_multiple_choice() -> None:
    task = one(USER / "fruit_mc.jsonl")
    assert task.answer_type == "choice"
    examples = task.examples("all")
    assert [e.gold for e in examples] == ["apple", "coconut", "banana", "strawberry", "orange", "grape"]
    assert examples[0].choices == ["carrot", "apple", "potato"] and examples[0].label == 1
    assert examples[3].id == "seeds"
    assert examples[5].meta["difficulty"] == "easy"


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        ("bad_json.jsonl", [":3:", "malformed JSON"]),
        ("missing_input.jsonl", [":2:input:", "missing field"]),
        ("no_gold.jsonl", [":4:target:", "missing field", "choices"]),
        ("label_out_of_range.jsonl", [":2:label:", "out of range", "0..2"]),
        ("choices_not_list.jsonl", [":1:choices:", "list of strings"]),
        ("input_not_string.jsonl", [":2:input:", "expected a string, got number"]),
        ("label_not_int.jsonl", [":1:label:", "integer"]),
        ("mixed_kinds.jsonl", [":2:choices:", "separate files"]),
        ("partial_split.jsonl", [":2:split:", "line 1"]),
        ("bad_split.jsonl", [":1:split:", "'validation'"]),
        ("unknown_field.jsonl", [":2:tagret:", "unknown field", "meta"]),
        ("answer_type_conflict.jsonl", [":2:answer_type:", "line 1"]),
    ],
)
def test_jsonl_errors_name_file_line_and_field(name: str, fragments: list[str]) -> None:
    raises(BAD / name, name, *fragments)


def test_jsonl_empty_file() -> None:
    raises(BAD / "empty.jsonl", "empty.jsonl", "no examples")


def test_jsonl_reserved_meta_and_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"input": "a", "target": "b", "meta": {"split": "x"}}\n', encoding="utf-8")
    raises(path, "t.jsonl:1:meta.split:", "reserved")
    path.write_bytes(b'{"input": "\xff", "target": "b"}\n')
    raises(path, "t.jsonl", "UTF-8")


# --- BIG-bench ----------------------------------------------------------------------------


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


def test_folder_of_tasks() -> None:
    names = [t.name for t in tasks_from_path(BB)]
    assert names == ["arithmetic_words", "causal_judgment_mini", "date_prefixed",
                     "shelf_order:four_objects", "shelf_order:three_objects"]


def test_get_task_resolves_paths() -> None:
    names = [t.name for t in get_task(str(BB / "shelf_order"))]
    assert names == ["shelf_order:four_objects", "shelf_order:three_objects"]
    assert [t.name for t in get_task(str(BB / "date_prefixed" / "task.json"))] == ["date_prefixed"]
    assert [t.name for t in get_task(str(USER / "fruit_mc.jsonl"))] == ["fruit_mc"]
    with pytest.raises(UserError, match="not_there.jsonl: file not found"):
        get_task(str(USER / "not_there.jsonl"))


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


def test_bigbench_malformed_json_and_odd_paths(tmp_path: Path) -> None:
    path = tmp_path / "task.json"
    path.write_text('{\n  "name": "t",\n  "examples": [\n    {"input": "a" "target": "b"}\n  ]\n}\n', encoding="utf-8")
    raises(path, "task.json:4:", "malformed JSON")
    (tmp_path / "empty_folder").mkdir()
    raises(tmp_path / "empty_folder", "empty_folder", "task.json")
    other = tmp_path / "notes.txt"
    other.write_text("hi", encoding="utf-8")
    raises(other, "notes.txt", ".jsonl")


# --- splits, sampling, helpers ------------------------------------------------------------------


@pytest.mark.parametrize("path", [USER / "capitals.jsonl", USER / "fruit_mc.jsonl", BB / "causal_judgment_mini"])
def test_splits_disjoint_and_all_is_union(path: Path) -> None:
    task = one(path)
    assert task.splits == ("all", "train", "dev", "test")
    parts = {s: {e.id for e in task.examples(s)} for s in ("train", "dev", "test")}
    assert not (parts["train"] & parts["dev"] or parts["train"] & parts["test"] or parts["dev"] & parts["test"])
    every = [e.id for e in task.examples("all")]
    assert set(every) == parts["train"] | parts["dev"] | parts["test"] and len(every) == len(set(every))
    for e in task.examples("all"):
        assert e.meta["split"] == split_of(e.input)


def test_sampling_is_deterministic_and_seeded() -> None:
    task = one(BB / "shelf_order" / "four_objects")
    file_order = [e.id for e in task.examples("all")]
    assert [e.id for e in task.examples("all")] == file_order
    reloaded = one(BB / "shelf_order" / "four_objects")
    assert [e.id for e in task.examples("all", n=4, seed=1)] == [e.id for e in reloaded.examples("all", n=4, seed=1)]
    samples = {tuple(e.id for e in task.examples("all", n=6, seed=s)) for s in range(6)}
    assert len(samples) > 1 and all(sorted(s) == sorted(file_order) for s in samples)
    assert len(task.examples("all", n=100)) == 6 and task.examples("all", n=0) == []
    with pytest.raises(UserError, match="no split 'validation'"):
        task.examples("validation")


def test_examples_are_copies() -> None:
    task = one(USER / "capitals.jsonl")
    task.examples("all")[0].meta["split"] = "changed"
    assert task.examples("all")[0].meta["split"] != "changed"


def test_infer_answer_type_and_unique_ids() -> None:
    assert infer_answer_type(["1", "-2.5", "1,000"]) == "number"
    assert infer_answer_type(["1", "nan"]) == "text"
    assert infer_answer_type(["Yes", "no "]) == "yes_no"
    assert infer_answer_type(["yes", "maybe"]) == "text"
    assert unique_ids(["a", "a", "a#2", "a"]) == ["a", "a#3", "a#2", "a#4"]
