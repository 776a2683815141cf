"""BIG-bench JSON tasks (`task.json`), read from a local checkout of google/BIG-bench.

A task.json has `name`, `description`, `keywords`, `metrics`, `preferred_score`, optional
prompt settings and `examples`; each example has `input` and either `target_scores` (multiple
choice: option -> score) or `target` (a string, or a list of acceptable strings). A task with
subtasks has a task.json without examples next to subfolders that each hold a task.json;
BIG-bench names those `task:subtask`, and so do we (from the folder names, so a subtask gets the
same name, hence the same example ids, whether it is loaded through its parent or on its own).

Prompt: each example's `input` is what BIG-bench's JSON task shows a model zero-shot
(`bigbench/api/json_task.py`: `default_format_fn` builds `input_prefix + input [+ choices] +
output_prefix`, and `JsonTask` puts `task_prefix` in front), i.e.

    task_prefix + example_input_prefix + input
        [+ choice_prefix + choice_prefix.join(options)]   # multiple choice, append_choices_to_input
        + example_output_prefix

with BIG-bench's defaults ("", "\\nQ: ", "\\n  choice: ", append true, "\\nA: "), then stripped of
leading and trailing whitespace: the leading "\\n" of the default input prefix and the trailing
space of "A: " mean nothing in a chat message. One deliberate difference: BIG-bench lists the
options in a numpy-seeded permutation of their sorted order; we list them in file order, the
order of `choices`, so the prompt and `label` agree and no RNG is needed. The raw input is kept
in `meta["raw_input"]`.

Gold: for `target_scores`, `label` is the first option (file order) with the highest score,
as BIG-bench picks its `target`; every top-scoring option is kept in `meta["correct_choices"]`
and the scores in `meta["target_scores"]`. For `target`, the first string is the gold `target`
and all of them are kept in `meta["targets"]`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cautious.errors import UserError
from cautious.jsonl import describe_validation_error
from cautious.records import Example
from cautious.task import content_id, split_of
from cautious.tasks.files import FileTask, infer_answer_type, target_text, type_name, unique_ids

TASK_FILE = "task.json"
#: Prompt settings and BIG-bench's defaults for them (bigbench/api/json_task.py).
PROMPT_DEFAULTS: dict[str, Any] = {
    "task_prefix": "",
    "example_input_prefix": "\nQ: ",
    "example_output_prefix": "\nA: ",
    "choice_prefix": "\n  choice: ",
    "append_choices_to_input": True,
}
_KNOWN_EXAMPLE_KEYS = ("input", "target", "target_scores")
#: Task-level fields kept in `FileTask.info` for checkers and reports (the scoring hints).
_INFO_KEYS = ("name", "keywords", "metrics", "preferred_score", "output_regex", "stop_string")


def format_prompt(raw: str, options: list[str] | None, settings: dict[str, Any]) -> str:
    """The zero-shot prompt BIG-bench would show, stripped (see the module docstring)."""
    text = settings["task_prefix"] + settings["example_input_prefix"] + raw
    if options is not None and settings["append_choices_to_input"]:
        text += settings["choice_prefix"] + settings["choice_prefix"].join(options)
    return (text + settings["example_output_prefix"]).strip()


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}:{exc.lineno}: malformed JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(data, dict):
        raise UserError(
            f"{path}: expected a JSON object with `examples` (a BIG-bench task), got a {type_name(data)}; "
            "for a list of examples use a .jsonl file, one example per line"
        )
    return data


def _subtask_dirs(folder: Path) -> list[Path]:
    return sorted(d for d in folder.iterdir() if d.is_dir() and (d / TASK_FILE).is_file())


def _is_parent(task_file: Path) -> bool:
    """A task.json without examples, with subtask folders beside it: BIG-bench's parent task."""
    if not task_file.is_file() or not _subtask_dirs(task_file.parent):
        return False
    try:
        return not _read(task_file).get("examples")
    except UserError:  # a broken parent only costs the subtask its `parent:` prefix
        return False


def bigbench_tasks(path: Path) -> list[FileTask]:
    """The task(s) at `path`: a .json file, a folder with task.json, or a folder of such folders."""
    path = Path(path)
    if path.is_dir():
        if (path / TASK_FILE).is_file():
            return bigbench_tasks(path / TASK_FILE)
        subdirs = _subtask_dirs(path)
        if not subdirs:
            raise UserError(f"{path}: no {TASK_FILE} in this folder or its subfolders (not a BIG-bench task folder)")
        return [task for d in subdirs for task in bigbench_tasks(d)]
    data = _read(path)
    if path.name != TASK_FILE:
        return [_build(path, path.stem, data)]
    folder = path.resolve().parent  # resolved: `task.json` given from inside its folder still has a name
    name = folder.name
    if not data.get("examples") and _subtask_dirs(folder):
        return [_build(d / TASK_FILE, f"{name}:{d.name}", _read(d / TASK_FILE)) for d in _subtask_dirs(path.parent)]
    if _is_parent(folder.parent / TASK_FILE):
        name = f"{folder.parent.name}:{name}"
    return [_build(path, name, data)]


