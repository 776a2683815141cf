"""`cautious run --preset smoke`: the whole method in one folder, resumable stage by stage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cautious.errors import UserError
from cautious.run import load_run_config
from cautious.strategies import load_catalog


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    from typer.testing import CliRunner

    from cautious.cli import app

    out = tmp_path_factory.mktemp("run") / "smoke"
    result = CliRunner().invoke(app, ["run", "--preset", "smoke", "--out", str(out)], catch_exceptions=False)
    return out, result


def test_smoke_run_writes_every_stage_and_a_report(smoke_run):
    out, result = smoke_run
    assert result.exit_code == 0, result.stderr
    for stage in ("data", "probe-data", "probe-train", "probe-curve", "select", "train-cautious", "train-direct-only",
                  "train-step-by-step-only", "train-cautious-no-erasure", "eval-cautious", "report"):
        assert (out / stage / "stage.json").exists(), stage
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["students"]) == {"cautious", "direct-only", "step-by-step-only", "cautious-no-erasure"}
    for student in summary["students"].values():
        assert set(student["conditions"]) == {"empty", "cautious"}
    assert set(summary["selected"]) == {"arithmetic", "comparison", "counting"}
    report = (out / "report" / "report.md").read_text()
    assert "## Verdict" in report and "paired bootstrap 95% intervals" in report
    for figure in ("accuracy_per_task", "accuracy_vs_tokens", "score_matrix", "probe_curve"):
        assert f"{figure}.png" in report and (out / "report" / f"{figure}.png").stat().st_size > 10_000, figure
    assert report.count("data:image/png;base64,") == 0 and (out / "report" / "report.html").read_text().count("data:image/png;base64,") == 4
    assert "average held-out accuracy" in result.stdout and "score matrix" in result.stdout
    # Intervals everywhere the report compares: per student, per pair of students, per probe cell.
    cautious = summary["students"]["cautious"]["conditions"]["empty"]
    assert cautious["interval"][0] <= cautious["accuracy"] <= cautious["interval"][1]
    assert set(summary["comparisons"]["empty"]) == {"direct-only", "step-by-step-only", "cautious-no-erasure"}
    assert all(v["verdict"] in ("beats", "ties within the interval", "loses") for v in summary["comparisons"]["empty"].values())
    # candidates per task: the preset narrows arithmetic and comparison to direct + step (task_candidates)
    assert {t: len(row) for t, row in summary["score_matrix"].items()} == {"arithmetic": 2, "comparison": 2, "counting": 3}
    assert summary["probe_curve"]


def test_the_student_without_erasure_keeps_the_instruction_and_the_others_do_not(smoke_run):
    out, _ = smoke_run
    kept = [json.loads(line) for line in (out / "erase-cautious-no-erasure" / "train.jsonl").read_text().splitlines()]
    erased = [json.loads(line) for line in (out / "erase-cautious" / "train.jsonl").read_text().splitlines()]
    cards = {s.as_card().teacher_instruction for s in load_catalog().values()}
    assert {c["messages"][0]["content"] for c in kept} <= cards  # the lab preset's teacher reads strategy cards
    # The lab preset erases to the cautious message or an empty system turn, by example id.
    assert {c["messages"][0]["content"] for c in erased} == {
        "You are a careful assistant. Before answering, decide how the task is best solved, then solve it "
        "that way, follow the instructions exactly, and state your final answer clearly.", ""}
    assert {c["provenance"]["system_message"] for c in erased} == {"cautious", "empty"}
    # Every student is taught on the same examples, each under the same generic message.
    step = [json.loads(line) for line in (out / "erase-step-by-step-only" / "train.jsonl").read_text().splitlines()]
    by_id = {c["provenance"]["example_id"]: c["messages"][0]["content"] for c in erased}
    assert by_id == {c["provenance"]["example_id"]: c["messages"][0]["content"] for c in step}


def test_rerun_skips_every_finished_stage(smoke_run):
    from typer.testing import CliRunner

    from cautious.cli import app

    out, _ = smoke_run
    before = (out / "train-cautious" / "stage.json").read_text()
    result = CliRunner().invoke(app, ["run", "--preset", "smoke", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0
    assert "▶" not in result.stdout.replace("▶ report", "")  # nothing but the report re-ran
    assert (out / "train-cautious" / "stage.json").read_text() == before


def test_bad_run_configs_are_one_clear_message(cli, tmp_path):
    bad = tmp_path / "run.yaml"
    bad.write_text("preset: smoke\nstudnets: []\n")
    code, _, err = cli("run", "--config", bad, "--out", tmp_path / "r")
    assert code == 2 and "unknown key 'studnets'" in err
    bad.write_text("candidates: [ponder]\n")
    code, _, err = cli("run", "--config", bad, "--out", tmp_path / "r")
    assert code == 2 and "unknown strategy 'ponder'" in err
    code, _, err = cli("run", "--preset", "huge", "--out", tmp_path / "r")
    assert code == 2 and "unknown preset 'huge'" in err
    bad.write_text("preset: smoke\ntrain: {lernrate: 1}\n")
    code, _, err = cli("run", "--config", bad, "--out", tmp_path / "r")
    assert code == 2 and "run config: train: unknown config key 'lernrate'" in err
    assert not (tmp_path / "r").exists()  # refused before any stage ran


def test_every_student_gets_the_same_examples_steps_and_seed(smoke_run):
    import yaml

    out, _ = smoke_run
    students = ["cautious", "direct-only", "step-by-step-only", "cautious-no-erasure"]
    ids, shapes = [], []
    for name in students:
        chats = [json.loads(line) for line in (out / f"erase-{name}" / "train.jsonl").read_text().splitlines()]
        ids.append(sorted(c["provenance"]["example_id"] for c in chats))
        cfg = yaml.safe_load((out / f"train-{name}" / "model" / "train_config.yaml").read_text())
        shapes.append((cfg["seed"], [(st.get("name"), st.get("max_steps")) for st in cfg["stages"]]))
    assert all(i == ids[0] for i in ids) and len(ids[0]) == 3 * load_run_config(preset="smoke").train_examples
    assert all(sh == shapes[0] for sh in shapes) and shapes[0][1][-1] == ("strategies", 12)


def test_every_student_starts_from_the_probe_checkpoint(smoke_run):
    """`student_init: probe`: the students fine-tune the probe, so selection measured the very
    model they start from, with the probe's tokenizer."""
    import yaml

    out, _ = smoke_run
    probe = out / "probe-train" / "model"
    probe_tokenizer = (probe / "tokenizer.json").read_text()
    for name in ("cautious", "direct-only", "step-by-step-only", "cautious-no-erasure"):
        model = out / f"train-{name}" / "model"
        cfg = yaml.safe_load((model / "train_config.yaml").read_text())
        assert Path(cfg["model"]) == probe
        assert [st.get("name") for st in cfg["stages"]] == ["strategies"]
        assert (model / "tokenizer.json").read_text() == probe_tokenizer


