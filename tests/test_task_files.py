"""Files as tasks (`tasks/files.py`): what a path resolves to, and what every file task shares —
disjoint splits by content hash, seeded sampling, copies of the examples. The two formats have
their own files: `test_task_file_jsonl.py` and `test_task_file_bigbench.py`."""

from __future__ import annotations

from pathlib import Path

import pytest

from _task_file_helpers import BB, USER, one, raises
from cautious.errors import UserError
from cautious.tasks import get_task
from cautious.tasks.base import split_of, tasks_from_path
from cautious.tasks.files import infer_answer_type, unique_ids


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


def test_a_path_that_is_no_task_names_what_is_expected(tmp_path: Path) -> None:
    (tmp_path / "empty_folder").mkdir()
    raises(tmp_path / "empty_folder", "empty_folder", "task.json")
    other = tmp_path / "notes.txt"
    other.write_text("hi", encoding="utf-8")
    raises(other, "notes.txt", ".jsonl")


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
