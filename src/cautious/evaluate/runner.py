"""`cautious eval`: zero-shot greedy evaluation of any chat model, per task × system condition.

A run folder holds three files:

    run.json       what was run: model, split, seed, sampling, conditions (name -> text), tasks
    records.jsonl  one `EvalRecord` per (task, condition, example), appended and flushed as
                   each batch finishes, so a crash loses at most the batch in flight
    scores.json    per task × condition: strict / flexible score, parse rates, mean output
                   tokens, strategy usage — recomputed from every record in the folder

A rerun with the same folder skips every (task, condition, example) already recorded and
sends only what is missing; records of failed requests (`error` set) are retried. Adding
tasks or conditions to an existing folder is allowed; changing the model, split, seed or a
condition's text is refused, since it would mix incomparable numbers in one table.

Prompts: the system message of the condition (the empty string for `empty`: an empty system
turn, the paper's "empty system message") and the example's `input` as the user turn; an
example with `meta["turns"]` (MT-Bench) is a multi-turn conversation, each turn asked after
the model's own previous answer.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from itertools import groupby
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from cautious.errors import UserError
from cautious.evaluate.conditions import Condition
from cautious.evaluate.config import EvalConfig
from cautious.evaluate.manifest import RUN_FILE, EvalManifest, TaskEntry
from cautious.evaluate.detect import StrategyDetector, usage
from cautious.evaluate.metrics import EvalOutput, ScoringContext, metric_info, score_outputs
from cautious.append_log import AppendLog, read_log
from cautious.jsonl import atomic_writer
from cautious.locks import exclusive
from cautious.models.base import ChatModel, SamplingParams
from cautious.records import SCHEMA_VERSION, EvalRecord, Example, Message, Strategy
from cautious.task import Task, draw_examples

RECORDS_FILE = "records.jsonl"
SCORES_FILE = "scores.json"
RUN_FILES = (RUN_FILE, RECORDS_FILE, SCORES_FILE)
#: Used when neither the task (`max_new_tokens` attribute) nor the user sets a limit.
DEFAULT_MAX_NEW_TOKENS = 512


def task_max_new_tokens(task: Task, override: int | None) -> int:
    if override is not None:
        return override
    return int(task.max_new_tokens or DEFAULT_MAX_NEW_TOKENS)


def record_key(task: str, condition: str, example_id: str) -> tuple[str, str, str]:
    return (task, condition, example_id)


# ---- the run folder -----------------------------------------------------------------------


class EvalLog(AppendLog[EvalRecord]):
    """`records.jsonl`: identity `(task, condition, example_id)`; a record whose request
    failed (`error`) is removed on resume and asked again."""

    model = EvalRecord

    def key(self, record) -> tuple[str, str, str]:
        return record_key(record.task, record.condition, record.example_id)

    def retry(self, record) -> bool:
        return record.error is not None


def load_records(path: Path) -> list[EvalRecord]:
    """Every record of `path`, unchanged; a torn last line (a run that died, or one still
    writing) is left out, a bad line anywhere else stops with file:line:field."""
    return read_log(path, EvalRecord)


def latest_records(records: list[EvalRecord]) -> dict[tuple[str, str, str], EvalRecord]:
    """One record per (task, condition, example): the last one written wins (a retried error)."""
    return {record_key(r.task, r.condition, r.example_id): r for r in records}


# ---- scores -------------------------------------------------------------------------------


@dataclass
class TaskScore:
    """Aggregate of one task × condition (the numbers a scores table shows)."""

    task: str
    condition: str
    model: str
    n: int = 0
    scored: int = 0
    strict: float | None = None
    flexible: float | None = None
    parse_rate: float = 0.0
    parse_rate_flexible: float = 0.0
    mean_output_tokens: float = 0.0
    errors: int = 0
    truncated: int = 0
    strategies: dict[str, float] = field(default_factory=dict)
    strategy_method: dict[str, int] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def aggregate(records: list[EvalRecord], infos: dict[str, dict[str, Any]] | None = None) -> list[TaskScore]:
    """Scores per (task, condition) in first-seen order. Failed requests count in `errors` and
    not in the means; outputs a scorer could not score (`score` None) count in `n` only."""
    groups: dict[tuple[str, str], list[EvalRecord]] = defaultdict(list)
    for r in latest_records(records).values():
        groups[(r.task, r.condition)].append(r)
    out = []
    for (task, condition), recs in groups.items():
        ok = [r for r in recs if r.error is None]
        s = TaskScore(task=task, condition=condition, model=recs[0].model, n=len(ok), errors=len(recs) - len(ok))
        s.info = (infos or {}).get(task) or {"metric": recs[0].metric, "label": "accuracy", "percent": True, "higher_is_better": True}
        if ok:
            strict = [r.score for r in ok if r.score is not None]
            flexible = [r.score_flexible for r in ok if r.score_flexible is not None]
            s.scored = len(strict)
            s.strict = sum(strict) / len(strict) if strict else None
            s.flexible = sum(flexible) / len(flexible) if flexible else None
            s.parse_rate = sum(r.parsed for r in ok) / len(ok)
            s.parse_rate_flexible = sum(r.parsed_flexible for r in ok) / len(ok)
            s.mean_output_tokens = sum(r.completion_tokens for r in ok) / len(ok)
            s.truncated = sum(r.finish_reason == "length" for r in ok)
            s.strategies = usage([r.strategy for r in ok])
            s.strategy_method = dict(Counter(r.strategy_method for r in ok))
        out.append(s)
    return out


def write_scores(out_dir: Path, run: EvalManifest) -> list[TaskScore]:
    scores = aggregate(load_records(out_dir / RECORDS_FILE), run.metric_infos())
    with atomic_writer(out_dir / SCORES_FILE) as fh:
        doc = {"schema_version": SCHEMA_VERSION, "model": run.model, "label": run.label, "scores": [s.as_dict() for s in scores]}
        fh.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return scores


# ---- the runner ---------------------------------------------------------------------------


@dataclass
class EvalResult:
    out_dir: Path
    scores: list[TaskScore]
    new_records: int = 0
    skipped: int = 0
    seconds: float = 0.0


def _turns(example: Example) -> list[str]:
    turns = example.meta.get("turns")
    if isinstance(turns, list) and len(turns) > 1 and all(isinstance(t, str) for t in turns):
        return turns
    return [example.input]


def generate_outputs(model: ChatModel, system: str | list[str], examples: list[Example], params: SamplingParams) -> tuple[list[EvalOutput], list[list[Message]], list[int]]:
    """Ask every example (all turns), batched per turn, under `system` (one message for all,
    or one per example); returns outputs, the full conversations and the prompt tokens of each
    example's last call."""
    systems = [system] * len(examples) if isinstance(system, str) else system
    convs = [[Message(role="system", content=text)] for text in systems]
    turns = [_turns(ex) for ex in examples]
    answers: list[list[str]] = [[] for _ in examples]
    tokens = [0] * len(examples)
    prompt_tokens = [0] * len(examples)
    finish: list[str | None] = [None] * len(examples)
    for t in range(max(len(x) for x in turns)):
        active = [i for i, x in enumerate(turns) if t < len(x) and finish[i] != "error"]
        if not active:
            break
        for i in active:
            convs[i].append(Message(role="user", content=turns[i][t]))
        completions = model.chat([list(convs[i]) for i in active], params)
        if len(completions) != len(active):
            raise RuntimeError(f"model {model.name!r} returned {len(completions)} completions for {len(active)} chats")
        for i, comp in zip(active, completions):
            answers[i].append(comp.text)
            convs[i].append(Message(role="assistant", content=comp.text))
            tokens[i] += comp.completion_tokens
            prompt_tokens[i] = comp.prompt_tokens
            finish[i] = comp.finish_reason
    outputs = [
        EvalOutput(text=a[-1] if a else "", turns=a if len(turns[i]) > 1 else [], completion_tokens=tokens[i], finish_reason=finish[i])
        for i, a in enumerate(answers)
    ]
    prompts = [c[:-1] if c and c[-1].role == "assistant" else c for c in convs]
    return outputs, prompts, prompt_tokens