def test_students_cannot_start_from_a_probe_behind_an_api(cli, tmp_path):
    bad = tmp_path / "run.yaml"
    bad.write_text("preset: smoke\nprobe: openai:gpt-4o-mini\nstudent_init: probe\n")
    code, _, err = cli("run", "--config", bad, "--out", tmp_path / "r")
    assert code == 2 and "student_init: probe needs a probe the students can start from" in err
    assert not (tmp_path / "r").exists()


def test_the_shipped_configs_are_valid_run_configs():
    root = Path(__file__).resolve().parents[1]
    real = load_run_config(root / "configs" / "real-teacher-student.yaml")
    assert real.teacher.startswith("openai:") and real.student_init == "model" and real.train["lora"]
    for preset in ("smoke", "lab", "large"):
        assert load_run_config(preset=preset).preset == preset


def test_the_knowledge_stage_is_skipped_only_for_a_probe_that_learned_it(tmp_path):
    from rich.console import Console

    from cautious.run.pipeline import Pipeline

    cfg = load_run_config(preset="lab").model_copy(update={"knowledge_epochs": 10.0})
    pipe = Pipeline(cfg, tmp_path, Console(quiet=True))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "facts.txt").write_text("Ana Bell lives in Fivton.\n")
    data = tmp_path / "train.jsonl"

    def stages(**kw):
        return [st.name for st in pipe._train_config(tmp_path / "s", data, 5, **kw).stages]

    assert stages() == ["knowledge", "strategies"]  # from scratch
    assert stages(init="probe-train/model", knows_facts=True) == ["strategies"]  # this run's probe
    assert stages(init="my/ready-probe", knows_facts=False) == ["knowledge", "strategies"]  # a ready probe
    assert pipe._train_config(tmp_path / "s", data, 5, init="probe-train/model", knows_facts=True).model == "probe-train/model"
    # the facts are rehearsed in the strategy stage either way; knowledge_epochs 0 drops only the separate stage
    strategies = pipe._train_config(tmp_path / "s", data, 5).stages[-1]
    assert [str(d.path) for d in strategies.datasets].count(str(tmp_path / "data" / "facts.txt")) == cfg.knowledge_mix
    pipe.cfg = cfg.model_copy(update={"knowledge_epochs": 0.0})
    assert stages() == ["strategies"]


