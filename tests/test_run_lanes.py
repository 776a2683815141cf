"""`parallel_students`: students trained and evaluated side by side, each in its own process
(the end-to-end run with lanes is in test_run.py, on its smoke run)."""

from __future__ import annotations

import json

import pytest

from cautious.errors import UserError
from cautious.run.lanes import lane_plan, makespan, run_lanes


def test_lanes_share_the_cores_and_fall_back_to_one_student_at_a_time(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert lane_plan(2, 4) == (2, 1)  # the lab on 2 cores: two students, 1 thread each
    assert lane_plan(1, 4) == (1, 0)  # asked for none
    assert lane_plan(2, 1) == (1, 0)  # one student: nothing to overlap
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(8)), raising=False)
    assert lane_plan(2, 4) == (2, 4)
    assert lane_plan(3, 4) == (3, 2)
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0}, raising=False)
    assert lane_plan(2, 4) == (1, 0)  # one core: serial
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert lane_plan(2, 4) == (1, 0)  # a GPU run trains one student at a time on it


def test_the_wall_of_overlapped_students_is_the_lanes_makespan():
    assert makespan([130, 109, 142, 122], 2) == 252  # the next free lane takes the next student
    assert makespan([3, 1, 1, 1], 2) == 3
    assert makespan([2, 2, 2], 1) == 6
    assert makespan([], 2) == 0


def test_a_failing_lane_is_one_line_naming_the_student_and_its_log(tmp_path):
    lines = []
    with pytest.raises(UserError) as err:
        run_lanes(tmp_path, ["cautious"], lanes=1, threads=1, write=lines.append)
    message = str(err.value)
    assert message.startswith("student 'cautious': error: ") and "run.json: cannot read the run's config" in message
    assert "\n" not in message and str(tmp_path / "logs" / "lane-0.log") in message  # it failed before the student began
    assert "Traceback" not in (tmp_path / "logs" / "lane-0.log").read_text()


def test_a_student_that_fails_in_a_lane_is_named_with_its_own_log(tmp_path):
    from cautious.run.config import load_run_config

    (tmp_path / "run.json").write_text(json.dumps(load_run_config(preset="smoke").model_dump(mode="json")))
    with pytest.raises(UserError) as err:
        run_lanes(tmp_path, ["ghost"], lanes=2, threads=1, write=lambda line: None)
    log = tmp_path / "logs" / "ghost.log"
    assert str(err.value) == f"student 'ghost': error: run config: no student named 'ghost' (its log: {log})"
