"""Class 3: no command destroys its own input. An output that is an input — by the same name,
a symbolic link or a hard link — is refused everywhere; `train --overwrite` removes only what a
training run wrote, and only in a folder that holds one."""

from __future__ import annotations

import os
import shutil

import pytest

from cautious.train.checkpoint import holds_run
from tests._bad_input import refused, snapshot, workspace

GEN = ["generate", "-s", "direct-answer", "-n", 2]


def links(root):
    """The same answers file under three more names."""
    os.symlink(root / "answers.jsonl", root / "link.jsonl")
    os.link(root / "answers.jsonl", root / "hard.jsonl")
    (root / "sub").mkdir()
    os.symlink(root, root / "sub" / "up")


CASES = [
    ("erase-out-is-input", ["erase", "{d}/answers.jsonl", "--out", "{d}/answers.jsonl"], "{d}/answers.jsonl: is also an input"),
    ("erase-out-is-symlink-to-input", ["erase", "{d}/answers.jsonl", "--out", "{d}/link.jsonl"], "{d}/link.jsonl: is also an input"),
    ("erase-out-is-hard-link-to-input", ["erase", "{d}/answers.jsonl", "--out", "{d}/hard.jsonl"], "{d}/hard.jsonl: is also an input"),
    ("erase-out-through-a-linked-folder", ["erase", "{d}/answers.jsonl", "--out", "{d}/sub/up/answers.jsonl"], "is also an input"),
    ("erase-out-is-its-system-file", ["erase", "{d}/answers.jsonl", "--system", "@{d}/system.txt", "--out", "{d}/system.txt"],
     "{d}/system.txt: is also an input"),
    ("merge-out-is-input", ["merge", "{d}/answers.jsonl", "--out", "{d}/link.jsonl"], "{d}/link.jsonl: is also an input"),
    ("generate-out-is-the-task-file", [*GEN, "-t", "{d}/task.jsonl", "--out", "{d}/task.jsonl"], "{d}/task.jsonl: is also an input"),
    ("generate-out-is-the-strategy-map", [*GEN[:1], "-t", "arithmetic", "-s", "{d}/map.yaml", "--out", "{d}/map.yaml"],
     "{d}/map.yaml: is also an input"),
    ("generate-out-is-the-cache", [*GEN, "-t", "arithmetic", "--cache", "{d}/answers.jsonl", "--out", "{d}/answers.jsonl"],
     "{d}/answers.jsonl: is also an output of this run (answers.jsonl); give --cache another path"),
    ("select-cache-is-its-scores-file", ["select", "--probe", "lab", "-t", "arithmetic", "-n", "2", "--cache", "{d}/sel/scores.json",
                                         "--out", "{d}/sel"], "{d}/sel/scores.json: is also an output of this run (scores.json)"),
    ("generate-stats-file-is-the-task-file", [*GEN, "-t", "{d}/bb.stats.json", "--out", "{d}/bb.jsonl"], "{d}/bb.stats.json: is also an input"),
    ("select-scores-is-the-task-file", ["select", "--probe", "lab", "-t", "{d}/folder/scores.json", "--out", "{d}/folder"],
     "{d}/folder/scores.json: is also an input"),
    ("eval-record-is-the-system-file", ["eval", "-m", "lab", "-t", "arithmetic", "-s", "@{d}/ev/run.json", "--out", "{d}/ev"],
     "{d}/ev/run.json: is also an input"),
    ("train-data-named-like-a-run-file", ["train", "--data", "{d}/m/metrics.jsonl", "-o", "{d}/m"],
     "{d}/m/metrics.jsonl: is inside the output folder, where training writes metrics.jsonl"),
    ("train-into-its-own-model", ["train", "--data", "{d}/train.jsonl", "--model", "{d}/folder", "-o", "{d}/folder"],
     "is the model the run starts from"),
    ("run-config-inside-a-stage-folder", ["run", "--config", "{d}/r/data/run.yaml", "--out", "{d}/r"],
     "{d}/r/data/run.yaml: is inside the run folder, where the run writes data"),
]


@pytest.mark.parametrize("args, message", [(a, m) for _, a, m in CASES], ids=[c for c, _, _ in CASES])
def test_an_output_that_is_an_input_is_refused(cli, tmp_path, args, message):
    workspace(tmp_path)
    links(tmp_path)
    for bigbench in (tmp_path / "folder" / "scores.json", tmp_path / "bb.stats.json"):  # BIG-bench tasks
        bigbench.write_text('{"examples": [{"input": "1 + 1?", "target": "2"}]}\n')
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "run.json").write_text("Answer briefly.\n")
    (tmp_path / "m").mkdir()
    shutil.copy(tmp_path / "train.jsonl", tmp_path / "m" / "metrics.jsonl")
    (tmp_path / "r" / "data").mkdir(parents=True)
    (tmp_path / "r" / "data" / "run.yaml").write_text("preset: smoke\n")
    refused(cli, tmp_path, args, message)


def test_overwrite_in_a_folder_without_a_training_run_deletes_nothing(cli, tmp_path):
    workspace(tmp_path)
    mine = tmp_path / "mine"
    (mine / "runs").mkdir(parents=True)
    (mine / "runs" / "notes.txt").write_text("my notes\n")
    (mine / "config.json").write_text('{"my": "model"}\n')
    assert not holds_run(mine)
    refused(cli, tmp_path, ["train", "--data", "{d}/train.jsonl", "-o", "{d}/mine", "--overwrite", "--max-steps", 1],
            "{d}/mine: holds", "which no cautious training run wrote", "--overwrite only starts over a training run")


def test_overwrite_removes_only_what_the_training_run_wrote(cli, tmp_path, monkeypatch):
    workspace(tmp_path)
    out = tmp_path / "student"
    out.mkdir()
    (out / "notes.txt").write_text("keep me\n")
    monkeypatch.setenv("COLUMNS", "200")
    code, _, err = cli("train", "--data", tmp_path / "train.jsonl", "-o", out, "--max-steps", 1, "--no-progress")
    assert code == 0, err and holds_run(out)
    (out / "metrics.jsonl").write_text("stale\n")
    code, _, err = cli("train", "--data", tmp_path / "train.jsonl", "-o", out, "--max-steps", 1, "--no-progress", "--overwrite")
    assert code == 0, err
    assert (out / "notes.txt").read_text() == "keep me\n" and (out / "metrics.jsonl").read_text() != "stale\n"


def test_a_refused_erase_leaves_its_input_as_it_was(cli, tmp_path):
    workspace(tmp_path)
    before = snapshot(tmp_path)
    code, _, _ = cli("erase", tmp_path / "answers.jsonl", "--out", tmp_path / "answers.jsonl")
    assert code == 2 and snapshot(tmp_path) == before  # the teacher answers are still teacher answers
