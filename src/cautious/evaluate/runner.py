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
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cautious.errors import UserError
from cautious.evaluate.conditions import Condition
from cautious.evaluate.detect import StrategyDetector, usage
from cautious.evaluate.metrics import EvalOutput, ScoringContext, metric_info, score_outputs
from cautious.jsonl import atomic_writer, describe_validation_error, dump_record, parse_object
from cautious.locks import exclusive
from cautious.paths import naming
from cautious.models.base import ChatModel, SamplingParams
from cautious.records import SCHEMA_VERSION, EvalRecord, Example, Message, Strategy

RUN_FILE = "run.json"
RECORDS_FILE = "records.jsonl"
SCORES_FILE = "scores.json"
RUN_FILES = (RUN_FILE, RECORDS_FILE, SCORES_FILE)
#: Used when neither the task (`max_new_tokens` attribute) nor the user sets a limit.
DEFAULT_MAX_NEW_TOKENS = 512
#: Run settings that must not change within one folder.
_FIXED = ("model", "split", "seed", "answer_regex", "regex_group_select", "temperature")


def task_max_new_tokens(task: Any, override: int | None) -> int:
    if override is not None:
        return override
    return int(getattr(task, "max_new_tokens", None) or DEFAULT_MAX_NEW_TOKENS)


def record_key(task: str, condition: str, example_id: str) -> tuple[str, str, str]:
    return (task, condition, example_id)


# ---- the run folder -----------------------------------------------------------------------


def load_records(path: Path, repair: bool = False) -> list[EvalRecord]:
    """Every record of `path`. A torn last line (a crash mid-write: no newline, not valid JSON)
    is ignored — and cut off when `repair`, so appending can go on — while a bad line anywhere
    else stops with file:line:field."""
    if not path.exists():
        return []
    raw = path.read_bytes()
    cut = raw.rfind(b"\n") + 1
    complete, tail = raw[:cut], raw[cut:]
    lines = complete.decode("utf-8").splitlines()
    if tail.strip():
        try:
            json.loads(tail)
            lines.append(tail.decode("utf-8"))
            if repair:  # a whole record that only lacks its newline
                with path.open("ab") as fh:
                    fh.write(b"\n")
        except (json.JSONDecodeError, UnicodeDecodeError):
            if repair:
                with path.open("r+b") as fh:
                    fh.truncate(cut)
    out: list[EvalRecord] = []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        obj = parse_object(path, lineno, line)
        if obj.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
            raise UserError(f"{path}:{lineno}:schema_version: written with schema {obj.get('schema_version')}, "
                            f"this cautious reads {SCHEMA_VERSION}")
        try:
            out.append(EvalRecord.model_validate(obj))
        except ValidationError as exc:
            raise UserError(f"{path}:{lineno}:{describe_validation_error(exc)}") from None
    return out


def latest_records(records: list[EvalRecord]) -> dict[tuple[str, str, str], EvalRecord]:
    """One record per (task, condition, example): the last one written wins (a retried error)."""
    return {record_key(r.task, r.condition, r.example_id): r for r in records}


def read_run(out_dir: Path) -> dict[str, Any] | None:
    path = out_dir / RUN_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}:{exc.lineno}: malformed JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a JSON object")
    return data


def _write_json(path: Path, data: Any) -> None:
    with atomic_writer(path) as fh:
        fh.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def check_compatible(old: dict[str, Any], new: dict[str, Any], out_dir: Path) -> None:
    for key in _FIXED:
        if old.get(key) != new.get(key):
            raise UserError(
                f"{out_dir}: this folder holds a run with {key}={old.get(key)!r}, not {new.get(key)!r}; "
                "use another --out folder (runs with different settings are compared by `cautious report DIR1 DIR2`)"
            )
    for name, text in new.get("conditions", {}).items():
        if name in old.get("conditions", {}) and old["conditions"][name] != text:
            raise UserError(f"{out_dir}: condition {name!r} was run with a different system message; use another --out folder")


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


def write_scores(out_dir: Path, run: dict[str, Any]) -> list[TaskScore]:
    records = load_records(out_dir / RECORDS_FILE)
    infos = {name: t.get("metric_info", {}) for name, t in run.get("tasks", {}).items()}
    scores = aggregate(records, infos)
    _write_json(out_dir / SCORES_FILE, {"schema_version": SCHEMA_VERSION, "model": run.get("model"),
                                        "label": run.get("label"), "scores": [s.as_dict() for s in scores]})
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


