"""The probe's rounds: train it on until some strategy of every task is learned, with a cap.

    probe-train ─► probe-check-1 ─(a task below the bar)─► probe-round-1 ─► probe-check-2 ─► ...
                         └─(every task at the bar)─► select

Why: `select` reads the probe's dev accuracy per task × strategy. Where the probe has learned
no strategy of a task, that row is noise, and the selection there is a coin. How soon a small
model trained from scratch learns a task varies from seed to seed (the lab measured a probe
that learned comparison at step 2,000 in one seed and not by step 3,000 in another), and any
change to the probe's own schedule redraws which seed falls short. A round leaves the probe's
first steps alone: it checks, and only a probe that falls short trains on.

Fairness: a round trains every strategy of every task on the probe's own data, and its
stopping rule asks only whether *some* strategy of each task reaches the bar — never which one
leads. The check questions are dev questions `select` does not score, so the selection's
scores stay an independent measurement; test questions are never read.

Each check and each round is a stage of its own (`stages.py`), so a killed run resumes where
it stopped, and a probe that passes the first check is the probe a run without rounds trains:
its name in every later fingerprint stays `probe-train/model`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cautious.errors import UserError
from cautious.jsonl import atomic_writer, write_records
from cautious.records import Example
from cautious.task import draw_examples

#: `p` below is the run's `Pipeline` (its draws, scoring, training and stage timer); typed
#: loosely, as the pipeline imports this module.
Pipeline = Any

FIRST = "probe-train"


def check_set(p: Pipeline) -> dict[str, list[Example]]:
    """Per task, `check_examples` dev questions that `select` does not score (drawn past them)."""
    cfg, rounds = p.cfg, p.cfg.probe_rounds
    scored = {(e.task, e.input) for e in p._examples("dev")}
    drawn = draw_examples(p.tasks, "dev", cfg.select_examples + rounds.check_examples, cfg.seed)
    out: dict[str, list[Example]] = {}
    for task, examples in drawn.items():
        out[task] = [e for e in examples if (e.task, e.input) not in scored][: rounds.check_examples]
        if not out[task]:
            raise UserError(f"run config: probe_rounds: task {task!r} has no dev questions left for the check after "
                            f"select's {cfg.select_examples}; lower select_examples or turn probe_rounds off")
    return out


def competence(cells: list[Any], bar: float) -> dict[str, Any]:
    """Per task, the best strategy's accuracy and whether it reaches `bar`."""
    best: dict[str, float] = {}
    for c in cells:
        best[c.task] = max(best.get(c.task, 0.0), c.accuracy)
    return {"bar": bar, "best": best, "all": bool(best) and all(a >= bar for a in best.values())}


def stage_check(p: Pipeline, d: Path, model_stage: str) -> None:
    """The probe of `model_stage` on the check set: check.json says whether it is competent."""
    examples = check_set(p)
    write_records(d / "check.jsonl", [e for exs in examples.values() for e in exs])
    result = p._score(d, f"hf:{p.out / model_stage / 'model'}", examples, "probe checks")
    verdict = competence(result.cells, p.cfg.probe_rounds.competent) | {"probe": model_stage}
    with atomic_writer(d / "check.json") as fh:
        json.dump(verdict, fh, indent=2)


def read_check(run_dir: Path, k: int) -> dict[str, Any] | None:
    path = run_dir / f"probe-check-{k}" / "check.json"
    if not (path.parent / "stage.json").exists() or not path.exists():
        return None
    return json.loads(path.read_text())


def final_probe_stage(run_dir: Path, max_rounds: int) -> str:
    """The stage whose model is the probe `select` and the students use: the last round trained
    after a failed check (`probe-train` if the first check passed, or before any check ran)."""
    stage = FIRST
    for k in range(1, max_rounds + 1):
        check = read_check(run_dir, k)
        if check is None or check.get("probe") != stage or check["all"]:
            break
        if not (run_dir / f"probe-round-{k}" / "stage.json").exists():
            break
        stage = f"probe-round-{k}"
    return stage


def run_rounds(p: Pipeline, probe_data: Path) -> str:
    """Check, and train a round while a task is below the bar; returns the final probe's stage."""
    t, rounds = p.timer, p.cfg.probe_rounds
    data = p.out / "data"
    check_keys = p._settings("tasks", "task_knobs", "seed", "select_examples", "candidates", "task_candidates",
                             "max_new_tokens", "instructions") | {"probe_rounds": rounds.model_dump(mode="json")}
    stage = FIRST
    for k in range(1, rounds.max_rounds + 1):
        model_stage = stage
        t.run(f"probe-check-{k}", check_keys | {"probe": f"hf:{model_stage}/model"},
              [data / "dev.jsonl", p.out / model_stage / "stage.json"], lambda d, m=model_stage: stage_check(p, d, m))
        check = read_check(p.out, k)
        if check["all"]:
            return stage
        weak = ", ".join(f"{task} {100 * a:.0f}%" for task, a in check["best"].items() if a < rounds.competent)
        keys = p._train_keys() | {"steps": rounds.steps, "lr": rounds.lr, "init": f"hf:{model_stage}/model"}
        inputs = [probe_data / "train.jsonl", data / "facts.txt", p.out / model_stage / "stage.json"]
        if not t.finished(f"probe-round-{k}", keys, inputs):
            p.console.print(f"[bold]probe[/] below {100 * rounds.competent:.0f}% on {weak} (best strategy, check set): "
                            f"round {k} of at most {rounds.max_rounds}, {rounds.steps} more steps")
        t.run(f"probe-round-{k}", keys, inputs,
              lambda d, m=model_stage: p._train(d, probe_data / "train.jsonl", rounds.steps, init=str(p.out / m / "model"),
                                                knows_facts=True, overrides={"lr": rounds.lr}))
        stage = f"probe-round-{k}"
    return stage


def rounds_summary(run_dir: Path, max_rounds: int) -> dict[str, Any]:
    """What the checks found and how many rounds the probe trained, for summary.json and the report."""
    checks = [c for k in range(1, max_rounds + 1) if (c := read_check(run_dir, k)) is not None]
    final = final_probe_stage(run_dir, max_rounds)
    trained = 0 if final == FIRST else int(final.rsplit("-", 1)[1])
    return {"checks": checks[: trained + 1], "rounds": trained, "final_probe": final}