def run_eval(
    model: ChatModel,
    tasks: list[Task],
    conditions: list[Condition],
    out_dir: str | Path,
    *,
    split: str = "test",
    n: int | None = None,
    seed: int = 0,
    batch_size: int = 16,
    max_new_tokens: int | None = None,
    ctx: ScoringContext | None = None,
    catalog: dict[str, Strategy] | None = None,
    label: str | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> EvalResult:
    """`evaluate` from tasks: draws `n` examples of `split` per task first (lm-eval's
    `simple_evaluate` to its `evaluate`)."""
    ctx = ctx or ScoringContext()
    cfg = EvalConfig(out=Path(out_dir), system=conditions, split=split, seed=seed, batch_size=batch_size,
                     max_new_tokens=max_new_tokens, judge=ctx.judge, judge_n=ctx.judge_options.get("n", 3),
                     answer_regex=ctx.answer_regex, regex_select=ctx.regex_group_select, label=label)
    require_judge(tasks, cfg)
    return evaluate(model, tasks, draw_examples(tasks, split, n, seed), cfg, catalog, on_progress)


def require_judge(tasks: list[Task], cfg: EvalConfig) -> None:
    needs_judge = [t.name for t in tasks if "judge" in t.needs]
    if needs_judge and not cfg.judge:
        raise UserError(f"task(s) {', '.join(needs_judge)} are scored by an LLM judge: pass --judge MODEL (e.g. openai:gpt-4o)")


def evaluate(
    model: ChatModel,
    tasks: list[Task],
    examples: dict[str, list[Example]],
    cfg: EvalConfig,
    catalog: dict[str, Strategy] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> EvalResult:
    """Evaluate `model` on every task's drawn `examples` × condition, appending to
    `cfg.out/records.jsonl`; a rerun skips what is recorded."""
    require_judge(tasks, cfg)
    started = time.perf_counter()
    out_dir, split, seed, label, conditions = cfg.out, cfg.split, cfg.seed, cfg.label, cfg.system
    batch_size, max_new_tokens = cfg.batch_size, cfg.max_new_tokens
    ctx = cfg.scoring()
    detector = StrategyDetector(catalog)
    temperature = 0.0
    selected = examples

    tasks_run = {task.name: TaskEntry(
        source=task.source, answer_type=task.answer_type,
        max_new_tokens=task_max_new_tokens(task, max_new_tokens), n=len(selected[task.name]),
        metric_info=metric_info(task, selected[task.name][0].metric), needs=list(task.needs),
    ) for task in tasks}
    run = EvalManifest(
        model=model.name, label=label, split=split, seed=seed, temperature=temperature, answer_regex=ctx.answer_regex,
        regex_group_select=ctx.regex_group_select if ctx.answer_regex else None, conditions={c.name: c.text for c in conditions},
        tasks=tasks_run, judge=ctx.judge, judge_options=ctx.judge_options,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    with exclusive(out_dir, "eval", folder=True):  # a second writer would append every record again
        old = EvalManifest.read(out_dir)
        run = (old.extended_by(run, out_dir) if old is not None else run).stamped()
        run.write(out_dir)

        log = EvalLog(out_dir / RECORDS_FILE)
        log.load()  # a torn tail is repaired, failed requests are asked again
        order: dict[tuple[str, str, str], int] = {}
        new = skipped = 0
        # Batches are filled across conditions and tasks, so `batch_size` prompts share each
        # call even when a task x condition has fewer examples than that. The queue stays task
        # by task (a task's answers have similar lengths, and a batch runs until its longest
        # answer ends); within a task, longest prompts first, so a batch pads little. Tasks
        # asked with different token budgets never share a batch.
        queue: list[tuple[int, Task, Condition, Example]] = []
        try:
            for task in tasks:
                exs = sorted(selected[task.name], key=lambda ex: -len(ex.input))
                todo_of_task = []
                for cond in conditions:
                    base = len(order)
                    order.update({record_key(task.name, cond.name, ex.id): base + i for i, ex in enumerate(exs)})
                    todo = [ex for ex in exs if record_key(task.name, cond.name, ex.id) not in log]
                    skipped += len(exs) - len(todo)
                    if on_progress and len(exs) > len(todo):
                        on_progress(len(exs) - len(todo))
                    todo_of_task += [(task_max_new_tokens(task, max_new_tokens), task, cond, ex) for ex in todo]
                queue += sorted(todo_of_task, key=lambda item: -(len(item[2].text) + len(item[3].input)))  # stable
            chunks = [(budget, run[start : start + batch_size])
                      for budget, group in groupby(queue, key=lambda item: item[0]) for run in [list(group)]
                      for start in range(0, len(run), batch_size)]
            for budget, chunk in chunks:
                params = SamplingParams(temperature=temperature, max_tokens=budget)
                outputs, prompts, prompt_tokens = generate_outputs(model, [c.text for _, _, c, _ in chunk], [ex for *_, ex in chunk], params)
                by_task: dict[str, list[int]] = defaultdict(list)
                for i, (_, task, _, _) in enumerate(chunk):
                    if outputs[i].finish_reason != "error":
                        by_task[task.name].append(i)
                scored: dict[int, Any] = {}
                for idx in by_task.values():
                    task = chunk[idx[0]][1]
                    scored |= dict(zip(idx, score_outputs(task, [chunk[i][3] for i in idx], [outputs[i] for i in idx], ctx)))
                new += log.append([_record(model, task, split, cond, ex, outputs[i], prompts[i], prompt_tokens[i], scored.get(i), detector)
                                   for i, (_, task, cond, ex) in enumerate(chunk)])
                if on_progress:
                    on_progress(len(chunk))
        finally:
            log.close()
        log.finalize(order)  # work order, so a resumed run ends byte-identical to an uninterrupted one
        notes = list(model.notes)
        if notes:
            run = run.model_copy(update={"model_notes": sorted(set(run.model_notes + notes))})
            run.write(out_dir)
        scores = write_scores(out_dir, run)
        return EvalResult(out_dir=out_dir, scores=scores, new_records=new, skipped=skipped, seconds=time.perf_counter() - started)


def _record(model, task, split, cond, ex, out, msgs, prompt_tokens, pair, detector) -> EvalRecord:
    detection = detector.detect(out.text, ex.input)
    meta: dict[str, Any] = {}
    if out.turns:
        meta["turn_outputs"] = out.turns
    common = dict(
        model=model.name, task=task.name, example_id=ex.id, split=split, condition=cond.name, system=cond.text,
        messages=msgs, output=out.text, gold=ex.gold, metric=ex.metric, strategy=detection.strategy,
        strategy_method=detection.method, prompt_tokens=prompt_tokens, completion_tokens=out.completion_tokens,
        finish_reason=out.finish_reason,
    )
    if pair is None:  # the request failed for good: recorded, not scored, retried next run
        return EvalRecord(**common, score=None, score_flexible=None, error="request failed", meta=meta)
    if pair.strict.details or pair.flexible.details:
        meta["scoring"] = {"strict": pair.strict.details, "flexible": pair.flexible.details}
    return EvalRecord(
        **common,
        extracted=pair.strict.answer, extracted_flexible=pair.flexible.answer,
        parsed=pair.strict.parsed, parsed_flexible=pair.flexible.parsed,
        score=pair.strict.value, score_flexible=pair.flexible.value,
        correct=bool(pair.strict.correct), correct_flexible=bool(pair.flexible.correct),
        meta=meta,
    )
