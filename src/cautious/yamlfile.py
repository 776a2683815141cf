"""YAML the user wrote, read with the place of every mistake: `file:line:column`.

Why: "malformed YAML (expected <block end>, but found '-')" without a line sends a user
searching a long strategies file or run config by eye; the train config already said where.
Every user YAML (strategy files, strategy maps, run configs, price tables) is read here, and
a strategy list also gets the line each entry starts on, so a duplicate can name both places.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from cautious.errors import UserError


def where(path: str | Path, mark) -> str:
    """`file:line:column` (1-based, as editors count) of a YAML mark."""
    return f"{path}:{mark.line + 1}:{mark.column + 1}"


def parse(text: str, path: str | Path) -> Any:
    """`yaml.safe_load`, with a syntax error turned into one line naming file:line:column."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UserError(error_line(exc, path)) from None


def error_line(exc: yaml.YAMLError, path: str | Path) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    detail = f"{problem} ({context})" if context else problem
    return f"{where(path, mark) if mark else path}: malformed YAML: {detail}"


def item_lines(text: str, key: str | None = None) -> list[int]:
    """The 1-based line on which each item of the YAML list starts (the list under `key` of a
    top-level mapping when given and present). Call on text `parse` has accepted."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if isinstance(node, yaml.MappingNode) and key is not None:
        node = next((v for k, v in node.value if getattr(k, "value", None) == key), node)
    if not isinstance(node, yaml.SequenceNode):
        return []
    return [item.start_mark.line + 1 for item in node.value]
