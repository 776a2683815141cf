"""Live progress inside long stages (`cautious.progress`): a bar in a terminal, one plain line
about every 30 s elsewhere, nothing with --no-progress; the same for each verb run alone and
inside `cautious run`, whose ETA follows what was measured."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from cautious import progress
from tests._train_helpers import addition_chats, write_jsonl


@pytest.fixture
def every_line(monkeypatch):
    """Not a terminal, and a line at every step instead of every 30 s, so a short job shows them."""
    monkeypatch.setenv("CAUTIOUS_PROGRESS_EVERY", "0")
    yield
    progress.configure(True)


def progress_lines(err: str, label: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith(f"{label}: ")]


@pytest.mark.parametrize("verb, args, total", [
    ("eval", ["-m", "lab:direct-answer", "-t", "comparison", "-n", 3, "-s", "empty,cautious"], 6),  # 3 examples x 2 messages
    ("select", ["--probe", "lab", "-t", "comparison", "-n", 3, "--strategies", "direct-answer,step-by-step"], 6),
    ("generate", ["-t", "comparison", "-s", "direct-answer", "-n", 3], 3),
], ids=["eval", "select", "generate"])
def test_a_verb_alone_prints_examples_done_over_total_when_not_in_a_terminal(cli, tmp_path, every_line, verb, args, total):
    label = verb
    out = tmp_path / ("a.jsonl" if verb == "generate" else "run")
    code, stdout, err = cli(verb, *args, "--out", out)
    assert code == 0, err
    lines = progress_lines(err, label)
    assert lines and re.match(rf"{label}: {total}/{total} \(100%\) answers · ETA 0s$", lines[-1]), err
    assert "\r" not in err and "\x1b" not in err  # plain lines, no redraws
    code, _, err = cli(verb, *args, "--out", tmp_path / "again.jsonl" if verb == "generate" else tmp_path / "again", "--no-progress")
    assert code == 0 and not progress_lines(err, label), err


def test_train_alone_shows_step_total_loss_tokens_per_second_and_eta(cli, tmp_path, every_line):
    data = write_jsonl(tmp_path / "train.jsonl", addition_chats(12))
    args = ["train", "--data", data, "--max-steps", 3, "--max-len", 64, "--batch-size", 2, "--micro-batch-size", 2,
            "--set", "lab_tiny.hidden_size=32", "--set", "lab_tiny.num_layers=1", "--set", "lab_tiny.num_heads=2",
            "--set", "lab_tiny.intermediate_size=64", "--set", "lab_tiny.vocab_size=300", "--set", "threads=1"]
    code, _, err = cli(*args, "-o", tmp_path / "m")
    assert code == 0, err
    lines = [line for line in err.splitlines() if re.match(r"\S+: \d+/3 ", line)]
    assert len(lines) == 3, err
    assert re.search(r": 3/3 \(100%\) steps · loss \d+\.\d{4} · [\d,]+ tok/s · ETA 0s$", lines[-1]), lines
    code, _, err = cli(*args, "-o", tmp_path / "m2", "--no-progress")
    assert code == 0 and not re.search(r"\d+/3 ", err), err


def test_a_run_shows_each_long_stage_with_the_runs_eta(cli, tmp_path, every_line, tiny_run):
    code, stdout, err = cli("run", "--config", tiny_run, "--out", tmp_path / "r")
    assert code == 0, err
    shown = {line.split(":")[0] for line in err.splitlines() if re.match(r"[\w-]+ › [\w -]+: \d+/\d+ ", line)}
    assert {"probe-data › teacher answers", "probe-train › strategies", "select › probe answers",
            "generate-cautious › teacher answers", "train-cautious › strategies", "eval-cautious › answers"} <= shown, err
    assert all("run ETA" in line for line in err.splitlines() if " › " in line)
    code, stdout, err = cli("run", "--config", tiny_run, "--out", tmp_path / "r2", "--no-progress")
    assert code == 0 and " › " not in err and "▶ probe-train" in stdout


def test_in_a_terminal_the_bar_is_drawn_live_with_loss_and_tokens_per_second():
    screen = io.StringIO()
    progress.configure(True, console=Console(file=screen, force_terminal=True, width=120))
    try:
        with progress.bar("strategies", total=4, unit="steps") as bar:
            for _ in range(4):
                bar.advance(1, loss=1.5, tokens=100)
    finally:
        progress.configure(True)
    drawn = screen.getvalue()
    assert "strategies" in drawn and "4/4" in drawn and "loss 1.5000" in drawn and "tok/s" in drawn and "━" in drawn


def test_the_runs_eta_comes_from_what_was_measured(tmp_path):
    from cautious.run.stages import StageTimer

    timer = StageTimer(tmp_path, {"probe-train": 10.0, "select": 5.0, "train-a": 10.0, "eval-a": 5.0}, console=Console(quiet=True))
    assert timer.eta_seconds() == pytest.approx(30.0)  # nothing measured: the reference weights
    timer.times["probe-train"] = 100.0  # training ran 10x slower than the reference
    # train-a is paced by probe-train (10x); select and eval, not seen yet, by everything measured (10x).
    assert timer.eta_seconds() == pytest.approx(100 + 50 + 50)
    timer.times["select"] = 5.0  # generation ran at the reference pace: eval follows select, not training
    assert timer.eta_seconds() == pytest.approx(100 + 5)
    # Inside a stage, its own bar's pace counts: train-a half done after 20 s → 20 s left in it.
    timer.current = "train-a"
    timer.current_started -= 0  # (started now)
    bar = progress.Bar("x", total=10, show=False)
    bar.done, bar.started_at = 5, bar.started_at - 20
    assert timer.eta_seconds(bar) == pytest.approx(20 + 5, rel=0.05)


def test_a_stage_of_a_second_or_two_does_not_scale_the_runs_eta(tmp_path):
    """A 0.2-s guess for a data stage that took 3 s beside another job once printed an ETA of
    3h15m for a 20-minute run: tiny stages are noise, not the machine's pace."""
    from cautious.run.stages import StageTimer

    timer = StageTimer(tmp_path, {"data": 0.2, "probe-data": 15.0, "probe-train": 500.0}, console=Console(quiet=True))
    timer.times["data"] = 3.0
    assert timer.eta_seconds() == pytest.approx(515.0)
    timer.times["probe-data"] = 30.0  # a real stage twice as slow as expected: that pace counts
    assert timer.eta_seconds() == pytest.approx(1000.0)