def _settings(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    settings = {key: data.get(key, default) for key, default in PROMPT_DEFAULTS.items()}
    for key, value in settings.items():
        expected = bool if key == "append_choices_to_input" else str
        if not isinstance(value, expected):
            want = "true or false" if expected is bool else "a string"
            raise UserError(f"{path}:{key}: expected {want}, got {type_name(value)}")
    return settings


def _targets(value: Any) -> list[str] | None:
    """`target` as a list of acceptable answers; None when it is not a string or list of strings."""
    raw = value if isinstance(value, list) else [value]
    targets = [target_text(t) for t in raw]
    return targets if targets and all(t is not None for t in targets) else None  # type: ignore[return-value]


def _gold(path: Path, where: str, ex: dict[str, Any]) -> dict[str, Any]:
    """`choices`/`label` or `target`, plus the meta that keeps every acceptable answer."""

    def bad(field: str, msg: str) -> UserError:
        return UserError(f"{path}:{where}.{field}: {msg}")

    targets = None
    if "target" in ex:
        targets = _targets(ex["target"])
        if targets is None:
            raise bad("target", "expected a string or a non-empty list of strings")
    if "target_scores" in ex:
        scores = ex["target_scores"]
        if not isinstance(scores, dict) or len(scores) < 2:
            raise bad("target_scores", "expected an object mapping at least two options to scores")
        for option, score in scores.items():
            if isinstance(score, bool) or not isinstance(score, (int, float)):
                raise bad("target_scores", f"score of {option!r} is a {type_name(score)}, expected a number")
        best = max(scores.values())
        if best <= 0:
            raise bad("target_scores", "no option has a positive score, so no answer is correct")
        options = list(scores)
        correct = [o for o in options if scores[o] == best]
        meta: dict[str, Any] = {"target_scores": scores, "correct_choices": correct}
        if targets is not None:  # BIG-bench allows both; keep the generative answers too
            meta["targets"] = targets
        return {"choices": options, "label": options.index(correct[0]), "meta": meta}
    if targets is None:
        raise bad("target", "missing field (a BIG-bench example needs `target` or `target_scores`)")
    return {"target": targets[0], "meta": {"targets": targets}}


def _build(path: Path, name: str, data: dict[str, Any]) -> FileTask:
    settings = _settings(path, data)
    if "examples" not in data:
        raise UserError(
            f"{path}:examples: missing field (a BIG-bench task lists `examples`, or has subtask folders beside it)"
        )
    raw_examples = data["examples"]
    if not isinstance(raw_examples, list):
        raise UserError(f"{path}:examples: expected a list, got {type_name(raw_examples)}")
    if not raw_examples:
        raise UserError(f"{path}:examples: no examples")
    parsed: list[dict[str, Any]] = []
    for i, ex in enumerate(raw_examples):
        where = f"examples[{i}]"
        if not isinstance(ex, dict):
            raise UserError(f"{path}:{where}: expected an object, got {type_name(ex)}")
        if "input" not in ex:
            raise UserError(f"{path}:{where}.input: missing field")
        if not isinstance(ex["input"], str):
            raise UserError(f"{path}:{where}.input: expected a string, got {type_name(ex['input'])}")
        gold = _gold(path, where, ex)
        gold["input"] = format_prompt(ex["input"], gold.get("choices"), settings)
        gold["meta"].update(raw_input=ex["input"], index=i)
        extra = {k: v for k, v in ex.items() if k not in _KNOWN_EXAMPLE_KEYS}
        if extra:  # e.g. per-example comments: kept, never dropped
            gold["meta"]["extra"] = extra
        parsed.append(gold)

    kinds = [p.get("choices") is not None for p in parsed]
    for i, mc in enumerate(kinds):
        if mc != kinds[0]:
            field, kind, other = ("target_scores", "multiple-choice", "generative") if mc else (
                "target", "generative", "multiple-choice")
            raise UserError(
                f"{path}:examples[{i}].{field}: a {kind} example in a task of {other} examples "
                "(examples[0]); one task has one answer type"
            )
    answer_type = "choice" if kinds[0] else infer_answer_type([p["target"] for p in parsed])
    ids = unique_ids([content_id(name, p["input"]) for p in parsed])
    examples: list[Example] = []
    for p, id_ in zip(parsed, ids):
        meta = {"source": "bigbench", "file": str(path), "split": split_of(p["input"]), **p["meta"]}
        try:
            examples.append(
                Example(
                    id=id_, task=name, input=p["input"], target=p.get("target"), choices=p.get("choices"),
                    label=p.get("label"), answer_type=answer_type, meta=meta,
                )
            )
        except ValidationError as exc:  # the checks above should make this unreachable
            raise UserError(f"{path}:examples[{p['meta']['index']}].{describe_validation_error(exc)}") from None
    description = data.get("description") if isinstance(data.get("description"), str) else ""
    info = {key: data[key] for key in _INFO_KEYS if key in data}
    return FileTask(
        name, examples, answer_type=answer_type, path=path, source="bigbench", description=description, info=info
    )
