"""What every benchmark loader shares (`tasks/benchmarks/source.py`): local files in the source's
release or Hub layout, the Hub through `datasets` (a stand-in module here), and one clear
message for a missing path, a malformed file or a failed download."""

from __future__ import annotations

import json
import sys
import types

import pytest

from _benchmark_helpers import FIXTURES, offline  # noqa: F401 (autouse)
from cautious.errors import UserError
from cautious.tasks import get_task
from cautious.tasks.benchmarks import DATA_DIR_ENV
from cautious.tasks.benchmarks.agieval import AGIEval
from cautious.tasks.benchmarks.bbh import BBH
from cautious.tasks.benchmarks.bigbench_mc import HHH
from cautious.tasks.benchmarks.gsm8k import GSM8K


def test_missing_local_path_names_path_format_and_hub_id(tmp_path):
    with pytest.raises(UserError) as err:
        GSM8K(path=tmp_path / "nowhere").examples("test")
    msg = str(err.value)
    assert "nowhere" in msg and "not found" in msg and "#### 42" in msg and "openai/gsm8k" in msg


def test_folder_without_the_split(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(UserError) as err:
        GSM8K(path=tmp_path).examples("test")
    assert str(tmp_path) in str(err.value) and "openai/gsm8k" in str(err.value) and "question" in str(err.value)


def test_wrong_columns_name_the_row_and_the_expected_format(tmp_path):
    bad = tmp_path / "test.jsonl"
    bad.write_text(json.dumps({"question": "2+2?", "solution": "4"}) + "\n")
    with pytest.raises(UserError) as err:
        GSM8K(path=bad).examples("test")
    msg = str(err.value)
    assert f"{bad}: row 1" in msg and "'answer'" in msg and "openai/gsm8k" in msg


def test_malformed_jsonl_and_json(tmp_path):
    bad = tmp_path / "test.jsonl"
    bad.write_text('{"question": "ok", "answer": "#### 1"}\n{not json\n')
    with pytest.raises(UserError) as err:
        GSM8K(path=bad).examples("test")
    assert f"{bad}:2" in str(err.value) and "openai/gsm8k" in str(err.value)
    broken = tmp_path / "task.json"
    broken.write_text('{"examples": [')
    with pytest.raises(UserError) as err:
        AGIEval(path=broken).examples("test")
    assert str(broken) in str(err.value) and "malformed JSON" in str(err.value)


def test_unknown_split_and_subset():
    with pytest.raises(UserError, match="no split 'train'"):
        get_task("truthfulqa")[0].examples("train")
    with pytest.raises(UserError, match="unknown subset"):
        AGIEval(subsets=["lsat-zz"])


def test_hub_failure_is_one_message_with_the_offline_alternative(monkeypatch, tmp_path):
    monkeypatch.undo()  # the real read_hub, with a stand-in datasets module that cannot connect
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    fake = types.ModuleType("datasets")

    def load_dataset(path, name=None, split=None):
        raise ConnectionError(f"Couldn't reach '{path}' on the Hub (LocalEntryNotFoundError)")

    fake.load_dataset = load_dataset
    monkeypatch.setitem(sys.modules, "datasets", fake)
    with pytest.raises(UserError) as err:
        get_task("toxigen")[0].examples("test")
    msg = str(err.value)
    assert "toxigen/toxigen-data" in msg and "annotated" in msg and "gated" in msg
    assert f"${DATA_DIR_ENV}/toxigen/" in msg


def test_hub_rows_go_through_the_same_conversion(monkeypatch):
    monkeypatch.undo()
    fake = types.ModuleType("datasets")
    calls = []

    def load_dataset(path, name=None, split=None):
        calls.append((path, name, split))
        if path.startswith("hails/"):
            return [
                {
                    "query": "Q: 1+1? Answer Choices: (A)1 (B)2\nA: Among A through B, the answer is",
                    "choices": ["(A)1", "(B)2"],
                    "gold": [1],
                }
            ]
        return [{"question": "1+1?", "answer": "1+1=2\n#### 2"}]

    fake.load_dataset = load_dataset
    monkeypatch.setitem(sys.modules, "datasets", fake)
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    (ex,) = GSM8K().examples("test")
    assert calls == [("openai/gsm8k", "main", "test")]
    assert ex.gold == "2" and ex.meta["source"] == "hf:openai/gsm8k"
    (ex,) = AGIEval(subsets=["lsat-ar"]).examples("test")
    assert calls[-1] == ("hails/agieval-lsat-ar", None, "test")
    assert ex.input.startswith("1+1?") and ex.gold == "2" and ex.meta["subset"] == "lsat-ar"


def test_script_datasets_fall_back_to_the_hubs_parquet_export(monkeypatch):
    monkeypatch.undo()
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    fake = types.ModuleType("datasets")
    calls = []

    def load_dataset(path, name=None, split=None, data_files=None):
        calls.append((path, name, split, data_files))
        if path != "parquet":
            raise RuntimeError("Dataset scripts are no longer supported, but found hhh_alignment.py")
        return [{"input": "Human: Hi\n\nAssistant:", "targets": {"choices": ["Hello!", "No."], "labels": [1, 0]}}]

    fake.load_dataset = load_dataset
    monkeypatch.setitem(sys.modules, "datasets", fake)
    (ex,) = HHH(subsets=["honest"]).examples("test")
    assert calls[-1] == (
        "parquet",
        None,
        "test",
        {"test": "hf://datasets/HuggingFaceH4/hhh_alignment@refs%2Fconvert%2Fparquet/honest/test/*.parquet"},
    )
    assert ex.gold == "Hello!" and ex.meta["subset"] == "honest"


def test_a_file_path_is_read_once_for_a_task_with_subsets(tmp_path):
    row = {"example_id": "x.txt", "article": "A.", "question": "Q?", "options": ["a", "b", "c", "d"], "answer": "D"}
    (tmp_path / "race.jsonl").write_text(json.dumps(row) + "\n")
    (ex,) = get_task("race")[0].__class__(path=tmp_path / "race.jsonl").examples("test")
    assert ex.gold == "d" and "subset" not in ex.meta
    (ex,) = get_task("race")[0].__class__(path=tmp_path / "race.jsonl", subsets=["middle"]).examples("test")
    assert ex.meta["subset"] == "middle"


def test_a_lone_subset_file_is_named_after_its_subset():
    examples = BBH(path=FIXTURES / "bbh" / "bbh" / "date_understanding.json").examples("test")
    assert {e.meta["subset"] for e in examples} == {"date_understanding"} and examples[0].answer_type == "choice"
    (lsat, _) = AGIEval(path=FIXTURES / "agieval" / "lsat-ar.jsonl").examples("test")
    assert lsat.meta["subset"] == "lsat-ar" and lsat.id == "agieval/lsat-ar/0"
