"""`cautious run`: Orca 2's method end to end, plus the ablation the paper did not run.

    data ─► probe-data ─► probe-train ─► select ─► generate-* ─► erase-* ─► train-* ─► eval-* ─► report

1. data: the examples, drawn once (train for students and probe, dev for selection, test for
   the final numbers) and the knowledge-base facts, written to `data/`.
2. probe: a student taught *every* candidate strategy with its instruction kept, so it answers
   in whichever way it is told (skipped when `probe:` names a ready model). With
   `probe_rounds`, it trains on in rounds while it has learned no strategy of some task.
3. select: the probe answers each task's dev split under each strategy → the strategy map.
4. Students, all with the same examples, the same start (the `train:` model, or with
   `student_init: probe` the probe's checkpoint), the same knowledge stage and steps:
   `cautious` (selected strategy per task, instruction erased — Orca 2), single-strategy
   baselines (direct answers only; step-by-step everywhere, i.e. Orca 1-style explanation
   tuning) and `cautious-no-erasure` (the instruction kept in training).
5. eval: every student zero-shot on the test split under each system condition.
6. report: tables and plots, the strategy each student chose vs the selected one.
Every stage is skipped on a rerun if its inputs did not change (`stages.py`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from cautious import progress
from cautious.errors import UserError
from cautious.jsonl import atomic_writer, read_records, write_records
from cautious.lab.base import LabTask, with_knobs
from cautious.records import Example, Strategy, TeacherAnswer
from cautious.run.config import RunConfig, StudentSpec
from cautious.run.lanes import LANE_SPEEDUP, lane_plan, makespan, run_lanes
from cautious.run.probe_rounds import final_probe_stage, run_rounds
from cautious.run.report import write_report
from cautious.run.stages import StageTimer, _fmt
from cautious.run.summary import selected_strategies, summarize
from cautious.select import SelectConfig, SelectResult, select_strategies
from cautious.task import draw_examples
from cautious.evaluate.config import EvalConfig
from cautious.evaluate.runner import evaluate
from cautious.generate import GenerateConfig, generate, group_by_strategy
from cautious.models.base import is_free, load_model

#: Expected seconds per stage kind on the lab preset before anything is measured (drives the
#: ETA only, so only the proportions matter); training is per optimizer step of 8 rows, select
#: and eval per generation.
_WEIGHTS = {"data": 2.0, "probe-data": 15.0, "train_step": 0.24, "train_start": 10.0, "generation": 0.008, "generate": 3.0, "erase": 1.0, "report": 3.0}


class Pipeline:
    def __init__(self, cfg: RunConfig, out: Path, console: Console | None = None) -> None:
        from cautious.strategies import load_catalog
        from cautious.tasks import resolve_tasks

        self.cfg = cfg
        self.out = out
        self.console = console or Console()
        self.catalog: dict[str, Strategy] = load_catalog(cfg.strategies_files)
        #: Each strategy as the teacher and the probe are told it (`instructions: full | card`).
        self.instructed: dict[str, Strategy] = {k: (v.as_card() if cfg.instructions == "card" else v) for k, v in self.catalog.items()}
        named = [("candidates", c) for c in cfg.candidates]
        named += [(f"task_candidates.{t}", c) for t, cs in cfg.task_candidates.items() for c in cs]
        named += [(f"students.{s.name}.strategy", s.strategy) for s in cfg.students if s.strategy != "selected"]
        for where, name in named:
            if name not in self.catalog:
                raise UserError(f"run config: {where}: unknown strategy {name!r}; valid strategies: {', '.join(sorted(self.catalog))}")
        self.tasks = with_knobs(resolve_tasks(cfg.tasks), cfg.task_knobs)
        for task, cs in cfg.task_candidates.items():
            if task not in {t.name for t in self.tasks}:
                raise UserError(f"run config: task_candidates: {task!r} is not one of the run's tasks ({', '.join(t.name for t in self.tasks)})")
            if not cs:
                raise UserError(f"run config: task_candidates: {task!r} needs at least one strategy")
        cells = sum(len(cfg.candidates_for(t.name)) for t in self.tasks)
        names = [s.name for s in cfg.students]
        if len(set(names)) != len(names):
            raise UserError("run config: students: every student needs a distinct name")
        w = _WEIGHTS
        weights = {"data": w["data"], "report": w["report"]}
        if cfg.probe is None:
            probe_rows = cfg.train.get("batch_size", 8)  # a step's cost follows its rows
            weights |= {"probe-data": w["probe-data"],
                        "probe-train": w["train_start"] + w["train_step"] * (cfg.probe_steps or cfg.steps) * probe_rows / 8}
        weights["select"] = w["generation"] * cells * cfg.select_examples
        if cfg.probe_rounds is not None:
            if cfg.probe is not None:
                raise UserError(f"run config: probe_rounds: needs a probe the run trains (probe: null); "
                                f"the ready probe {cfg.probe!r} is used as it is")
            weights["probe-check-1"] = w["generation"] * cells * cfg.probe_rounds.check_examples
        if cfg.probe is None and cfg.curve_points:
            weights["probe-curve"] = w["generation"] * cells * cfg.curve_examples * (cfg.curve_points - 1)
        if cfg.student_init == "probe" and cfg.probe is not None and not cfg.probe.startswith("hf:"):
            raise UserError(f"run config: student_init: probe needs a probe the students can start from "
                            f"(an hf: checkpoint, or probe: null to train one), not {cfg.probe!r}")
        for s in cfg.students:
            for kind in ("generate", "erase", "train", "eval"):
                weights[f"{kind}-{s.name}"] = {
                    "train": w["train_start"] + w["train_step"] * cfg.steps * {**cfg.train, **cfg.student_train}.get("batch_size", 8) / 8,
                    "eval": w["generation"] * len(cfg.systems) * len(self.tasks) * cfg.test_examples,
                }.get(kind, w.get(kind, 0.0))
        if lane_plan(cfg.parallel_students, len(cfg.students))[0] > 1:  # students side by side: less wall each
            weights |= {k: v / LANE_SPEEDUP for k, v in weights.items() if k.startswith(("train-", "eval-"))}
        self.timer = StageTimer(out, weights, self.console)
        # A bad `train:` key must fail now, not after the probe has trained for minutes.
        validate_train_settings({**cfg.train, "stages": [{"datasets": ["(checked later)"]}]})
        if cfg.student_train:
            validate_train_settings({**cfg.train, **cfg.student_train, "stages": [{"datasets": ["(checked later)"]}]}, "student_train")
        from cautious.run.validate import validate_run

        validate_run(self)  # every file, model, option and folder of the config, before any stage

    # ------------------------------------------------------------------ helpers

    def _settings(self, *keys: str) -> dict[str, Any]:
        dump = self.cfg.model_dump(mode="json")
        return {k: dump[k] for k in keys}

    def _examples(self, name: str) -> list[Example]:
        return read_records(self.out / "data" / f"{name}.jsonl", Example)

    def _facts(self) -> Path | None:
        path = self.out / "data" / "facts.txt"
        return path if self.cfg.knowledge and path.exists() and path.stat().st_size else None

    def _answer(self, work: list[tuple[Strategy, list[Example]]], out_path: Path) -> None:
        """Teacher answers through `generate` (cached and resumable for a real teacher)."""
        cache = None if is_free(self.cfg.teacher) else self.out / "teacher-cache.sqlite"
        teacher = load_model(self.cfg.teacher, self.catalog, **self.cfg.teacher_options)
        try:
            with progress.bar("teacher answers", unit="answers") as bar:
                generate(teacher, work, GenerateConfig(out=out_path, max_tokens=self.cfg.teacher_max_tokens, seed=self.cfg.seed, cache=cache),
                         on_progress=bar.advance, on_start=bar.set_total)
        finally:
            teacher.close()

    def _train_config(self, stage_dir: Path, data: Path, steps: int, init: str | None = None, knows_facts: bool = False,
                      checkpoints: int = 0, overrides: dict[str, Any] | None = None):
        """Knowledge stage (unless `init` is a checkpoint that already learned it), then the strategies."""
        stages: list[dict[str, Any]] = []
        facts = self._facts()
        if facts is not None and self.cfg.knowledge_epochs > 0 and not (init is not None and knows_facts):
            stages.append({"name": "knowledge", "datasets": [str(facts)], "epochs": self.cfg.knowledge_epochs})
        # The facts stay in the strategy stage too, so learning strategies does not wash them out.
        stages.append({"name": "strategies", "datasets": [str(data)] + ([str(facts)] * self.cfg.knowledge_mix if facts else []),
                       "max_steps": steps})
        settings = {"seed": self.cfg.seed, **self.cfg.train, **(overrides or {}), "output_dir": str(stage_dir / "model"), "stages": stages}
        if init is not None:
            settings["model"] = init
        if checkpoints:  # evenly spaced checkpoints, all kept (the probe's curve; stage ends are kept anyway)
            settings |= {"save_every": max(1, steps // checkpoints), "keep_checkpoints": checkpoints + 1}
        return validate_train_settings(settings)  # its bar follows the run's --progress/--no-progress

    def _train(self, stage_dir: Path, data: Path, steps: int, init: str | None = None, knows_facts: bool = False,
               checkpoints: int = 0, overrides: dict[str, Any] | None = None) -> None:
        from cautious.train import train

        cfg = self._train_config(stage_dir, data, steps, init, knows_facts, checkpoints, overrides)
        train(cfg, overwrite=True, log=lambda *a, **k: None)

    def _train_keys(self) -> dict[str, Any]:
        return self._settings("train", "knowledge", "knowledge_epochs", "knowledge_mix", "seed")

    def _probe_refs(self) -> tuple[str, str, list[Path]]:
        """The probe as a model spec, as a fingerprint key and as fingerprint inputs.

        A probe trained here is named in fingerprints by its place in the run folder, not by the
        path the folder was reached through (runs/x, ./runs/x and /abs/runs/x are one run); its
        content is an input (its stage.json)."""
        if self.cfg.probe is None:
            stage = final_probe_stage(self.out, self.cfg.probe_rounds.max_rounds) if self.cfg.probe_rounds else "probe-train"
            return f"hf:{self.out / stage / 'model'}", f"hf:{stage}/model", [self.out / stage / "stage.json"]
        return self.cfg.probe, self.cfg.probe, []

    def _student_stages(self, s: StudentSpec, threads: int | None) -> list[tuple[str, Any, list[Path], Any, Any]]:
        """A student's `train-*` and `eval-*` stages as (name, settings, inputs, fn, legacy settings).

        `threads`: set for a student trained in a lane (`lanes.py`); it changes the training's
        floats, so it joins the fingerprint, and the serial run's fingerprints stay as they were."""
        cfg, data = self.cfg, self.out / "data"
        probe_spec, probe_key, probe_inputs = self._probe_refs()
        init = self._student_init(probe_spec)
        init_inputs = probe_inputs if init is not None else []
        knows_facts = cfg.probe is None  # a probe this run trained had the knowledge stage; a ready one may not
        e, tr = self.out / f"erase-{s.name}", self.out / f"train-{s.name}"
        # student_train joins the fingerprint only when set, so existing run folders keep theirs
        student_keys = self._train_keys() | {"steps": cfg.steps} | ({"student_train": cfg.student_train} if cfg.student_train else {})
        overrides = dict(cfg.student_train)
        if threads:
            student_keys, overrides = student_keys | {"threads": threads}, overrides | {"threads": threads}
        return [
            (f"train-{s.name}", student_keys | {"init": self._student_init(probe_key)}, [e / "train.jsonl", data / "facts.txt", *init_inputs],
             lambda d: self._train(d, e / "train.jsonl", cfg.steps, init, knows_facts, overrides=overrides), student_keys | {"init": init}),
            (f"eval-{s.name}", self._settings("systems", "max_new_tokens"), [data / "test.jsonl", tr / "stage.json"],
             lambda d: self.stage_eval(d, tr / "model", s.name), None),
        ]

    def run_student(self, name: str, threads: int) -> None:
        """One student's training and test, as a lane runs it (`lanes.py`)."""
        spec = next((s for s in self.cfg.students if s.name == name), None)
        if spec is None:
            raise UserError(f"run config: no student named {name!r}")
        for stage, keys, inputs, fn, legacy in self._student_stages(spec, threads):
            self.timer.run(stage, keys, inputs, fn, legacy=legacy)

    def _student_init(self, probe_spec: str) -> str | None:
        """The checkpoint every student starts from (None: the `train:` model)."""
        if self.cfg.student_init == "model":
            return None
        return probe_spec.removeprefix("hf:")

    # ------------------------------------------------------------------ stages

    def stage_data(self, d: Path) -> None:
        cfg = self.cfg
        draws = {
            "train": ("train", cfg.train_examples, cfg.seed),
            "probe": ("train", cfg.probe_examples, cfg.seed + 1),
            "dev": ("dev", cfg.select_examples, cfg.seed),
            "test": ("test", cfg.test_examples, cfg.seed),
        }
        for name, (split, n, seed) in draws.items():
            for task in self.tasks:
                if split not in task.splits:
                    raise UserError(f"task {task.name!r} has no {split!r} split; `cautious run` needs train, dev and test")
            drawn = draw_examples(self.tasks, split, n, seed)
            write_records(d / f"{name}.jsonl", [ex for exs in drawn.values() for ex in exs])
        facts = [line for t in self.tasks if isinstance(t, LabTask) for line in t.family.corpus(**t.settings)]
        with atomic_writer(d / "facts.txt") as fh:
            fh.write("".join(f"{line}\n" for line in fact_lines(facts, cfg.facts_per_line, cfg.seed)))

    def stage_probe_data(self, d: Path) -> None:
        from cautious.erase import erase

        probe_examples = self._examples("probe")
        strategies = list(dict.fromkeys(c for t in self.tasks for c in self.cfg.candidates_for(t.name)))
        work = [(self.instructed[name], [e for e in probe_examples if name in self.cfg.candidates_for(e.task)]) for name in strategies]
        self._answer(work, d / "answers.jsonl")
        chats, _ = erase(read_records(d / "answers.jsonl", TeacherAnswer), keep_instruction=True)
        write_records(d / "train.jsonl", chats)

    def _select(self, d: Path, probe_spec: str, n: int) -> SelectResult:
        """The probe's score matrix on the first `n` dev examples of each task, and its choice."""
        dev = self._examples("dev")
        return self._score(d, probe_spec, {t.name: [e for e in dev if e.task == t.name][:n] for t in self.tasks})

    def _score(self, d: Path, probe_spec: str, examples: dict[str, list[Example]], label: str = "probe answers") -> SelectResult:
        """The probe's accuracy per task × candidate strategy on `examples`, written to `d`."""
        candidates = {t.name: [self.instructed[c] for c in self.cfg.candidates_for(t.name)] for t in self.tasks}
        cfg = SelectConfig(out=d, max_tokens=self.cfg.max_new_tokens, batch_size=self.cfg.eval_batch_size,
                           tie_tolerance=self.cfg.tie_tolerance, score=self.cfg.select_score, intervals=self.cfg.select_intervals)
        probe = load_model(probe_spec)
        total = sum(len(examples[t]) * len(cs) for t, cs in candidates.items())
        try:
            with progress.bar(label, total, unit="answers") as bar:
                return select_strategies(probe, examples, candidates, cfg, on_progress=bar.advance)
        finally:
            probe.close()

    def stage_select(self, d: Path, probe_spec: str) -> None:
        self._select(d, probe_spec, self.cfg.select_examples)

    def stage_probe_curve(self, d: Path, probe_dir: Path) -> None:
        """Dev accuracy of the probe's intermediate checkpoints (the final point is `select`)."""
        points = []
        checkpoints = sorted((probe_dir / "model" / "checkpoints").glob("step-*"))
        for ckpt in checkpoints[:-1]:  # the last is the final model, which `select` measures
            cells = self._select(d / "at" / ckpt.name, f"hf:{ckpt}", min(self.cfg.curve_examples, self.cfg.select_examples)).cells
            points.append({"step": int(ckpt.name.split("-")[1]),
                           "cells": [{"task": c.task, "strategy": c.strategy, "n": c.n, "accuracy": c.accuracy} for c in cells]})
        final = int(checkpoints[-1].name.split("-")[1]) if checkpoints else 0
        with atomic_writer(d / "curve.json") as fh:
            json.dump({"examples_per_cell": min(self.cfg.curve_examples, self.cfg.select_examples), "final_step": final,
                       "points": points}, fh, indent=2)

    def stage_generate(self, d: Path, strategy: str) -> None:
        mapping = selected_strategies(self.out) if strategy == "selected" else {t.name: strategy for t in self.tasks}
        self._answer(group_by_strategy(self._examples("train"), mapping, self.instructed), d / "answers.jsonl")

    def stage_erase(self, d: Path, answers: Path, keep_instruction: bool) -> None:
        from cautious.erase import erase

        chats, stats = erase(read_records(answers, TeacherAnswer), system=self.cfg.erase_system, keep_instruction=keep_instruction)
        if not chats:
            raise UserError(f"{answers}: no correct teacher answers to train on ({stats.dropped_incorrect} incorrect)")
        write_records(d / "train.jsonl", chats)

    def stage_eval(self, d: Path, model_dir: Path, label: str) -> None:
        test = self._examples("test")
        cfg = EvalConfig(out=d, system=self.cfg.systems, label=label, batch_size=self.cfg.eval_batch_size,
                         max_new_tokens=self.cfg.max_new_tokens, seed=self.cfg.seed)
        model = load_model(f"hf:{model_dir}")
        examples = {t.name: [e for e in test if e.task == t.name] for t in self.tasks}
        try:
            with progress.bar("answers", sum(map(len, examples.values())) * len(cfg.system), unit="answers") as bar:
                evaluate(model, self.tasks, examples, cfg, self.catalog, on_progress=bar.advance)
        finally:
            model.close()

    # ------------------------------------------------------------------ the run

    def run(self) -> dict[str, Any]:
        from cautious.locks import exclusive

        with exclusive(self.out, "run"):  # two runs in one folder (under any name) would train and write over each other
            return self._run()

    def _run(self) -> dict[str, Any]:
        cfg, t = self.cfg, self.timer
        self.out.mkdir(parents=True, exist_ok=True)
        with atomic_writer(self.out / "run.json") as fh:
            json.dump(cfg.model_dump(mode="json"), fh, indent=2)
        data = t.run("data", self._settings("tasks", "seed", "train_examples", "probe_examples", "select_examples", "test_examples", "knowledge",
                                            "facts_per_line", "task_knobs"),
                     [], self.stage_data)
        data_files = sorted(data.glob("*.jsonl")) + [data / "facts.txt"]
        train_keys = self._train_keys()
        if cfg.probe is None:
            pd = t.run("probe-data", self._settings("teacher", "candidates", "task_candidates", "teacher_max_tokens", "instructions") | {"strategies": _digest(self.catalog)},
                       [data / "probe.jsonl"], self.stage_probe_data)
            probe_steps = cfg.probe_steps or cfg.steps
            pt = t.run("probe-train", train_keys | {"steps": probe_steps, "curve_points": cfg.curve_points},
                       [pd / "train.jsonl", data / "facts.txt"],
                       lambda d: self._train(d, pd / "train.jsonl", probe_steps, checkpoints=cfg.curve_points))
            if cfg.probe_rounds:
                run_rounds(self, pd)
        probe_spec, probe_key, probe_inputs = self._probe_refs()
        # select_intervals joins the fingerprint only when changed, so existing run folders keep theirs
        select_keys = self._settings("candidates", "task_candidates", "select_examples", "tie_tolerance", "max_new_tokens", "instructions",
                                     "select_score") | ({} if cfg.select_intervals else {"select_intervals": False})
        t.run("select", select_keys | {"probe": probe_key}, [data / "dev.jsonl", *probe_inputs], lambda d: self.stage_select(d, probe_spec),
              legacy=select_keys | {"probe": probe_spec})
        if cfg.probe is None and cfg.curve_points:
            t.run("probe-curve", self._settings("candidates", "task_candidates", "curve_examples", "max_new_tokens", "instructions"),
                  [data / "dev.jsonl", pt / "stage.json"], lambda d: self.stage_probe_curve(d, pt))
        answers: dict[str, Path] = {}
        for s in cfg.students:
            key = s.strategy
            if key not in answers:
                g = t.run(f"generate-{s.name}", self._settings("teacher", "teacher_max_tokens", "instructions") | {"strategy": key, "strategies": _digest(self.catalog)},
                          [data / "train.jsonl", self.out / "select" / "strategy_map.yaml"] if key == "selected" else [data / "train.jsonl"],
                          lambda d, key=key: self.stage_generate(d, key))
                answers[key] = g / "answers.jsonl"
            else:
                t.skipped.append(f"generate-{s.name}")
            t.run(f"erase-{s.name}", self._settings("erase_system") | {"erase": s.erase}, [answers[key]],
                  lambda d, s=s, key=key: self.stage_erase(d, answers[key], keep_instruction=not s.erase))
        lanes, threads = lane_plan(cfg.parallel_students, len(cfg.students))
        if lanes > 1:
            todo = [s.name for s in cfg.students if not all(t.finished(name, keys, inputs) for name, keys, inputs, _, _ in self._student_stages(s, threads))]
            if todo:
                self.console.print(f"[bold]▶ students[/] {', '.join(todo)}: {lanes} at a time, {threads} thread(s) each  "
                                   f"(run elapsed {_fmt(time.perf_counter() - t.started)}{t._eta()})")
                run_lanes(self.out, todo, lanes, threads, write=lambda line: self.console.print(line, highlight=False, markup=False),
                          elapsed=time.perf_counter() - t.started)
        for s in cfg.students:  # after lanes: every stage is finished, and this collects its seconds
            for name, keys, inputs, fn, legacy in self._student_stages(s, threads if lanes > 1 else None):
                t.run(name, keys, inputs, fn, legacy=legacy, quiet=lanes > 1)
        summary = summarize(cfg, self.out, [task.name for task in self.tasks])
        t.run("report", {"summary": summary}, [], lambda d: write_report(cfg, self.out, summary, d))
        summary["stage_seconds"] = dict(t.times)
        summary["wall_seconds"] = round(sum(t.times.values()), 1)
        if lanes > 1:  # the students' stages overlapped: the wall counts their lanes' makespan once
            branch = [t.times.get(f"train-{s.name}", 0.0) + t.times.get(f"eval-{s.name}", 0.0) for s in cfg.students]
            summary["wall_seconds"] = round(sum(t.times.values()) - sum(branch) + makespan(branch, lanes), 1)
            summary["student_lanes"] = {"lanes": lanes, "threads": threads}
        with atomic_writer(self.out / "summary.json") as fh:
            json.dump(summary, fh, indent=2)
        return summary


def fact_lines(facts: list[str], per_line: int, seed: int) -> list[str]:
    """The knowledge corpus as training lines: one fact a line, or `per_line` facts a line in
    `per_line` seeded shuffles (every fact appears `per_line` times, at different positions)."""
    import random

    if per_line <= 1:
        return list(facts)
    rng = random.Random(f"facts|{seed}")
    lines = []
    for _ in range(per_line):
        order = rng.sample(facts, len(facts))
        lines += [" ".join(order[i : i + per_line]) for i in range(0, len(order), per_line)]
    return lines


def validate_train_settings(settings: dict[str, Any], where: str = "train"):
    """The run's `train:` settings as a TrainConfig; a mistake is one line naming the key."""
    from pydantic import ValidationError

    from cautious.train import TrainConfig
    from cautious.train.config import _describe

    try:
        return TrainConfig.model_validate(settings)
    except ValidationError as exc:
        raise UserError(_describe(exc, f"run config: {where}")) from None


def _digest(catalog: dict[str, Strategy]) -> dict[str, str]:
    """Strategy texts change the teacher's answers, so they belong in the fingerprints."""
    import hashlib

    return {k: hashlib.sha256(v.model_dump_json().encode()).hexdigest()[:16] for k, v in sorted(catalog.items())}
