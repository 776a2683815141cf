"""Which strategy each task is answered with.

A strategy map is either one strategy name for every task, or a YAML mapping
`task: strategy` (optionally with `default: strategy` for tasks not listed). `cautious
select` writes the second form; users may write either by hand.
"""

from __future__ import annotations

from pathlib import Path

from cautious import yamlfile
from cautious.errors import UserError, unknown_name
from cautious.paths import read_text
from cautious.records import Strategy


def read_strategy_map(spec: str, task_names: list[str], catalog: dict[str, Strategy]) -> dict[str, str]:
    """Resolve `spec` (a strategy name or a YAML file) to a strategy for every task."""
    path = Path(spec)
    if spec in catalog:
        return {t: spec for t in task_names}
    if not (spec.endswith((".yaml", ".yml")) or path.exists()):
        raise unknown_name("strategy", spec, list(catalog))
    data = yamlfile.parse(read_text(path, "strategy map"), path)
    if isinstance(data, dict) and isinstance(data.get("strategies"), dict):
        data = data["strategies"]  # the form `cautious select` writes, with scores beside it
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise UserError(f"{path}: expected a mapping `task: strategy` (values are strategy names)")
    for key, name in data.items():
        if name not in catalog:
            raise UserError(f"{path}:{key}: unknown strategy {name!r}; valid strategies: {', '.join(sorted(catalog))}")
    default = data.get("default")
    out = {}
    for task in task_names:
        if task in data:
            out[task] = data[task]
        elif default is not None:
            out[task] = default
        else:
            raise UserError(f"{path}: no strategy for task {task!r} and no `default:` entry")
    unused = [key for key in data if key != "default" and key not in task_names]
    if unused:  # a misspelt task name would otherwise fall back to `default:` without a word
        raise UserError(
            f"{path}:{unused[0]}: names no requested task; requested: {', '.join(task_names)} "
            "(add it to --tasks, or remove it from the map)"
        )
    return out