def test_student_train_settings_reach_the_students_only(tmp_path):
    """`student_train` (e.g. a fine-tuning learning rate) goes over `train:` for the students;
    the probe trains with `train:` as before."""
    from rich.console import Console

    from cautious.run.pipeline import Pipeline

    cfg = load_run_config(preset="lab").model_copy(update={"student_train": {"lr": 1e-3}})
    pipe = Pipeline(cfg, tmp_path, Console(quiet=True))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "facts.txt").write_text("5+3=8\n")
    data = tmp_path / "train.jsonl"
    assert pipe._train_config(tmp_path / "p", data, 5).lr == cfg.train["lr"] == 3e-3  # the probe
    student = pipe._train_config(tmp_path / "s", data, 5, init="probe-train/model", knows_facts=True, overrides=cfg.student_train)
    assert student.lr == 1e-3 and student.batch_size == cfg.train["batch_size"]


def test_the_verdict_says_when_selection_made_the_cautious_student_a_baseline():
    from cautious.run.summary import verdict_lines

    cond = {"accuracy": 0.1, "tokens": 5.0, "agreement": 1.0}
    students = {
        "cautious": {"strategy": "selected", "erase": True, "conditions": {"empty": cond}},
        "direct-only": {"strategy": "direct-answer", "erase": True, "conditions": {"empty": cond}},
        "step-by-step-only": {"strategy": "step-by-step", "erase": True, "conditions": {"empty": cond | {"tokens": 90.0}}},
    }
    from cautious.run.summary import verdict

    summary = {"selected": {"a": "direct-answer", "b": "direct-answer"}, "students": students, "verdict": verdict(students, {}, ["empty"])}
    assert any("taught exactly what direct-only was taught" in line for line in verdict_lines(summary))
    summary["selected"]["b"] = "step-by-step"
    assert not any("taught exactly" in line for line in verdict_lines(summary))


def test_the_verdict_reads_differences_from_paired_intervals_not_point_estimates():
    """Choosing must *beat* every single-strategy student by the paired interval: +1.5 points
    on 200 examples is a tie, so the claim does not hold, and the first sentence says which
    student it ties and by how much; beaten by both, the first sentence says so in plain words."""
    from cautious.run.summary import compare_students, verdict, verdict_lines

    def cond(acc, tokens, agree=1.0):
        return {"accuracy": acc, "tokens": tokens, "agreement": agree, "tasks": {"t": {"tokens": tokens}}}

    # 200 test examples of one task; cautious is right on the first 140.
    ids = [f"e{i}" for i in range(200)]
    right = lambda k: {"t": {i: int(n < k) for n, i in enumerate(ids)}}  # noqa: E731
    outcomes = {"cautious": {"empty": right(140)}, "direct-only": {"empty": right(137)}, "step-by-step-only": {"empty": right(80)}}
    comparisons = compare_students(outcomes, "cautious", ["empty"])
    assert comparisons["empty"]["direct-only"]["verdict"] == "ties within the interval"  # +1.5 points, 3 of 200 examples
    assert comparisons["empty"]["step-by-step-only"]["verdict"] == "beats"
    students = {"cautious": {"strategy": "selected", "erase": True, "conditions": {"empty": cond(0.70, 6.0)}},
                "direct-only": {"strategy": "direct-answer", "erase": True, "conditions": {"empty": cond(0.685, 6.0)}},
                "step-by-step-only": {"strategy": "step-by-step", "erase": True, "conditions": {"empty": cond(0.40, 40.0)}}}
    selected = {"t": "direct-answer"}
    v = verdict(students, comparisons, ["empty"], selected)["empty"]
    assert v["not_beaten_by_any_single_strategy_student"] and not v["beats_every_single_strategy_student"]
    assert not v["claim_holds"] and v["token_ratio_vs_step_by_step"] == 0.15
    summary = {"selected": selected, "students": students, "verdict": {"empty": v}, "comparisons": comparisons}
    lines = verdict_lines(summary)
    assert lines[0].startswith("Choosing does not beat every single strategy here: ties direct-only by +1.5 [")
    assert "ties within the interval direct-only" in lines[1] and "beats step-by-step-only" in lines[1]
    # Right on 170 instead: it beats both, every check holds, and the first sentence says so.
    outcomes["cautious"]["empty"] = right(170)
    comparisons = compare_students(outcomes, "cautious", ["empty"])
    students["cautious"]["conditions"]["empty"] = cond(0.85, 6.0)
    v = verdict(students, comparisons, ["empty"], selected)["empty"]
    assert v["beats_every_single_strategy_student"] and v["claim_holds"]
    summary = {"selected": selected, "students": students, "verdict": {"empty": v}, "comparisons": comparisons}
    first = verdict_lines(summary)[0]
    assert first.startswith("Choosing beats every single strategy: +16.5 [") and "points over direct-only" in first
    assert first.index("direct-only") < first.index("step-by-step-only")  # the closest competitor first
    assert "The claim holds here" in verdict_lines(summary)[1]
    # The same point estimates with the cautious student losing on its paired examples: no claim.
    outcomes["direct-only"]["empty"] = right(200)
    comparisons = compare_students(outcomes, "cautious", ["empty"])
    assert comparisons["empty"]["direct-only"]["verdict"] == "loses"
    assert not verdict(students, comparisons, ["empty"], selected)["empty"]["claim_holds"]


