"""Request cache + append-as-it-arrives output: a killed run resumes exactly, paying nothing twice."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import time
from collections import Counter

from cautious.request_cache import RequestCache
from cautious.models.base import Completion
from tests.fake_openai_server import FakeOpenAIServer
from tests.teacher_cli import (
    ROOT, call_signatures, cautious_cmd, cli_env, invoke, read_jsonl, request_signature, teacher_args,
)

FAULTS = dict(fault_rate=0.12, fault_kinds=("429", "500", "malformed", "drop"), retry_after="0.2", seed=7)


def job(tmp_path, base_url, out, *more):
    smap = tmp_path / "map.yaml"
    smap.write_text("arithmetic: step-by-step\nkb_recall: recall-then-generate-2call\ndefault: direct-answer\n")
    return teacher_args(
        base_url, out, "-t", "arithmetic,kb_recall,boolean_expressions", "-s", smap, "-n", 25,
        "--concurrency", 4, "--timeout", 3, "--max-retries", 8, *more,
    )


def test_sigkill_at_random_points_then_resume_equals_an_uninterrupted_run(tmp_path):
    ref_out = tmp_path / "ref" / "answers.jsonl"
    with FakeOpenAIServer(latency=0.03, **FAULTS, lifetime=120) as ref_srv:
        done = invoke(*job(tmp_path, ref_srv.base_url, ref_out))
        assert done.returncode == 0, done.stderr
    reference = ref_out.read_bytes()
    assert len(read_jsonl(ref_out)) == 75

    out = tmp_path / "killed" / "answers.jsonl"
    rng = random.Random(1234)
    kills = 0
    progress: list[int] = []
    with FakeOpenAIServer(latency=0.01, **FAULTS, lifetime=300) as srv:
        for _ in range(3):
            # Kill at a random point of this run: the server lets a random number of requests
            # through, then holds the rest, and the kill comes once the client waits on a held one.
            # A kill timed by sleeping raced the job's end on a loaded machine.
            srv.hold(after=rng.randint(1, 15))
            proc = subprocess.Popen(cautious_cmd(*job(tmp_path, srv.base_url, out)), cwd=ROOT, env=cli_env(),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                if srv.wait_held(while_alive=lambda: proc.poll() is None):
                    proc.kill()
                    kills += 1
                proc.wait(60)
            finally:
                proc.kill()
            # Everything completed so far must never be requested again.
            records = read_jsonl(out) if out.exists() else []
            completed = call_signatures(records)
            progress.append(len(records))
            srv.release()  # requests the killed client left in flight land now (answered to no one)
            if proc.returncode == 0:
                break
            time.sleep(0.1)
            boundary = len(srv.requests)
            srv.completed_at_kill = getattr(srv, "completed_at_kill", []) + [(boundary, completed)]
        final = invoke(*job(tmp_path, srv.base_url, out))
        assert final.returncode == 0, final.stderr
        for boundary, completed in getattr(srv, "completed_at_kill", []):
            later = {request_signature(r) for r in srv.chat_requests()[boundary:]}
            assert not (later & completed), "a request of a completed item was sent again"
        answered = Counter(request_signature(r) for r in srv.chat_requests() if r.get("answered"))
        repaid = sum(n - 1 for n in answered.values() if n > 1)
        assert repaid <= 4 * kills  # only requests in flight at a kill (concurrency 4) may be re-paid
    assert kills >= 2 and any(0 < n < 75 for n in progress), progress  # killed mid-run, more than once
    assert out.read_bytes() == reference  # same records, same order, byte for byte


def test_a_finished_run_rerun_sends_nothing(tmp_path):
    out = tmp_path / "a.jsonl"
    with FakeOpenAIServer(lifetime=60) as srv:
        args = teacher_args(srv.base_url, out, "-t", "comparison", "-s", "direct-answer", "-n", 10)
        assert invoke(*args).returncode == 0
        first = len(srv.chat_requests())
        again = invoke(*args)
        assert again.returncode == 0 and "0 requests sent" in again.stdout
        assert len(srv.chat_requests()) == first == 10
        # With the output gone, the cache answers everything: still nothing re-paid.
        out.unlink()
        third = invoke(*args)
        assert "0 requests sent, 10 from cache" in third.stdout and len(srv.chat_requests()) == 10
        assert len(read_jsonl(out)) == 10


def test_failed_requests_are_recorded_then_retried_by_the_next_run(tmp_path):
    out = tmp_path / "a.jsonl"
    with FakeOpenAIServer(lifetime=60) as srv:
        srv.always["True and"] = "500"
        args = teacher_args(srv.base_url, out, "-t", "boolean_expressions", "-s", "direct-answer", "-n", 12, "--max-retries", 1)
        first = invoke(*args)
        assert first.returncode == 4 and "rerun the same command" in first.stdout  # 4: answers failed
        records = read_jsonl(out)
        failed = [r for r in records if (r["error"] or "").startswith("request failed: ")]
        assert len(records) == 12 and failed and all(r["correct"] is False for r in failed)
        srv.always.clear()
        n_before = len(srv.chat_requests())
        assert invoke(*args).returncode == 0
        records = read_jsonl(out)
        assert len(records) == 12 and len({r["example_id"] for r in records}) == 12
        assert all(r["error"] is None and r["correct"] for r in records)
        assert len(srv.chat_requests()) - n_before == len(failed)  # only the failed ones re-sent


def test_a_torn_last_line_is_cut_and_rebuilt_from_the_cache(tmp_path):
    out = tmp_path / "a.jsonl"
    with FakeOpenAIServer(lifetime=60) as srv:
        args = teacher_args(srv.base_url, out, "-t", "counting", "-s", "step-by-step", "-n", 6)
        assert invoke(*args).returncode == 0
        whole = out.read_bytes()
        lines = whole.splitlines(keepends=True)
        out.write_bytes(b"".join(lines[:-1]) + lines[-1][:37])  # the machine died mid-write
        again = invoke(*args)
        assert again.returncode == 0 and "0 requests sent, 1 from cache" in again.stdout
        assert out.read_bytes() == whole


def test_a_corrupt_cache_is_one_clear_message(tmp_path):
    out = tmp_path / "a.jsonl"
    bad = tmp_path / "a.cache.sqlite"
    bad.write_bytes(b"this is not sqlite" * 100)
    with FakeOpenAIServer(lifetime=60) as srv:
        r = invoke(*teacher_args(srv.base_url, out, "-t", "comparison", "-s", "direct-answer", "-n", 2))
    assert r.returncode == 2
    assert "a.cache.sqlite: not a readable cautious request cache" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) <= 2


def test_the_cache_key_is_the_whole_request_not_the_prompt(tmp_path):
    cache = RequestCache(tmp_path / "c.sqlite")
    from cautious.generate import request_hash
    from cautious.models.base import SamplingParams
    from cautious.records import Message

    msgs = [Message(role="user", content="What is 2 + 2?")]
    a = request_hash("openai:m", msgs, SamplingParams(temperature=0.0), 0)
    b = request_hash("openai:m", msgs, SamplingParams(temperature=0.7), 0)
    c = request_hash("openai:m", msgs, SamplingParams(temperature=0.7), 1)
    for key, text in ((a, "4"), (b, "four"), (c, "IV")):
        cache.put(key, "openai:m", Completion(text=text))
    assert [cache.get(k).text for k in (a, b, c)] == ["4", "four", "IV"] and len(cache) == 3
    cache.close()
    # WAL mode: the cache is safe to kill mid-write and readable by others meanwhile.
    assert sqlite3.connect(tmp_path / "c.sqlite").execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_duplicate_prompts_stay_two_records(tmp_path):
    task = tmp_path / "twins.jsonl"
    rows = [{"id": "a", "input": "What is 3 + 4?", "target": "7", "split": "train"},
            {"id": "b", "input": "What is 3 + 4?", "target": "7", "split": "train"}]
    task.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "a.jsonl"
    with FakeOpenAIServer(lifetime=60) as srv:
        r = invoke(*teacher_args(srv.base_url, out, "-t", task, "-s", "direct-answer", "-n", 5, "--concurrency", 1))
        assert r.returncode == 0, r.stderr
        assert len(srv.chat_requests()) == 1  # one request: the second is the same request, cached
    records = read_jsonl(out)
    assert sorted(r["example_id"] for r in records) == ["twins/a", "twins/b"] or len(records) == 2
