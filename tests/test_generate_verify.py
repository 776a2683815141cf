"""Verification: gold check, self-consistency, refusal / length / truncation filters, stats."""

from __future__ import annotations

import json

from cautious.generate.verify import Filters, is_refusal, verify
from cautious.lab import families
from tests.fake_openai_server import FakeOpenAIServer, lab_reply
from tests.teacher_cli import invoke, read_jsonl, teacher_args

LAB = lab_reply()


def wrong_unless_seed_at_least_2(messages, body):
    """A noisy teacher: samples with seed 0 and 1 are wrong, later ones right."""
    text = LAB(messages, body)
    return text if (body.get("seed") or 0) >= 2 else text.rsplit("Final answer:", 1)[0] + "Final answer: -1"


def test_self_consistency_keeps_the_first_correct_sample(tmp_path):
    with FakeOpenAIServer(lifetime=60, reply=wrong_unless_seed_at_least_2) as srv:
        base = ("-t", "arithmetic", "-s", "step-by-step", "-n", 6, "--temperature", 0.7, "--cache", tmp_path / "c.sqlite")
        one = invoke(*teacher_args(srv.base_url, tmp_path / "one.jsonl", *base))
        assert one.returncode == 0
        assert not any(r["correct"] for r in read_jsonl(tmp_path / "one.jsonl"))
        sc = invoke(*teacher_args(srv.base_url, tmp_path / "sc.jsonl", *base, "--samples", 4))
        assert sc.returncode == 0, sc.stderr
    records = read_jsonl(tmp_path / "sc.jsonl")
    assert len(records) == 6 and all(r["correct"] for r in records)
    for r in records:
        assert r["sample_index"] == 2 and r["meta"]["samples"] == 3
        assert r["meta"]["sample_answers"][:2] == ["-1", "-1"] and r["meta"]["sample_answers"][2] == r["gold"]
    # Sample 0 was cached by the first run; samples 1 and 2 were new requests; none beyond.
    seeds = sorted(q["body"]["seed"] for q in srv.chat_requests())
    assert seeds == [0] * 6 + [1] * 6 + [2] * 6


def test_refusals_are_rejected_and_counted(tmp_path):
    def sometimes_refuses(messages, body):
        if "True" in messages[-1]["content"]:
            return "I'm sorry, but I can't help with that."
        return LAB(messages, body)

    out = tmp_path / "a.jsonl"
    with FakeOpenAIServer(lifetime=60, reply=sometimes_refuses) as srv:
        r = invoke(*teacher_args(srv.base_url, out, "-t", "boolean_expressions,comparison", "-s", "direct-answer", "-n", 10))
    assert r.returncode == 0
    records = read_jsonl(out)
    refused = [x for x in records if x["error"] == "filtered: refusal"]
    assert refused and all(x["task"] == "boolean_expressions" for x in refused)
    stats = {t["task"]: t for t in json.loads((tmp_path / "a.stats.json").read_text())["tasks"]}
    assert stats["boolean_expressions"]["rejected"]["filtered: refusal"] == len(refused)
    assert stats["comparison"]["acceptance"] == 1.0
    assert stats["boolean_expressions"]["accepted"] == 10 - len(refused)
    # erase drops what verification rejected.
    e = invoke("erase", out, "--out", tmp_path / "train.jsonl")
    assert e.returncode == 0 and len(read_jsonl(tmp_path / "train.jsonl")) == 20 - len(refused)


def test_length_filters_and_truncation(tmp_path):
    with FakeOpenAIServer(lifetime=60) as srv:
        job = ("-t", "arithmetic", "-s", "step-by-step", "-n", 4)
        invoke(*teacher_args(srv.base_url, tmp_path / "long.jsonl", *job, "--max-answer-tokens", 10))
        invoke(*teacher_args(srv.base_url, tmp_path / "short.jsonl", *job, "--min-tokens", 500))
        invoke(*teacher_args(srv.base_url, tmp_path / "cut.jsonl", *job, "--max-tokens", 8))
    assert all(r["error"].startswith("filtered: too long") and r["correct"] for r in read_jsonl(tmp_path / "long.jsonl"))
    assert all(r["error"].startswith("filtered: too short") for r in read_jsonl(tmp_path / "short.jsonl"))
    cut = read_jsonl(tmp_path / "cut.jsonl")
    assert all(r["finish_reason"] == "length" and r["error"].startswith("truncated") for r in cut)


def test_verdicts_unit():
    ex = families()["arithmetic"].examples("train", 1, seed=0)[0]
    good = f"Step 1: ...\nFinal answer: {ex.gold}"
    assert verify(ex, good, 20, "stop", Filters()).accepted
    assert not verify(ex, "Final answer: 0", 5, "stop", Filters()).correct
    cut = verify(ex, good, 20, "length", Filters())
    assert (cut.status, cut.reason, cut.correct, cut.accepted) == ("truncated", "finish_reason=length", True, False)
    refused = verify(ex, "As an AI language model, I cannot do that.", 9, "stop", Filters())
    assert (refused.status, refused.reason) == ("filtered", "refusal")
    assert verify(ex, "As an AI language model, I cannot do that.", 9, "stop", Filters(refusals=False)).status == "ok"
    assert is_refusal("I cannot help with that request.") and not is_refusal("I cannot see why 3 > 2, so: Final answer: 3")
