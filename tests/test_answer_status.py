"""A teacher answer's status is a field; files of schema version 1 (status in `error`) still read."""

from __future__ import annotations

import json

import pytest

from cautious.errors import UserError
from cautious.generate.output import AnswerLog, merge_files, record_key
from cautious.jsonl import read_records
from cautious.records import ANSWER_SCHEMA_VERSION, TeacherAnswer, error_text

#: Every `error` version 1 wrote, with the status and reason it reads as.
V1_ERRORS = [
    (None, "ok", None),
    ("request failed: answer: HTTP 500", "request_failed", "answer: HTTP 500"),
    ("filtered: refusal", "filtered", "refusal"),
    ("filtered: too long (40 > 32 tokens)", "filtered", "too long (40 > 32 tokens)"),
    ("truncated (finish_reason=length)", "truncated", "finish_reason=length"),
]


def _answer(i: int, **update) -> TeacherAnswer:
    return TeacherAnswer(example_id=f"e{i}", task="t", strategy="direct-answer", model="lab", messages=[],
                         response=f"Final answer: {i}", gold=str(i), extracted=str(i), correct=True,
                         request_hash=f"h{i}", **update)  # fmt: skip


def _v1(ans: TeacherAnswer, error: str | None) -> dict:
    """The record as cautious wrote it before `status`: version 1, status only in `error`."""
    obj = ans.model_dump(mode="json")
    del obj["status"], obj["reason"]
    return obj | {"schema_version": 1, "error": error}


def _write(path, objs) -> None:
    path.write_text("".join(json.dumps(o) + "\n" for o in objs))


def test_status_and_reason_are_written_with_the_error_line_version_1_had():
    for error, status, reason in V1_ERRORS:
        obj = _answer(0, status=status, reason=reason).model_dump(mode="json")
        assert (obj["schema_version"], obj["status"], obj["reason"], obj["error"]) == (ANSWER_SCHEMA_VERSION, status, reason, error)
        assert error_text(status, reason) == error
        assert TeacherAnswer.model_validate(obj).model_dump(mode="json") == obj


def test_a_version_1_file_reads_as_status_and_reason_and_rewrites_as_version_2(tmp_path):
    _write(tmp_path / "v1.jsonl", [_v1(_answer(i), error) for i, (error, _, _) in enumerate(V1_ERRORS)])
    read = read_records(tmp_path / "v1.jsonl", TeacherAnswer)
    assert [(a.status, a.reason, a.error) for a in read] == [(s, r, e) for e, s, r in V1_ERRORS]
    assert {a.schema_version for a in read} == {ANSWER_SCHEMA_VERSION}
    merge_files([tmp_path / "v1.jsonl"], tmp_path / "merged.jsonl")
    merged = [json.loads(line) for line in (tmp_path / "merged.jsonl").read_text().splitlines()]
    assert [(m["schema_version"], m["status"], m["error"]) for m in merged] == [(2, s, e) for e, s, _ in V1_ERRORS]


def test_resuming_a_version_1_file_retries_its_failed_requests_and_counts_its_rejections(tmp_path):
    path = tmp_path / "answers.jsonl"
    answers = [_answer(i) for i in range(len(V1_ERRORS))]
    _write(path, [_v1(a, error) for a, (error, _, _) in zip(answers, V1_ERRORS)])
    log = AnswerLog(path)
    log.load()
    assert log.dropped_failed == 1 and record_key(answers[1]) not in log
    summary = log.summaries({record_key(a): i for i, a in enumerate(answers)})[0]
    assert (summary.n, summary.accepted, summary.errors) == (4, 1, 3)
    assert dict(summary.reasons) == {"filtered: refusal": 1, "filtered: too long": 1, "truncated": 1}


def test_an_error_that_disagrees_with_the_status_or_says_nothing_known_is_refused(tmp_path):
    edited = _answer(0).model_dump(mode="json") | {"error": "filtered: refusal"}  # status still "ok"
    _write(tmp_path / "edited.jsonl", [edited])
    with pytest.raises(UserError, match=r"edited\.jsonl:1:.*disagrees with status 'ok'"):
        read_records(tmp_path / "edited.jsonl", TeacherAnswer)
    _write(tmp_path / "odd.jsonl", [_v1(_answer(0), "something else")])
    with pytest.raises(UserError, match=r"odd\.jsonl:1:.*starts with none of"):
        read_records(tmp_path / "odd.jsonl", TeacherAnswer)
    _write(tmp_path / "v3.jsonl", [_answer(0).model_dump(mode="json") | {"schema_version": 3}])
    with pytest.raises(UserError, match=r"v3\.jsonl:1:schema_version: .* schema 3, this cautious reads schema 1 or 2"):
        read_records(tmp_path / "v3.jsonl", TeacherAnswer)
