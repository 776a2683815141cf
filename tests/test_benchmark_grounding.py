"""ACI-Bench, QMSum and MS MARCO (`tasks/benchmarks/grounding.py`): grounded generation, judged
for hallucination against the source text each example carries."""

from __future__ import annotations

import json
import shutil

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


def _meeting(name: str, queries: int) -> dict:
    return {
        "topic_list": [],
        "general_query_list": [{"query": f"Summarize {name}.", "answer": f"{name} happened."}],
        "specific_query_list": [{"query": f"{name} detail {j}?", "answer": "a detail"} for j in range(queries - 1)],
        "meeting_transcripts": [{"speaker": "A", "content": f"This is {name}."}],
    }


def _write_release(root, domains: dict[str, list[str]]) -> None:
    """QMSum's data/ folder: ALL/ and one folder per domain, each split as jsonl/ and as one JSON per meeting."""
    every = [m for names in domains.values() for m in names]
    meetings = {m: _meeting(m, 2 + i) for i, m in enumerate(every)}  # 2, 3, 4, ... queries
    for domain, names in {"ALL": every, **domains}.items():
        (root / "data" / domain / "jsonl").mkdir(parents=True)
        (root / "data" / domain / "test").mkdir()
        lines = [json.dumps(meetings[m]) for m in names]
        (root / "data" / domain / "jsonl" / "test.jsonl").write_text("\n".join(lines) + "\n")
        for m in names:
            (root / "data" / domain / "test" / f"{m}.json").write_text(json.dumps(meetings[m]))


def test_qmsum_release_folder_is_read_once_all_or_the_domains(tmp_path):
    """Copying the release's whole data/ folder loads ALL's queries once: not ALL plus its per-domain copies."""
    _write_release(tmp_path, {"Academic": ["Bed001", "Bed002"], "Product": ["ES2004a"]})
    examples = QMSum(path=tmp_path).examples("test")
    assert len(examples) == 2 + 3 + 4 and not any("#" in e.id for e in examples)
    assert {e.meta["source"] for e in examples} == {str(tmp_path / "data" / "ALL" / "jsonl" / "test.jsonl")}
    # meta["row"] is the meeting's row in test.jsonl, whichever of its queries the example asks
    assert [e.meta["row"] for e in examples] == [0, 0, 1, 1, 1, 2, 2, 2, 2]
    assert examples[3].id == "qmsum/test-1/specific/0" and examples[3].meta["query"] == "Bed002 detail 0?"

    shutil.rmtree(tmp_path / "data" / "ALL")  # the per-domain splits alone: the same queries, once each
    domains = QMSum(path=tmp_path).examples("test")
    assert len(domains) == 9 and len({e.id for e in domains}) == 9
    assert sorted(e.meta["query"] for e in domains) == sorted(e.meta["query"] for e in examples)
    shutil.rmtree(tmp_path / "data" / "Product" / "jsonl")  # a domain with only its per-meeting files
    assert len(QMSum(path=tmp_path).examples("test")) == 9