def test_a_tie_by_the_interval_with_a_lower_point_estimate_is_not_the_claim():
    """The target is ">= every single-strategy student": 87.7% against 88.2% ties by the paired
    interval, and the verdict says so, but the claim is not counted as holding."""
    from cautious.run.summary import compare_students, verdict, verdict_lines

    ids = [f"e{i}" for i in range(200)]
    right = lambda k: {"t": {i: int(n < k) for n, i in enumerate(ids)}}  # noqa: E731
    outcomes = {"cautious": {"empty": right(175)}, "step-by-step-only": {"empty": right(176)}}
    comparisons = compare_students(outcomes, "cautious", ["empty"])
    assert comparisons["empty"]["step-by-step-only"]["verdict"] == "ties within the interval"
    students = {"cautious": {"strategy": "selected", "erase": True, "conditions": {"empty": {"accuracy": 0.875, "tokens": 10.0, "agreement": 1.0}}},
                "step-by-step-only": {"strategy": "step-by-step", "erase": True,
                                      "conditions": {"empty": {"accuracy": 0.88, "tokens": 50.0, "agreement": 0.5}}}}
    v = verdict(students, comparisons, ["empty"])["empty"]
    assert v["not_beaten_by_any_single_strategy_student"] and not v["accuracy_at_least_every_single_strategy_student"]
    assert not v["claim_holds"]
    line = verdict_lines({"selected": {"t": "direct-answer"}, "students": students, "verdict": {"empty": v}, "comparisons": comparisons})[1]
    assert "**below** a single-strategy student's by point estimate" in line and "does not fully hold" in line


def test_the_token_check_is_against_the_selections_own_answer_lengths():
    """The floor is, per task, what the selected strategy's answers cost (the single-strategy
    student taught it, on the same test examples): 1.1x of it passes, longer answers do not.
    The step-by-step ratio and the mix's floor for it stay beside it, for reading."""
    from cautious.run.summary import verdict, verdict_lines

    def cond(acc, per_task, agree):
        tasks = {t: {"tokens": n} for t, n in zip("abc", per_task)}
        return {"accuracy": acc, "tokens": sum(per_task) / 3, "agreement": agree, "tasks": tasks}

    students = {"cautious": {"strategy": "selected", "erase": True, "conditions": {"empty": cond(0.9, (57, 9, 71), 1.0)}},
                "direct-only": {"strategy": "direct-answer", "erase": True, "conditions": {"empty": cond(0.4, (5, 8, 6), 0.33)}},
                "step-by-step-only": {"strategy": "step-by-step", "erase": True, "conditions": {"empty": cond(0.88, (57, 35, 71), 0.67)}}}
    selected = {"a": "step-by-step", "b": "direct-answer", "c": "step-by-step"}
    v = verdict(students, {}, ["empty"], selected)["empty"]
    assert v["selection_token_floor"] == pytest.approx((57 + 8 + 71) / 3)
    assert v["tokens_at_most_1.1_of_selection_floor"] and v["token_ratio_floor"] == pytest.approx(128 / 163)
    line = verdict_lines({"selected": selected, "students": students, "verdict": {"empty": v}, "comparisons": {}})[1]
    assert "against the selection's floor of 45.3 (1.01×, ≤ 1.1×)" in line and "the mix allows 0.79× at best" in line
    # the cautious student writes step-by-step answers on b too: 35 tokens where 8 were selected
    students["cautious"]["conditions"]["empty"] = cond(0.9, (57, 35, 71), 1.0)
    v = verdict(students, {}, ["empty"], selected)["empty"]
    assert not v["tokens_at_most_1.1_of_selection_floor"] and not v["claim_holds"]
    # a selected strategy no single-strategy student was taught: the probe's dev length stands in
    selected["b"] = "extract-generate"
    matrix = {"b": {"extract-generate": {"tokens": 20.0, "accuracy": 0.9}}}
    assert verdict(students, {}, ["empty"], selected, matrix)["empty"]["selection_token_floor"] == pytest.approx((57 + 20 + 71) / 3)


