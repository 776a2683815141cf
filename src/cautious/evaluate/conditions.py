"""System-message conditions: the same model, asked the same questions, under different system texts.

The paper evaluates every model with an *empty* system message and Orca 2 also with its
cautious one, and the cautious message does not always help (it lowers AGIEval and raises
hallucination). So each condition is scored and reported separately, and none is privileged.

A condition is written as:
- a preset name: `empty`, `cautious`, `orca2` (`cautious.erase.SYSTEM_PRESETS`);
- `@path`: the text of a file, named after the file's stem;
- any other text with a space in it, taken literally and named `custom-<hash>`.

A single word that is not a preset is an error rather than a one-word system message, so a
typo like `--system cuatious` cannot silently evaluate the wrong condition.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from cautious.erase import SYSTEM_PRESETS
from cautious.errors import UserError
from cautious.paths import read_text


@dataclass(frozen=True)
class Condition:
    name: str
    text: str
    #: The file an `@path` condition was read from (an input no output may overwrite).
    path: Path | None = field(default=None, compare=False)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:12]


def parse_condition(spec: str) -> Condition:
    spec = spec.strip()
    if spec in SYSTEM_PRESETS:
        return Condition(spec, SYSTEM_PRESETS[spec])
    if spec.startswith("@"):
        path = Path(spec[1:])
        return Condition(path.stem, read_text(path, "system message file").strip(), path)
    if re.fullmatch(r"[\w.-]+", spec):
        raise UserError(
            f"unknown system message preset {spec!r}; presets: {', '.join(SYSTEM_PRESETS)} "
            "(for literal text, write a sentence with spaces, or @file.txt)"
        )
    return Condition(f"custom-{hashlib.sha256(spec.encode('utf-8')).hexdigest()[:8]}", spec)


def parse_conditions(specs: str | list[str]) -> list[Condition]:
    """Conditions from `empty,cautious`-style lists and/or repeated values.

    A value is split on commas only when every part is a preset or `@file`; otherwise it is
    one literal text (which may contain commas)."""
    values = [specs] if isinstance(specs, str) else list(specs)
    out: list[Condition] = []
    for value in values:
        parts = [p.strip() for p in value.split(",") if p.strip()]
        if parts and all(p in SYSTEM_PRESETS or p.startswith("@") for p in parts):
            out.extend(parse_condition(p) for p in parts)
        elif value.strip():
            out.append(parse_condition(value))
    if not out:
        raise UserError(f"no system message condition given; presets: {', '.join(SYSTEM_PRESETS)}")
    seen: dict[str, Condition] = {}
    for cond in out:
        if cond.name in seen and seen[cond.name].text != cond.text:
            raise UserError(f"two different system messages are both named {cond.name!r}")
        seen.setdefault(cond.name, cond)
    return list(seen.values())
