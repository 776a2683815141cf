"""Every benchmark script under bench/ still runs: each one's cheapest path (tiny data, no
peers), in this process, so an API change that breaks a bench fails `make test` instead of
being found by hand months later (eval_vs_lm_eval ran on a removed bypass and crashed).

A new script must be added to CHEAPEST below: the test that lists bench/ fails until it is.
"""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "benchmarks"

#: script -> its cheapest arguments ({tmp}: this test's folder; its tiny.yaml is the `tiny_run`
#: fixture, tests/fixtures/tiny_run.yaml). Most take --smoke; the data
#: checks run on the suite's benchmark fixtures; real_student runs a toy lab config instead
#: of SmolLM2, with the toy probe standing in for the zero-shot one and a one-point learning curve (its CI-sized SmolLM2 run is tests/test_real_student.py).
CHEAPEST = {
    "copy_shift.py": ["--smoke"],
    "eval_vs_lm_eval.py": ["--smoke"],
    "eval_vs_generate.py": ["--smoke"],
    "generate_throughput.py": ["--smoke"],
    "real_server.py": ["--smoke"],
    "train_vs_trl.py": ["--smoke"],
    "lab_ablation.py": ["--smoke", "--work", "{tmp}/work"],
    "real_student.py": ["--config", "{tmp}/tiny.yaml", "--work", "{tmp}/work", "--zero-shot-probe", "hf:{run}/probe-train/model",
                        "--zero-shot-examples", "2", "--curve", "2"],
    "gold_check.py": ["--data-dir", str(FIXTURES), "--tasks", "gsm8k,bbh"],
    "bbh_vs_lm_eval.py": ["--smoke", "--data-dir", str(FIXTURES / "bbh")],
}


def test_every_bench_script_has_a_cheapest_path_here():
    assert sorted(p.name for p in (ROOT / "bench").glob("*.py")) == sorted(CHEAPEST)


@pytest.mark.parametrize("script", sorted(CHEAPEST))
def test_the_bench_script_runs_its_cheapest_path(script, tmp_path, monkeypatch, capsys, tiny_run):
    import torch

    out = tmp_path / "result.json"
    args = [a.replace("{tmp}", str(tmp_path)) for a in CHEAPEST[script]] + ["--out", str(out)]
    monkeypatch.setattr(sys, "argv", [str(ROOT / "bench" / script), *args])
    monkeypatch.setenv("CAUTIOUS_PROGRESS_EVERY", "3600")
    threads = torch.get_num_threads()
    try:
        runpy.run_path(str(ROOT / "bench" / script), run_name="__main__")
    except SystemExit as exc:  # scripts end with sys.exit(main()); a skip is a failure here
        assert exc.code in (0, None), (script, exc.code, capsys.readouterr())
    finally:
        torch.set_num_threads(threads)
    printed = capsys.readouterr().out
    assert "SKIP" not in printed and "skipped" not in printed, printed
    result = json.loads(out.read_text())
    assert result, f"{script} wrote no result"
    if script == "lab_ablation.py":  # a timing says how fast the host was when it was taken
        speed = result["machine"]["speed"]
        assert speed["probe_8row_step_s"] > 0 and speed["steps"] == 3
        # the reference is the lab probe's step: a toy model's wall is not restated by it
        assert result["wall_seconds_at_reference_speed"] is None
        # and which library versions the numbers went through (a run may come from any environment)
        assert result["machine"]["libraries"]["transformers"] and result["machine"]["torch"].startswith("2.13.0")


@pytest.mark.parametrize("args, says", [
    (["--curve", "250,abc"], "--curve: '250,abc': expected comma-separated whole numbers above 0"),
    (["--curve", "0"], "--curve: '0': expected comma-separated whole numbers above 0"),
    (["--zero-shot-examples", "-1"], "--zero-shot-examples: '-1': expected a whole number, 0 or more"),
    (["--curve", "999"], "error: --curve: every size must be below the config's train_examples"),
])
def test_real_student_refuses_bad_sizes_in_one_line_before_running(args, says, tmp_path, tiny_run):
    import subprocess

    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "real_student.py"), "--config", str(tiny_run),
                           "--work", str(tmp_path / "work"), "--out", str(tmp_path / "r.json"), *args],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and says in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert not (tmp_path / "work").exists() and not (tmp_path / "r.json").exists()
