"""The strategy catalog: built-in strategies plus any the user loads from YAML.

A strategy is a way of answering (the paper's direct answer, step-by-step, recall-then-
generate, ...): a detailed teacher instruction and the response shape it yields. Built-ins
live in `builtin.yaml` beside this file, in the same format users write, so reading the
catalog and extending it are the same skill.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from cautious.errors import UserError, unknown_name
from cautious.jsonl import describe_validation_error
from cautious.paths import read_text
from cautious.records import Strategy
from cautious.shapes import SECTIONS

BUILTIN_PATH = Path(__file__).with_name("builtin.yaml")


def load_strategy_file(path: str | Path, source: str | None = None) -> list[Strategy]:
    """Parse a YAML list of strategies; any problem names the file, entry and field."""
    path = Path(path)
    text = read_text(path, "strategies file")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise UserError(f"{path}{where}: malformed YAML ({getattr(exc, 'problem', exc)})") from None
    if isinstance(data, dict) and "strategies" in data:
        data = data["strategies"]
    if not isinstance(data, list) or not data:
        raise UserError(f"{path}: expected a non-empty YAML list of strategies (or a `strategies:` key holding one)")
    out: list[Strategy] = []
    for i, entry in enumerate(data):
        if not isinstance(entry, dict):
            raise UserError(f"{path}: entry {i}: expected a mapping with name, description, teacher_instruction, sections")
        label = f"{path}: entry {i} ({entry.get('name', '?')})"
        try:
            strategy = Strategy.model_validate({"source": source or str(path), **entry})
        except ValidationError as exc:
            raise UserError(f"{label}: {describe_validation_error(exc)}") from None
        bad = [s for s in strategy.sections if s not in SECTIONS]
        for step in strategy.steps:
            bad += [s for s in step.sections if s not in SECTIONS]
        if bad:
            raise UserError(f"{label}: sections: unknown section {bad[0]!r}; known: {', '.join(SECTIONS)}")
        if "answer" not in strategy.sections:
            raise UserError(f"{label}: sections: must end with `answer` so the final answer can be checked")
        out.append(strategy)
    return out


def load_catalog(extra_files: list[str | Path] | None = None) -> dict[str, Strategy]:
    """Built-ins, then user files in order; a user strategy may replace a built-in by name."""
    catalog = {s.name: s for s in load_strategy_file(BUILTIN_PATH, source="builtin")}
    for path in extra_files or []:
        for s in load_strategy_file(path):
            catalog[s.name] = s
    return catalog


def get_strategy(name: str, catalog: dict[str, Strategy] | None = None) -> Strategy:
    catalog = catalog if catalog is not None else load_catalog()
    if name not in catalog:
        raise unknown_name("strategy", name, list(catalog))
    return catalog[name]