def test_the_verdict_names_tasks_where_the_probe_is_not_competent():
    from cautious.run.summary import probe_competence

    matrix = {"a": {"direct-answer": {"accuracy": 0.10}, "step-by-step": {"accuracy": 0.97}},
              "b": {"direct-answer": {"accuracy": 0.54}, "step-by-step": {"accuracy": 0.49}}}
    assert probe_competence(matrix) == {"best": {"a": 0.97, "b": 0.54}, "competent": {"a": True, "b": False}, "all": False}


def test_task_candidates_narrow_what_the_probe_learns_for_the_named_tasks_only(tmp_path):
    from rich.console import Console

    from cautious.run.pipeline import Pipeline

    cfg = load_run_config(preset="smoke").model_copy(update={"task_candidates": {"arithmetic": ["direct-answer"]}, "probe_examples": 3})
    pipe = Pipeline(cfg, tmp_path, Console(quiet=True))
    (tmp_path / "data").mkdir()
    pipe.stage_data(tmp_path / "data")
    (tmp_path / "pd").mkdir()
    pipe.stage_probe_data(tmp_path / "pd")
    cells = {(json.loads(line)["provenance"]["task"], json.loads(line)["provenance"]["strategy"]) for line in open(tmp_path / "pd" / "train.jsonl")}
    assert cells == {("arithmetic", "direct-answer")} | {(t, s) for t in ("comparison", "counting") for s in cfg.candidates}


def test_task_candidates_must_name_a_task_of_the_run(tmp_path):
    from rich.console import Console

    from cautious.run.pipeline import Pipeline

    cfg = load_run_config(preset="smoke").model_copy(update={"task_candidates": {"kv_lookup": ["direct-answer"]}})
    with pytest.raises(UserError, match="task_candidates: 'kv_lookup' is not one of the run's tasks"):
        Pipeline(cfg, tmp_path, Console(quiet=True))


def test_the_score_matrix_figure_shows_the_score_that_made_the_selection():
    from cautious.run.figures import deciding_score

    cell = {"accuracy": 0.0, "interval": [0.0, 0.07], "n": 50, "tokens": 60.0, "accuracy_flexible": 0.48}
    assert deciding_score(cell, "strict") == (0.0, (0.0, 0.07))
    acc, (low, high) = deciding_score(cell, "flexible")
    assert acc == 0.48 and 0.3 < low < 0.48 < high < 0.65


def test_a_stage_rerun_under_new_inputs_starts_afresh_and_an_interrupted_one_resumes(tmp_path):
    """Changing an upstream stage must not let a downstream stage resume the stale records it
    left (an eval that resumed them scored the old model in 0 s), while an interrupted stage
    with the same fingerprint continues in place."""
    from rich.console import Console

    from cautious.run.stages import StageTimer

    timer = StageTimer(tmp_path, {}, console=Console(quiet=True))
    src = tmp_path / "input.txt"
    src.write_text("v1\n")

    def append(d):
        with (d / "records.jsonl").open("a") as fh:
            fh.write(src.read_text())

    d = timer.run("eval", {"k": 1}, [src], append)
    assert (d / "records.jsonl").read_text() == "v1\n"
    timer.run("eval", {"k": 1}, [src], append)  # unchanged: skipped
    assert (d / "records.jsonl").read_text() == "v1\n"
    src.write_text("v2\n")
    timer.run("eval", {"k": 1}, [src], append)  # new input: afresh, not appended to v1's records
    assert (d / "records.jsonl").read_text() == "v2\n"

    def crash(d):
        append(d)
        raise KeyboardInterrupt

    src.write_text("v3\n")
    with pytest.raises(KeyboardInterrupt):
        timer.run("eval", {"k": 1}, [src], crash)
    timer.run("eval", {"k": 1}, [src], append)  # same fingerprint, unfinished: resumes in place
    assert (d / "records.jsonl").read_text() == "v3\nv3\n"
    # a folder the stage did not make is never emptied
    own = tmp_path / "mine"
    own.mkdir()
    (own / "notes.txt").write_text("keep\n")
    timer.run("mine", {}, [], lambda d: None)
    assert (own / "notes.txt").read_text() == "keep\n"


