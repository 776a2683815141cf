"""`probe_rounds`: a probe that has learned no strategy of some task trains on, in capped rounds,
judged on dev questions `select` never scores; a probe that passes is left exactly as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from cautious.errors import UserError
from cautious.run import load_run_config
from cautious.run import run as run_pipeline
from cautious.run.probe_rounds import final_probe_stage

#: The smoke preset with two students and no curve: every stage the rounds touch, in seconds.
SMALL = {"students": [{"name": "cautious"}, {"name": "direct-only", "strategy": "direct-answer"}], "curve_points": 0}


def _run(out: Path, **changes):
    cfg = load_run_config(preset="smoke").model_validate({**load_run_config(preset="smoke").model_dump(), **SMALL, **changes})
    return run_pipeline(cfg, str(out), console=Console(file=open("/dev/null", "w")))


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def never_competent(tmp_path_factory):
    """A bar no smoke probe reaches: both rounds run."""
    out = tmp_path_factory.mktemp("rounds") / "run"
    summary = _run(out, probe_rounds={"competent": 1.0, "check_examples": 3, "steps": 2, "max_rounds": 2}, curve_points=2)
    return out, summary


def test_a_probe_below_the_bar_trains_every_round_and_the_students_start_from_the_last(never_competent):
    out, summary = never_competent
    for stage in ("probe-check-1", "probe-round-1", "probe-check-2", "probe-round-2"):
        assert (out / stage / "stage.json").exists(), stage
    assert not (out / "probe-check-3").exists()  # the cap: no third check, no third round
    rounds = summary["probe_rounds"]
    assert rounds["rounds"] == 2 and rounds["final_probe"] == "probe-round-2"
    assert [c["probe"] for c in rounds["checks"]] == ["probe-train", "probe-round-1"]
    assert all(not c["all"] and c["bar"] == 1.0 for c in rounds["checks"])
    # each round starts from the probe before it; select and the students use the last one
    assert (out / "probe-round-1" / "model" / "train_config.yaml").read_text().startswith(f"model: {out / 'probe-train' / 'model'}")
    assert (out / "probe-round-2" / "model" / "train_config.yaml").read_text().startswith(f"model: {out / 'probe-round-1' / 'model'}")
    for student in ("cautious", "direct-only"):
        assert (out / f"train-{student}" / "model" / "train_config.yaml").read_text().startswith(f"model: {out / 'probe-round-2' / 'model'}")
    assert "trained 2 more round(s)" in (out / "report" / "report.md").read_text()
    # the learning curve's last point is the probe select measured: two rounds of 2 steps past the curve
    curve = json.loads((out / "probe-curve" / "curve.json").read_text())
    assert max(p["step"] for p in summary["probe_curve"]) == curve["final_step"] + 2 * 2


def test_the_check_never_reads_a_question_select_scores_or_a_test_question(never_competent):
    out, _ = never_competent
    check = _lines(out / "probe-check-1" / "check.jsonl")
    scored = {(e["task"], e["input"]) for e in _lines(out / "data" / "dev.jsonl")}
    test = {(e["task"], e["input"]) for e in _lines(out / "data" / "test.jsonl")}
    asked = [(e["task"], e["input"]) for e in check]
    assert len(asked) == len(set(asked)) == 3 * 3  # three per task, each once
    assert not set(asked) & scored and not set(asked) & test
    assert {e["task"] for e in check} == {"arithmetic", "comparison", "counting"}


def test_a_rerun_after_the_rounds_trains_nothing(never_competent):
    out, _ = never_competent
    before = {s: (out / s / "stage.json").read_text() for s in ("probe-round-2", "select", "train-cautious")}
    _run(out, probe_rounds={"competent": 1.0, "check_examples": 3, "steps": 2, "max_rounds": 2}, curve_points=2)
    assert {s: (out / s / "stage.json").read_text() for s in before} == before


def test_a_probe_that_passes_the_first_check_leaves_every_later_stage_as_it_was(tmp_path, monkeypatch):
    out = tmp_path / "run"
    _run(out)
    before = {s: (out / s / "stage.json").read_text() for s in ("select", "train-cautious", "eval-cautious", "train-direct-only")}
    import cautious.run.probe_rounds as probe_rounds

    monkeypatch.setattr(probe_rounds, "competence", lambda cells, bar: {"bar": bar, "best": {"arithmetic": 1.0}, "all": True})
    summary = _run(out, probe_rounds={"check_examples": 2})
    assert (out / "probe-check-1" / "stage.json").exists() and not (out / "probe-round-1").exists()
    assert {s: (out / s / "stage.json").read_text() for s in before} == before  # skipped: the same probe, by name and content
    assert summary["probe_rounds"] == {"checks": [{"bar": 0.6, "best": {"arithmetic": 1.0}, "all": True, "probe": "probe-train"}],
                                       "rounds": 0, "final_probe": "probe-train"}


def test_final_probe_follows_only_checks_of_the_probe_before_them(tmp_path):
    def stage(name, check=None):
        (tmp_path / name).mkdir()
        (tmp_path / name / "stage.json").write_text("{}")
        if check is not None:
            (tmp_path / name / "check.json").write_text(json.dumps(check))

    assert final_probe_stage(tmp_path, 2) == "probe-train"  # before any check
    stage("probe-check-1", {"all": True, "probe": "probe-train"})
    stage("probe-round-1")  # left over from an earlier run whose probe failed: not used
    assert final_probe_stage(tmp_path, 2) == "probe-train"
    (tmp_path / "probe-check-1" / "check.json").write_text(json.dumps({"all": False, "probe": "probe-train"}))
    assert final_probe_stage(tmp_path, 2) == "probe-round-1"
    stage("probe-check-2", {"all": False, "probe": "probe-train"})  # a stale check of another probe
    stage("probe-round-2")
    assert final_probe_stage(tmp_path, 2) == "probe-round-1"
    assert final_probe_stage(tmp_path, 1) == "probe-round-1"


def test_rounds_need_a_probe_the_run_trains(tmp_path):
    cfg = load_run_config(preset="smoke").model_copy(update={"probe": "hf:/nowhere"})
    cfg = cfg.model_validate({**cfg.model_dump(), "probe_rounds": {}, "student_init": "model"})
    with pytest.raises(UserError, match=r"probe_rounds: needs a probe the run trains"):
        run_pipeline(cfg, str(tmp_path / "run"), console=Console(file=open("/dev/null", "w")))


def test_a_bad_rounds_setting_is_one_line_naming_it(tmp_path):
    path = tmp_path / "cfg.yaml"
    path.write_text("preset: smoke\nprobe_rounds: {steps: 0}\n")
    with pytest.raises(UserError, match=r"probe_rounds\.steps"):
        load_run_config(path)
    path.write_text("preset: smoke\nprobe_rounds: {stepz: 5}\n")
    with pytest.raises(UserError, match=r"probe_rounds\.stepz' \(valid keys: competent, check_examples, steps, lr, max_rounds\)"):
        load_run_config(path)
    path.write_text("preset: smoke\nstudents: [{name: a, strat: b}]\n")  # a nested key's hint lists its own section's keys
    with pytest.raises(UserError, match=r"students\.0\.strat' \(valid keys: name, strategy, erase\)"):
        load_run_config(path)


def test_a_dev_split_with_nothing_past_selects_questions_is_one_line_naming_the_task(tmp_path):
    from types import SimpleNamespace

    from cautious.records import Example
    from cautious.run.config import ProbeRounds
    from cautious.run.probe_rounds import check_set

    dev = [Example(id=f"q{i}", task="tiny", input=f"question {i}", target="a") for i in range(3)]

    class TinyTask:  # a task file whose dev split has only the three questions select scores
        name = "tiny"

        def check_split(self, split):
            pass

        def examples(self, split, n=None, seed=0):
            return dev[:n]

    p = SimpleNamespace(cfg=SimpleNamespace(select_examples=3, seed=0, probe_rounds=ProbeRounds()), tasks=[TinyTask()],
                        _examples=lambda name: dev[:3])
    with pytest.raises(UserError, match=r"^run config: probe_rounds: task 'tiny' has no dev questions left for the check "
                                        r"after select's 3; lower select_examples or turn probe_rounds off$"):
        check_set(p)
    dev.append(Example(id="q3", task="tiny", input="question 3", target="a"))  # one more: the check asks it, and only it
    assert [e.input for e in check_set(p)["tiny"]] == ["question 3"]
