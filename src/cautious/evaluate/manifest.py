"""`run.json`, the manifest of an eval run folder: what was run, typed.

A folder may be extended (more tasks, more conditions) but not changed: a rerun with another
model, split, seed, extraction regex or temperature, or another text for a condition it
already ran, would mix two runs' records in one table, so it stops with one line instead.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cautious.errors import UserError
from cautious.jsonl import atomic_writer, describe_validation_error
from cautious.records import SCHEMA_VERSION

RUN_FILE = "run.json"

#: Settings that must be the same for every record of a folder.
FIXED = ("model", "split", "seed", "answer_regex", "regex_group_select", "temperature")


class TaskEntry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    source: str = ""
    answer_type: str = "text"
    max_new_tokens: int
    n: int
    metric_info: dict[str, Any] = Field(default_factory=dict)
    needs: list[str] = Field(default_factory=list)


class EvalManifest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    schema_version: int = SCHEMA_VERSION
    model: str
    label: str | None = None
    split: str
    seed: int = 0
    temperature: float = 0.0
    answer_regex: str | None = None
    regex_group_select: int | None = None
    #: condition name -> its system message
    conditions: dict[str, str] = Field(default_factory=dict)
    tasks: dict[str, TaskEntry] = Field(default_factory=dict)
    judge: str | None = None
    judge_options: dict[str, Any] = Field(default_factory=dict)
    created: str | None = None
    model_notes: list[str] = Field(default_factory=list)

    @classmethod
    def read(cls, out_dir: Path) -> EvalManifest | None:
        """The folder's manifest, None if it has none; a bad file is one line naming it."""
        path = out_dir / RUN_FILE
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}:{exc.lineno}: malformed JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise UserError(f"{path}: expected a JSON object")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise UserError(f"{path}:{describe_validation_error(exc)}") from None

    def write(self, out_dir: Path) -> None:
        with atomic_writer(out_dir / RUN_FILE) as fh:
            fh.write(json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n")

    def extended_by(self, new: EvalManifest, out_dir: Path) -> EvalManifest:
        """This folder's manifest with `new`'s tasks and conditions added; a change to what the
        folder's records were made under is refused (see the module docstring)."""
        for key in FIXED:
            if getattr(self, key) != getattr(new, key):
                raise UserError(
                    f"{out_dir}: this folder holds a run with {key}={getattr(self, key)!r}, not {getattr(new, key)!r}; "
                    "use another --out folder (runs with different settings are compared by `cautious report DIR1 DIR2`)"
                )
        for name, text in new.conditions.items():
            if name in self.conditions and self.conditions[name] != text:
                raise UserError(f"{out_dir}: condition {name!r} was run with a different system message; use another --out folder")
        return new.model_copy(update={
            "conditions": {**self.conditions, **new.conditions}, "tasks": {**self.tasks, **new.tasks},
            "label": new.label or self.label, "created": self.created, "model_notes": self.model_notes,
        })

    def stamped(self) -> EvalManifest:
        return self if self.created else self.model_copy(update={"created": time.strftime("%Y-%m-%dT%H:%M:%S")})

    def metric_infos(self) -> dict[str, dict[str, Any]]:
        return {name: t.metric_info for name, t in self.tasks.items()}
