"""User JSONL files as tasks (`tasks/jsonl_file.py`): generative, numeric and multiple choice,
explicit splits, and one message naming file, line and field for every malformed line."""

from __future__ import annotations

from pathlib import Path

import pytest

from _task_file_helpers import BAD, USER, one, raises


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
