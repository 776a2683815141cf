"""User tasks as JSON Lines: one example per line, the file stem is the task name.

A line is either generative or multiple choice:

    {"input": "What is 2 + 2?", "target": "4"}
    {"input": "Which is a fruit?", "choices": ["carrot", "apple"], "label": 1}

Optional fields: `id` (default: a hash of task name and input), `split` ("train", "dev" or
"test"; set on every line or on none — without it examples are split 80/10/10 by input hash),
`answer_type` ("number", "choice", "yes_no", "text"; inferred when absent) and `meta` (an
object kept with the example). JSON numbers are accepted as targets (`"target": 4`).

Any other field is an error rather than ignored: a misspelt `split` or `label` silently dropped
would change the data without a word. Every problem is reported as `file:line:field`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError

from cautious.errors import UserError
from cautious.jsonl import describe_validation_error, iter_json_objects
from cautious.records import AnswerType, Example
from cautious.task import SPLITS, content_id, split_of
from cautious.tasks.files import FileTask, infer_answer_type, target_text, type_name, unique_ids

FIELDS = ("input", "target", "choices", "label", "id", "split", "answer_type", "meta")
#: meta keys cautious writes itself (provenance); a user's meta may not reuse them.
RESERVED_META = ("source", "file", "line", "split")
ANSWER_TYPES: tuple[str, ...] = get_args(AnswerType)


def _read_lines(path: Path) -> list[tuple[int, dict]]:
    try:
        return list(iter_json_objects(path))
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text") from None


def _parse(path: Path, lineno: int, obj: dict) -> dict[str, Any]:
    """Validate one line; returns its fields, normalised (targets as text, ids as strings)."""

    def bad(field: str, msg: str) -> UserError:
        return UserError(f"{path}:{lineno}:{field}: {msg}")

    for key in obj:
        if key not in FIELDS:
            raise bad(key, f"unknown field; a line has {', '.join(FIELDS)} — put anything else under `meta`")
    if "input" not in obj:
        raise bad("input", "missing field")
    if not isinstance(obj["input"], str):
        raise bad("input", f"expected a string, got {type_name(obj['input'])}")
    if not obj["input"].strip():
        raise bad("input", "is empty")
    line = {k: v for k, v in obj.items() if v is not None}  # null means "not given"

    target = None
    if "target" in line:
        target = target_text(line["target"])
        if target is None:
            raise bad("target", f"expected a string, got {type_name(line['target'])}")
    choices, label = line.get("choices"), line.get("label")
    if choices is None and label is None and target is None:
        raise bad("target", "missing field: give `target` (generative) or `choices` and `label` (multiple choice)")
    if choices is not None or label is not None:
        if choices is None:
            raise bad("choices", "missing field (a line with `label` needs `choices`)")
        if label is None:
            raise bad("label", "missing field (a line with `choices` needs `label`, the index of the answer)")
        if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            raise bad("choices", "expected a list of strings")
        if len(choices) < 2:
            raise bad("choices", "needs at least two options")
        if len(set(choices)) != len(choices):
            raise bad("choices", "repeats an option, so the answer would be ambiguous")
        if not isinstance(label, int) or isinstance(label, bool):
            raise bad("label", f"expected an integer index into `choices`, got {type_name(label)}")
        if not 0 <= label < len(choices):
            raise bad("label", f"{label} is out of range for {len(choices)} choices (0..{len(choices) - 1})")
        if target is not None and target != choices[label]:
            raise bad("target", f"{target!r} is not the labelled choice {choices[label]!r}")

    id_ = line.get("id")
    if id_ is not None:
        if isinstance(id_, bool) or not isinstance(id_, (str, int)) or not str(id_).strip():
            raise bad("id", "expected a non-empty string")
        id_ = str(id_)
    split = line.get("split")
    if split is not None and split not in SPLITS:
        raise bad("split", f"{split!r} is not one of {', '.join(SPLITS)}")
    answer_type = line.get("answer_type")
    if answer_type is not None and answer_type not in ANSWER_TYPES:
        raise bad("answer_type", f"{answer_type!r} is not one of {', '.join(ANSWER_TYPES)}")
    if answer_type == "choice" and choices is None:
        raise bad("answer_type", "'choice' needs `choices` and `label`")
    meta = line.get("meta", {})
    if not isinstance(meta, dict):
        raise bad("meta", f"expected an object, got {type_name(meta)}")
    for key in RESERVED_META:
        if key in meta:
            raise bad(f"meta.{key}", f"is reserved (cautious records {', '.join(RESERVED_META)} itself)")
    return dict(
        lineno=lineno, input=line["input"], target=target, choices=choices, label=label,
        id=id_, split=split, answer_type=answer_type, meta=meta,
    )


def _file_answer_type(path: Path, lines: list[dict[str, Any]]) -> AnswerType:
    """One answer type per file: every line the same kind, explicit types in agreement."""
    first = lines[0]
    first_mc = first["choices"] is not None
    for ln in lines[1:]:
        if (ln["choices"] is not None) != first_mc:
            kind, other = ("multiple-choice", "generative") if not first_mc else ("generative", "multiple-choice")
            field = "choices" if not first_mc else "target"
            raise UserError(
                f"{path}:{ln['lineno']}:{field}: a {kind} line in a file of {other} lines (line {first['lineno']}); "
                "one file is one task — put them in separate files"
            )
    explicit = [ln for ln in lines if ln["answer_type"] is not None]
    for ln in explicit[1:]:
        if ln["answer_type"] != explicit[0]["answer_type"]:
            raise UserError(
                f"{path}:{ln['lineno']}:answer_type: {ln['answer_type']!r} differs from "
                f"{explicit[0]['answer_type']!r} on line {explicit[0]['lineno']}; one file has one answer type"
            )
    if explicit:
        return explicit[0]["answer_type"]
    return "choice" if first_mc else infer_answer_type([ln["target"] for ln in lines])


def _check_splits(path: Path, lines: list[dict[str, Any]]) -> None:
    """`split` on every line or on none: a partial split would leave some lines' split to chance."""
    with_split = [ln for ln in lines if ln["split"] is not None]
    if with_split and len(with_split) != len(lines):
        missing = next(ln for ln in lines if ln["split"] is None)
        raise UserError(
            f"{path}:{missing['lineno']}:split: missing field (line {with_split[0]['lineno']} sets `split`, "
            "so every line must — or remove it everywhere to split by input hash)"
        )


def jsonl_task(path: Path) -> FileTask:
    """Read and validate a whole JSONL file into a task (first problem found is reported)."""
    path = Path(path)
    name = path.stem
    lines = [_parse(path, lineno, obj) for lineno, obj in _read_lines(path)]
    if not lines:
        raise UserError(f"{path}: no examples (the file is empty)")
    answer_type = _file_answer_type(path, lines)
    _check_splits(path, lines)
    ids = unique_ids([ln["id"] or content_id(name, ln["input"]) for ln in lines])
    examples: list[Example] = []
    for ln, id_ in zip(lines, ids):
        split = ln["split"] or split_of(ln["input"])
        meta = {**ln["meta"], "source": "jsonl", "file": str(path), "line": ln["lineno"], "split": split}
        try:
            examples.append(
                Example(
                    id=id_, task=name, input=ln["input"], target=ln["target"], choices=ln["choices"],
                    label=ln["label"], answer_type=answer_type, meta=meta,
                )
            )
        except ValidationError as exc:  # the checks above should make this unreachable
            raise UserError(f"{path}:{ln['lineno']}:{describe_validation_error(exc)}") from None
    return FileTask(name, examples, answer_type=answer_type, path=path, source="jsonl")
