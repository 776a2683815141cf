"""Class 7: `cautious run` checks every file, name and setting of its config before the first
stage — a mistake only a late stage reads (evaluation's `@file` system message, a teacher
option, a probe path) must not cost the minutes of training before it. Every case here ends
before the `data` stage: the run folder is not even created."""

from __future__ import annotations

import pytest

from tests._bad_input import refused, workspace

CASES = [
    # (id, config lines, the line says)
    ("eval-system-file-missing", "systems: [empty, '@{d}/nope.txt']", "run config: systems: {d}/nope.txt: system message file not found"),
    ("eval-system-file-is-a-folder", "systems: ['@{d}/folder']", "run config: systems: {d}/folder: is a folder"),
    ("eval-system-typo", "systems: [empty, cuatious]", "run config: systems: unknown system message preset 'cuatious'"),
    ("erase-system-file-missing", "erase_system: '@{d}/nope.txt'", "run config: erase_system: {d}/nope.txt: system message file not found"),
    ("teacher-backend-unknown", "teacher: gpt4", "run config: teacher: unknown model backend 'gpt4'"),
    ("teacher-option-for-lab", "teacher_options: {concurrency: 4}", "run config: teacher_options: the lab teacher takes no options"),
    ("teacher-option-misspelt", "teacher: openai:m\nteacher_options: {base_ur: 'http://127.0.0.1:1/v1'}",
     "unknown option 'base_ur' for the openai backend"),
    ("teacher-option-bad-value", "teacher: openai:m\nteacher_options: {concurrency: 0}", "run config: teacher_options:", "at least 1"),
    ("probe-path-missing", "probe: hf:{d}/no/probe", "run config: probe: {d}/no/probe: model not found"),
    ("student-path-missing", "train: {model: '{d}/no/student'}", "run config: train.model: {d}/no/student: model not found"),
    ("train-key-misspelt", "train: {lerning_rate: 0.1}", "run config: train: unknown config key 'lerning_rate'"),
    ("student-train-key-misspelt", "student_train: {lerning_rate: 0.1}", "run config: student_train: unknown config key 'lerning_rate'"),
    ("strategies-file-missing", "strategies_files: ['{d}/nope.yaml']", "{d}/nope.yaml: strategies file not found"),
    ("candidate-unknown", "candidates: [direct-answer, ponder]", "run config: candidates: unknown strategy 'ponder'"),
    ("task-candidate-unknown", "task_candidates: {arithmetic: [ponder]}", "run config: task_candidates.arithmetic: unknown strategy 'ponder'"),
    ("task-candidates-task-not-run", "task_candidates: {kv_lookup: [direct-answer]}", "run config: task_candidates: 'kv_lookup' is not one of the run's tasks"),
    ("task-file-missing", "tasks: ['{d}/nope.jsonl']", "{d}/nope.jsonl: file not found"),
    ("task-file-inside-a-stage-folder", "tasks: ['{d}/out/data/task.jsonl']\ntask_candidates: {}",
     "is inside the run folder, where the run writes data"),
    ("stage-folder-is-a-file", "seed: 0", "{d}/out/select: is a file; the run writes its select stage in a folder there"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_a_bad_run_config_stops_before_the_first_stage(cli, tmp_path, case):
    name, lines, *messages = case
    workspace(tmp_path)
    if name == "task-file-inside-a-stage-folder":
        (tmp_path / "out" / "data").mkdir(parents=True)
        (tmp_path / "task.jsonl").rename(tmp_path / "out" / "data" / "task.jsonl")
    if name == "stage-folder-is-a-file":
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "select").write_text("in the way\n")
    (tmp_path / "run.yaml").write_text("preset: smoke\n" + lines.replace("{d}", str(tmp_path)) + "\n")
    refused(cli, tmp_path, ["run", "--config", "{d}/run.yaml", "--out", "{d}/out"], *messages)
    assert not (tmp_path / "out" / "data" / "stage.json").exists()