def test_the_first_eta_weighs_a_training_step_by_its_rows(tmp_path):
    """Before anything is measured, a step of 4 rows is expected to cost half a step of 8: the
    lab's probe of 3,000 four-row steps is the same guess as 1,500 eight-row ones, and students
    that keep 8 rows through `student_train` keep the eight-row guess."""
    from rich.console import Console

    from cautious.run.config import load_run_config
    from cautious.run.pipeline import Pipeline

    lab = load_run_config(preset="lab")
    assert lab.train["batch_size"] == 4 and lab.student_train["batch_size"] == 8
    eight = lab.model_copy(update={"train": {**lab.train, "batch_size": 8, "micro_batch_size": 8},
                                   "probe_steps": lab.probe_steps // 2, "student_train": {"lr": 1e-3}})
    before = Pipeline(eight, tmp_path / "a", Console(quiet=True)).timer.weights
    after = Pipeline(lab, tmp_path / "b", Console(quiet=True)).timer.weights
    assert after["probe-train"] == pytest.approx(before["probe-train"])
    assert after["train-cautious"] == pytest.approx(before["train-cautious"])
    smaller = Pipeline(lab.model_copy(update={"student_train": {"lr": 1e-3}}), tmp_path / "c", Console(quiet=True)).timer.weights
    assert smaller["train-cautious"] < before["train-cautious"]
    # students side by side (the lab's two lanes) are expected to take less wall each
    from cautious.run.lanes import LANE_SPEEDUP, lane_plan

    serial = Pipeline(lab.model_copy(update={"parallel_students": 1}), tmp_path / "d", Console(quiet=True)).timer.weights
    lanes = lane_plan(lab.parallel_students, len(lab.students))[0]
    assert serial["train-cautious"] == pytest.approx(after["train-cautious"] * (LANE_SPEEDUP if lanes > 1 else 1))
    assert serial["probe-train"] == after["probe-train"]
