"""The strategy catalog: built-in strategies plus any the user loads from YAML.

A strategy is a way of answering (the paper's direct answer, step-by-step, recall-then-
generate, ...): a detailed teacher instruction and the response shape it yields. Built-ins
live in `builtin.yaml` beside this file, in the same format users write, so reading the
catalog and extending it are the same skill.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from cautious import yamlfile
from cautious.errors import UserError, unknown_name
from cautious.jsonl import describe_validation_error
from cautious.paths import read_text
from cautious.records import Strategy
from cautious.shapes import SECTIONS

BUILTIN_PATH = Path(__file__).with_name("builtin.yaml")


def load_strategy_file(path: str | Path, source: str | None = None) -> list[Strategy]:
    """Parse a YAML list of strategies; any problem names the file, entry and field."""
    return [s for s, _ in _load_with_lines(Path(path), source)]


def _load_with_lines(path: Path, source: str | None = None) -> list[tuple[Strategy, int]]:
    """Each strategy of the file with the line its entry starts on (0 when unknown)."""
    text = read_text(path, "strategies file")
    data = yamlfile.parse(text, path)
    lines = yamlfile.item_lines(text, "strategies")
    if isinstance(data, dict) and "strategies" in data:
        data = data["strategies"]
    if not isinstance(data, list) or not data:
        raise UserError(f"{path}: expected a non-empty YAML list of strategies (or a `strategies:` key holding one)")
    out: list[tuple[Strategy, int]] = []
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
        out.append((strategy, lines[i] if i < len(lines) else 0))
    return out


def load_catalog(extra_files: list[str | Path] | None = None) -> dict[str, Strategy]:
    """Built-ins, then user files in order. A user strategy may replace a built-in by name (on
    purpose: that is how a built-in's instruction is changed), but two user definitions of one
    name are refused with both places: silently keeping the last one taught with a strategy the
    user may not have meant."""
    catalog = {s.name: s for s in load_strategy_file(BUILTIN_PATH, source="builtin")}
    defined: dict[str, str] = {}
    for path in dict.fromkeys(Path(p).resolve() for p in extra_files or []):  # one file named twice is read once
        for s, line in _load_with_lines(Path(path)):
            here = f"{path}:{line}" if line else str(path)
            if s.name in defined:
                raise UserError(f"{here}: strategy {s.name!r} is defined twice, here and at {defined[s.name]}; "
                                "rename or remove one of them")
            defined[s.name] = here
            catalog[s.name] = s
    return catalog


def get_strategy(name: str, catalog: dict[str, Strategy] | None = None) -> Strategy:
    catalog = catalog if catalog is not None else load_catalog()
    if name not in catalog:
        raise unknown_name("strategy", name, list(catalog))
    return catalog[name]