def test_a_skipped_stage_keeps_the_seconds_it_took_when_it_ran(tmp_path):
    """A resumed run's summary reports compute time, not the seconds this process spent."""
    import json

    from rich.console import Console

    from cautious.run.stages import StageTimer

    first = StageTimer(tmp_path, {}, console=Console(quiet=True))
    d = first.run("probe-train", {"k": 1}, [], lambda d: None)
    marker = json.loads((d / "stage.json").read_text())
    marker["seconds"] = 561.76  # as a long stage would have recorded it
    (d / "stage.json").write_text(json.dumps(marker))
    again = StageTimer(tmp_path, {}, console=Console(quiet=True))
    again.run("probe-train", {"k": 1}, [], lambda d: pytest.fail("an unchanged stage must not run again"))
    assert again.skipped == ["probe-train"] and again.times == {"probe-train": 561.76}


def test_a_config_with_its_own_train_settings_does_not_inherit_the_lab_students_delta(tmp_path):
    """The lab preset's `student_train` (8-row steps, lr 1e-3) is a delta over the lab's own
    `train:`; a config that writes its own `train:` (a real student's batch and learning rate)
    gets its students trained by that, unless it writes `student_train` itself."""
    own = tmp_path / "own.yaml"
    own.write_text("preset: lab\ntrain: {lab_tiny: {hidden_size: 32}, batch_size: 64, micro_batch_size: 8, lr: 2.0e-5}\n")
    assert load_run_config(own).student_train == {}
    assert load_run_config(preset="lab").student_train == {"lr": 1e-3, "batch_size": 8, "micro_batch_size": 8}
    kept = tmp_path / "kept.yaml"
    kept.write_text("preset: lab\ntrain: {batch_size: 64}\nstudent_train: {lr: 3.0e-4}\n")
    assert load_run_config(kept).student_train == {"lr": 3e-4}
    real = load_run_config(Path(__file__).parents[1] / "configs" / "real-teacher-student.yaml")
    assert real.student_train == {} and real.train["batch_size"] == 64


@pytest.mark.skipif(len(__import__("os").sched_getaffinity(0)) < 2, reason="lanes need 2 cores")
def test_students_in_lanes_train_exactly_as_alone_and_a_rerun_skips_them(smoke_run, tmp_path):
    """The smoke run's students again, two at a time (1 thread each, as the smoke preset trains
    anyway), in a copy of its folder: the same losses step by step; the wall counts the overlap once."""
    import shutil

    from typer.testing import CliRunner

    from cautious.cli import app

    serial, _ = smoke_run
    lanes = tmp_path / "lanes"
    shutil.copytree(serial, lanes)
    config = tmp_path / "lanes.yaml"
    config.write_text("preset: smoke\nparallel_students: 2\n")
    result = CliRunner().invoke(app, ["run", "-c", str(config), "--out", str(lanes), "--no-progress"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert "2 at a time, 1 thread(s) each" in out and "✓ train-cautious" in out, out
    assert "▶ probe-train" not in result.stdout  # only the students' stages ran again
    students = ("cautious", "direct-only", "step-by-step-only", "cautious-no-erasure")
    for name in students:
        losses = [[json.loads(line)["loss"] for line in (run / f"train-{name}" / "model" / "metrics.jsonl").read_text().splitlines()]
                  for run in (serial, lanes)]
        assert losses[0] == losses[1], name
        assert (lanes / "logs" / f"{name}.log").exists()
    summary = json.loads((lanes / "summary.json").read_text())
    assert summary["student_lanes"] == {"lanes": 2, "threads": 1}
    assert set(summary["students"]) == set(students)
    branch = [summary["stage_seconds"][f"{k}-{n}"] for n in students for k in ("train", "eval")]
    assert summary["wall_seconds"] < round(sum(summary["stage_seconds"].values()), 1) - min(branch)
    again = CliRunner().invoke(app, ["run", "-c", str(config), "--out", str(lanes), "--no-progress"], catch_exceptions=False)
    assert again.exit_code == 0 and "at a time" not in again.stdout and "▶ train" not in again.stdout
