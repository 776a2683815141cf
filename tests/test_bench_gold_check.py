"""bench/gold_check.py and bench/bbh_vs_lm_eval.py on the repo's fixtures: the scripts that check
scoring on the real release files run end to end on the fixtures' layout, in a few seconds."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "benchmarks"


def run(script: str, *args: str, env_data_dir: str | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}
    if env_data_dir is not None:
        env["CAUTIOUS_DATA_DIR"] = env_data_dir
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args], capture_output=True, text=True, timeout=300, env=env
    )


def test_gold_check_runs_on_the_fixtures(tmp_path):
    out = tmp_path / "gold.json"
    proc = run("gold_check.py", "--data-dir", str(FIXTURES), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    assert report["totals"]["violations"] == 0 and report["not_obtained"] == []
    bbh = report["tasks"]["bbh"]
    assert bbh["examples"] == 15 and bbh["irregular"] == 2 and bbh["subsets"]["snarks"]["ambiguous"] == 1
    assert report["tasks"]["mt_bench"]["judged"] == 3 and "ruin_names" in proc.stdout
    assert set(report["tasks"]["agieval"]["files"]) >= {"agieval/aqua-rat.jsonl"}  # relative paths, hashed


def test_gold_check_names_what_it_could_not_obtain_and_user_errors_are_one_line(tmp_path):
    (tmp_path / "gsm8k").mkdir()
    (tmp_path / "gsm8k" / "test.jsonl").write_text(json.dumps({"question": "1+1?", "answer": "#### 2"}) + "\n")
    out = tmp_path / "gold.json"
    proc = run("gold_check.py", "--out", str(out), "--tasks", "gsm8k,mmlu", env_data_dir=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    assert report["not_obtained"] == ["mmlu"] and report["tasks"]["gsm8k"]["examples"] == 1
    for args in (["--tasks", "nope"], ["--data-dir", str(tmp_path / "missing")], []):
        proc = run("gold_check.py", "--out", str(out), *args)
        assert proc.returncode != 0 and proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: "), proc.stderr


@pytest.mark.skipif(importlib.util.find_spec("lm_eval") is None, reason="lm-eval is not installed")
def test_bbh_vs_lm_eval_runs_on_the_fixtures(tmp_path):
    out = tmp_path / "bbh.json"
    proc = run("bbh_vs_lm_eval.py", "--data-dir", str(FIXTURES), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    target = report["totals"]["target"]
    assert target["strict_agree"] == target["outputs"]  # exact match on the target string: the same verdicts
    assert target["ours_strict_true"] == target["ours_flexible_true"] == target["truth_known"]
