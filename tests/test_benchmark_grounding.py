"""ACI-Bench, QMSum and MS MARCO (`tasks/benchmarks/grounding.py`): grounded generation, judged
for hallucination against the source text each example carries."""

from __future__ import annotations

import json

import pytest

from _benchmark_helpers import load, offline  # noqa: F401 (autouse)
from cautious.errors import UserError
from cautious.tasks.benchmarks.grounding import ACIBench, QMSum


def test_grounded_sets_carry_source_and_prompt():
    aci = load("aci_bench")
    assert aci[0].input.startswith("Summarize the conversation to generate a clinical note with four sections")
    assert aci[0].meta["source_text"].startswith("[doctor] hi") and aci[0].meta["subset"] == "virtassist"
    assert aci[0].meta["judge"] == "hallucination" and aci[0].meta["prompt_version"]
    qm = load("qmsum")
    assert [e.meta["query"] for e in qm] == [
        "Summarize the whole meeting.",
        "What did the team decide about the launch date?",
    ]
    assert "Marketing: April is too early" in qm[1].meta["source_text"] and qm[1].gold == "They moved it to May."
    marco = load("ms_marco")
    assert [e.id for e in marco] == ["ms_marco/9001", "ms_marco/9003"]  # "No Answer Present." is skipped
    assert "Passage 1: Sunlight takes" in marco[0].input and marco[0].meta["task_instruction"].endswith(
        "Question: how long does sunlight take to reach earth"
    )


def test_aci_release_csv_and_qmsum_scrolls_rows(tmp_path):
    csv_file = tmp_path / "clinicalnlp_taskB_test1.csv"
    csv_file.write_text('dataset,encounter_id,dialogue,note\nvirtscribe,D2N950,"[doctor] hello","NOTE"\n')
    (ex,) = ACIBench(path=tmp_path).examples("test")
    assert ex.meta["subset"] == "virtscribe" and ex.gold == "NOTE" and ex.meta["source_text"] == "[doctor] hello"
    (same,) = ACIBench(path=csv_file).examples("test")  # a file is read once, not once per config
    assert same.id == ex.id

    row = {
        "id": "m1",
        "pid": "m1_0",
        "input": "What was decided?\n\nA: We ship Friday.\nB: Agreed.",
        "output": "Ship Friday.",
    }
    (tmp_path / "scrolls.jsonl").write_text(json.dumps(row) + "\n")
    (ex,) = QMSum(path=tmp_path / "scrolls.jsonl").examples("test")
    assert ex.meta["query"] == "What was decided?" and ex.meta["source_text"] == "A: We ship Friday.\nB: Agreed."


def test_a_qmsum_release_file_with_the_wrong_structure_names_the_field(tmp_path):
    bad_qmsum = tmp_path / "test.jsonl"
    bad_qmsum.write_text(json.dumps({"meeting_transcripts": [{"content": "hi"}], "general_query_list": []}) + "\n")
    with pytest.raises(UserError, match="'speaker'"):
        QMSum(path=bad_qmsum).examples("test")
