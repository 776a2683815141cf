"""`--shard i/n` splits a job by request hash; `cautious merge` joins the shards."""

from __future__ import annotations

import json

from tests.teacher_cli import invoke, read_jsonl

JOB = ("generate", "-t", "lab", "-s", "step-by-step", "-n", 12)


def key(r):
    return (r["example_id"], r["request_hash"])


def test_shards_partition_the_job_and_merge_back_to_the_whole(tmp_path):
    assert invoke(*JOB, "-o", tmp_path / "whole.jsonl").returncode == 0
    whole = read_jsonl(tmp_path / "whole.jsonl")
    shards = []
    for i in range(3):
        r = invoke(*JOB, "-o", tmp_path / f"s{i}.jsonl", "--shard", f"{i}/3")
        assert r.returncode == 0, r.stderr
        shards.append(read_jsonl(tmp_path / f"s{i}.jsonl"))
    keys = [{key(r) for r in s} for s in shards]
    assert all(keys) and not (keys[0] & keys[1] or keys[0] & keys[2] or keys[1] & keys[2])
    assert keys[0] | keys[1] | keys[2] == {key(r) for r in whole}
    m = invoke("merge", *[tmp_path / f"s{i}.jsonl" for i in range(3)], "-o", tmp_path / "merged.jsonl")
    assert m.returncode == 0 and f"{len(whole)} written" in m.stdout
    merged = read_jsonl(tmp_path / "merged.jsonl")
    order = lambda r: (r["task"], r["strategy"], r["example_id"])  # noqa: E731
    assert merged == sorted(whole, key=order)
    # Merging the same shards again, overlapping, changes nothing.
    again = invoke("merge", tmp_path / "s0.jsonl", tmp_path / "merged.jsonl", tmp_path / "s1.jsonl", "-o", tmp_path / "m2.jsonl")
    assert again.returncode == 0 and read_jsonl(tmp_path / "m2.jsonl") == merged
    assert f"{len(shards[0]) + len(shards[1])} duplicates dropped" in again.stdout


def test_merge_prefers_a_successful_answer_to_a_failed_one(tmp_path):
    invoke(*JOB[:-1], 2, "-o", tmp_path / "ok.jsonl")
    ok = read_jsonl(tmp_path / "ok.jsonl")
    failed = [dict(r, response="", correct=False, extracted=None, status="request_failed", reason="answer: HTTP 500",
                   error="request failed: answer: HTTP 500") for r in ok]
    (tmp_path / "bad.jsonl").write_text("".join(json.dumps(r) + "\n" for r in failed))
    r = invoke("merge", tmp_path / "bad.jsonl", tmp_path / "ok.jsonl", "-o", tmp_path / "m.jsonl")
    assert r.returncode == 0 and f"({len(ok)} failed ones replaced)" in r.stdout
    assert all(x["error"] is None for x in read_jsonl(tmp_path / "m.jsonl"))


def test_bad_shard_specs_and_torn_files_are_one_clear_message(tmp_path):
    r = invoke(*JOB, "-o", tmp_path / "a.jsonl", "--shard", "3/3")
    assert r.returncode == 2 and "--shard '3/3': need 0 <= i < n" in r.stderr
    r = invoke(*JOB, "-o", tmp_path / "a.jsonl", "--shard", "half")
    assert r.returncode == 2 and "expected i/n" in r.stderr
    (tmp_path / "torn.jsonl").write_text('{"schema_version": 1, "example_id": ')
    r = invoke("merge", tmp_path / "torn.jsonl", "-o", tmp_path / "m.jsonl")
    assert r.returncode == 2 and "torn.jsonl:1: torn last line" in r.stderr
    r = invoke("merge", tmp_path / "missing.jsonl", "-o", tmp_path / "m.jsonl")
    assert r.returncode == 2 and "missing.jsonl: file not found" in r.stderr
