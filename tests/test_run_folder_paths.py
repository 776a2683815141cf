"""A run folder is one run however it is reached: `runs/x`, `./runs/x` and `/abs/runs/x`."""

from __future__ import annotations

import json

from rich.console import Console


def test_a_run_folder_reached_by_another_path_reruns_nothing(cli, tmp_path, tiny_run, monkeypatch):
    """The probe trained in the folder used to enter the select and student fingerprints by the
    path typed, so `--out r` then `--out /abs/r` retrained every student."""
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("run", "--config", tiny_run, "--out", "r", "--no-progress")
    assert code == 0, err
    code, out, err = cli("run", "--config", tiny_run, "--out", tmp_path / "r", "--no-progress")
    assert code == 0, err
    assert "▶" not in out and "select" in out and "unchanged, skipped" in out, out


def test_a_stage_marked_under_the_old_fingerprint_is_kept_and_re_marked(tmp_path):
    from cautious.run.stages import StageTimer, fingerprint

    ran: list[str] = []
    old = StageTimer(tmp_path, {"select": 1.0}, console=Console(quiet=True))
    old.run("select", {"probe": "hf:/somewhere/r/probe-train/model"}, [], lambda d: ran.append("old"))
    new = StageTimer(tmp_path, {"select": 1.0}, console=Console(quiet=True))
    new.run("select", {"probe": "hf:probe-train/model"}, [], lambda d: ran.append("new"),
            legacy={"probe": "hf:/somewhere/r/probe-train/model"})
    assert ran == ["old"] and new.skipped == ["select"]
    marker = json.loads((tmp_path / "select" / "stage.json").read_text())
    assert marker["fingerprint"] == fingerprint({"probe": "hf:probe-train/model"}, []) and "seconds" in marker
    other = StageTimer(tmp_path, {"select": 1.0}, console=Console(quiet=True))
    other.run("select", {"probe": "hf:probe-train/model", "select_examples": 5}, [], lambda d: ran.append("changed"),
              legacy={"probe": "hf:/somewhere/r/probe-train/model", "select_examples": 5})
    assert ran == ["old", "changed"]  # a real change still reruns