def generate_outputs(model: ChatModel, system: str, examples: list[Example], params: SamplingParams) -> tuple[list[EvalOutput], list[list[Message]], list[int]]:
    """Ask every example (all turns), batched per turn; returns outputs, the full conversations
    and the prompt tokens of each example's last call."""
    convs = [[Message(role="system", content=system)] for _ in examples]
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
    tasks: list[Any],
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
    examples_by_task: dict[str, list[Example]] | None = None,
) -> EvalResult:
    """Evaluate `model` on every task × condition, appending to `out_dir/records.jsonl`.

    `examples_by_task` lets a caller that already drew the examples (the CLI, to size its
    progress bar) pass them in; otherwise each task's `examples(split, n, seed)` is used.
    """
    if batch_size < 1:
        raise UserError("--batch-size must be at least 1")
    started = time.perf_counter()
    out_dir = Path(out_dir)
    ctx = ctx or ScoringContext()
    detector = StrategyDetector(catalog)
    temperature = 0.0

    needs_judge = [t.name for t in tasks if "judge" in getattr(t, "needs", ())]
    if needs_judge and not ctx.judge:
        raise UserError(f"task(s) {', '.join(needs_judge)} are scored by an LLM judge: pass --judge MODEL (e.g. openai:gpt-4o)")
    selected: dict[str, list[Example]] = {}
    for task in tasks:
        if examples_by_task is not None and task.name in examples_by_task:
            selected[task.name] = examples_by_task[task.name]
            continue
        task.check_split(split)
        exs = task.examples(split, n=n, seed=seed)
        if not exs:
            raise UserError(f"task {task.name!r} has no {split} examples (empty selection)")
        selected[task.name] = exs

    run = {
        "schema_version": SCHEMA_VERSION,
        "model": model.name,
        "label": label,
        "split": split,
        "seed": seed,
        "temperature": temperature,
        "answer_regex": ctx.answer_regex,
        "regex_group_select": ctx.regex_group_select if ctx.answer_regex else None,
        "conditions": {c.name: c.text for c in conditions},
        "tasks": {},
        "judge": ctx.judge,
        "judge_options": ctx.judge_options,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    with exclusive(out_dir, "eval", folder=True):  # a second writer would append every record again
        old = read_run(out_dir)
        if old is not None:
            check_compatible(old, run, out_dir)
            run["conditions"] = {**old.get("conditions", {}), **run["conditions"]}
            run["tasks"] = dict(old.get("tasks", {}))
            run["label"] = label or old.get("label")
            run["created"] = old.get("created")
            if old.get("model_notes"):
                run["model_notes"] = old["model_notes"]
        run.setdefault("created", None)
        run["created"] = run["created"] or time.strftime("%Y-%m-%dT%H:%M:%S")
        for task in tasks:
            exs = selected[task.name]
            run["tasks"][task.name] = {
                "source": getattr(task, "source", ""),
                "answer_type": getattr(task, "answer_type", "text"),
                "max_new_tokens": task_max_new_tokens(task, max_new_tokens),
                "n": len(exs),
                "metric_info": metric_info(task, exs[0].metric),
                "needs": list(getattr(task, "needs", ())),
            }
        _write_json(out_dir / RUN_FILE, run)

        records_path = out_dir / RECORDS_FILE
        done = {k for k, r in latest_records(load_records(records_path, repair=True)).items() if r.error is None}
        new = skipped = 0
        with records_path.open("a", encoding="utf-8") as fh:
            for task in tasks:
                exs = selected[task.name]
                params = SamplingParams(temperature=temperature, max_tokens=task_max_new_tokens(task, max_new_tokens))
                for cond in conditions:
                    todo = [ex for ex in exs if record_key(task.name, cond.name, ex.id) not in done]
                    todo.sort(key=lambda ex: -len(ex.input))  # similar lengths share a batch: less padding
                    skipped += len(exs) - len(todo)
                    if on_progress and len(exs) > len(todo):
                        on_progress(len(exs) - len(todo))
                    for start in range(0, len(todo), batch_size):
                        chunk = todo[start : start + batch_size]
                        outputs, prompts, prompt_tokens = generate_outputs(model, cond.text, chunk, params)
                        ok = [i for i, o in enumerate(outputs) if o.finish_reason != "error"]
                        pairs = score_outputs(task, [chunk[i] for i in ok], [outputs[i] for i in ok], ctx) if ok else []
                        scored = dict(zip(ok, pairs))
                        lines = [dump_record(_record(model, task, split, cond, ex, out, msgs, prompt_tokens[i], scored.get(i), detector)) + "\n"
                                 for i, (ex, out, msgs) in enumerate(zip(chunk, outputs, prompts))]
                        with naming(records_path):
                            fh.write("".join(lines))
                            fh.flush()
                            os.fsync(fh.fileno())
                        new += len(chunk)
                        if on_progress:
                            on_progress(len(chunk))
        notes = list(getattr(model, "notes", []) or [])
        if notes:
            run["model_notes"] = sorted(set(run.get("model_notes", []) + notes))
            _write_json(out_dir / RUN_FILE, run)
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
