"""DROP (`tasks/benchmarks/drop.py`): every answer span, the validated answers of the release file."""

from __future__ import annotations

import json

import pytest

from _benchmark_helpers import FIXTURES, load, offline  # noqa: F401 (autouse)
from cautious.answers import is_correct
from cautious.errors import UserError
from cautious.tasks.benchmarks.drop import DROP


def test_drop_keeps_every_span_and_validated_answers():
    examples = {e.meta["row"]: e for e in load("drop")}
    assert examples[0].gold == "24" and examples[0].meta["answer_spans"] == ["24"]
    assert examples[1].gold == "Hawks, Owls" and examples[1].meta["answer_spans"] == ["Hawks", "Owls"]
    assert examples[0].input.startswith("Read the passage") and "Question: How many points" in examples[0].input
    release = DROP(path=FIXTURES / "drop" / "release" / "drop_dataset_dev.json").examples("test")
    first = release[0]
    assert first.gold == "4" and first.meta["targets"] == ["4", "four"] and is_correct(first, "four")
    assert release[1].gold == "7 June 1802"


def test_a_release_file_with_the_wrong_structure_names_the_field(tmp_path):
    bad_drop = tmp_path / "drop_dataset_dev.json"
    bad_drop.write_text(json.dumps({"p1": {"passage": "x", "qa_pairs": [{"question": "q"}]}}))
    with pytest.raises(UserError) as err:
        DROP(path=bad_drop).examples("test")
    assert str(bad_drop) in str(err.value) and "'answer'" in str(err.value) and "ucinlp/drop" in str(err.value)
