"""`cautious eval` on the command line: a scores table per task × condition; bad input → one line, exit 2."""

from __future__ import annotations

import json

import pytest


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_eval_prints_scores_for_both_conditions_and_resumes(cli, tmp_path):
    out = tmp_path / "run"
    code, stdout, stderr = cli("eval", "--model", "lab:step-by-step", "--tasks", "arithmetic,comparison",
                               "--system", "empty,cautious", "--out", out, "-n", "4")
    assert code == 0, stderr
    for needle in ("strict", "flex", "parsed", "strategies used", "arithmetic", "comparison", "empty", "cautious",
                   "step-by-step 100%", "100.0", "16 new samples"):
        assert needle in stdout, needle
    scores = json.loads((out / "scores.json").read_text())["scores"]
    assert {(s["task"], s["condition"]) for s in scores} == {(t, c) for t in ("arithmetic", "comparison") for c in ("empty", "cautious")}
    code, stdout, _ = cli("eval", "--model", "lab:step-by-step", "--tasks", "arithmetic,comparison",
                          "--system", "empty", "--system", "cautious", "--out", out, "-n", "4")
    assert code == 0 and "0 new samples, 16 resumed" in stdout


def test_literal_system_text_is_its_own_condition(cli, tmp_path):
    code, stdout, stderr = cli("eval", "-m", "lab", "-t", "comparison", "-s", "Answer briefly, please.", "-o", tmp_path / "r", "-n", "2")
    assert code == 0, stderr
    run = json.loads((tmp_path / "r" / "run.json").read_text())
    [(name, text)] = run["conditions"].items()
    assert name.startswith("custom-") and text == "Answer briefly, please."


@pytest.mark.parametrize(
    "args, message",
    [
        (["-t", "no_such_task"], "unknown task 'no_such_task'"),
        (["-t", "missing/file.jsonl"], "missing/file.jsonl: file not found"),
        (["-s", "cuatious"], "unknown system message preset 'cuatious'"),
        (["-s", "@nope.txt"], "nope.txt: system message file not found"),
        (["-n", "0"], "-n 0: must be at least 1"),
        (["--batch-size", "0"], "--batch-size 0: must be at least 1"),
        (["--split", "bogus"], "has no split 'bogus'"),
        (["--answer-regex", "(unclosed"], "--answer-regex (unclosed: not a valid regular expression"),
        (["-m", "nosuch:thing"], "unknown model backend 'nosuch'"),
        (["-m", "lab:no-such-strategy"], "unknown default strategy"),
    ],
)
def test_bad_input_is_one_clear_line(cli, tmp_path, args, message):
    base = {"-m": "lab", "-t": "arithmetic", "-o": str(tmp_path / "r")}
    flags = dict(zip(args[::2], args[1::2]))
    merged = {**base, **{k: v for k, v in flags.items() if k in base}}
    argv = ["eval"] + [x for kv in merged.items() for x in kv] + [x for k, v in flags.items() if k not in base for x in (k, v)]
    code, stdout, stderr = cli(*argv)
    assert code == 2, (stdout, stderr)
    assert message in stderr and "Traceback" not in stderr
    assert len(lines(stderr)) == 1


def test_model_that_cannot_load(cli, tmp_path):
    pytest.importorskip("transformers")
    (tmp_path / "ckpt").mkdir()
    for name in ("config.json", "tokenizer.json", "model.safetensors"):  # whole, but not loadable
        (tmp_path / "ckpt" / name).write_text("not what it should be")
    code, _, stderr = cli("eval", "-m", f"hf:{tmp_path / 'ckpt'}", "-t", "arithmetic", "-o", tmp_path / "r", "-n", "1")
    assert code == 2 and "cannot load model" in stderr and len(lines(stderr)) == 1


def test_wrong_format_data_file(cli, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"input": "q", "target": "a"}\n{"input": 3}\n')
    code, _, stderr = cli("eval", "-m", "lab", "-t", str(bad), "-o", tmp_path / "r")
    assert code == 2 and str(bad) in stderr and "Traceback" not in stderr


def test_partial_results_stay_and_resume(cli, tmp_path):
    """A run folder with a torn last line (a killed run) resumes; a corrupted one says where."""
    out = tmp_path / "r"
    assert cli("eval", "-m", "lab", "-t", "arithmetic", "-o", out, "-n", "3")[0] == 0
    rec = out / "records.jsonl"
    rows = rec.read_text().splitlines(keepends=True)
    rec.write_text(rows[0] + rows[1][:30])
    code, stdout, _ = cli("eval", "-m", "lab", "-t", "arithmetic", "-o", out, "-n", "3")
    assert code == 0 and "2 new samples, 1 resumed" in stdout
    rec.write_text("garbage\n" + rec.read_text())
    code, _, stderr = cli("eval", "-m", "lab", "-t", "arithmetic", "-o", out, "-n", "3")
    assert code == 2 and "records.jsonl:1: malformed JSON" in stderr


def test_other_model_in_same_folder_is_refused(cli, tmp_path):
    assert cli("eval", "-m", "lab", "-t", "arithmetic", "-o", tmp_path / "r", "-n", "1")[0] == 0
    code, _, stderr = cli("eval", "-m", "lab:step-by-step", "-t", "arithmetic", "-o", tmp_path / "r", "-n", "1")
    assert code == 2 and "holds a run with model='lab'" in stderr


def test_judge_tasks_need_a_judge(cli, tmp_path):
    from cautious.tasks import registered

    judged = [name for name, e in registered().items() if "judge" in e.needs]
    assert judged, "no judge-scored task registered: the benchmark tasks (mt_bench, ...) are missing from the registry"
    code, _, stderr = cli("eval", "-m", "lab", "-t", judged[0], "-o", tmp_path / "r")
    assert code == 2 and "--judge" in stderr
