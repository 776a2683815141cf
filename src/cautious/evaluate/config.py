"""What one evaluation needs besides the model and the examples: `EvalConfig`."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cautious.evaluate.conditions import Condition, parse_conditions
from cautious.evaluate.score import ScoringContext


class EvalConfig(BaseModel):
    """Where records go, the system-message conditions, generation limits and how outputs are
    scored. `cautious eval` builds it from flags, `cautious run` from its config."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    out: Path
    #: System-message conditions: presets, `@file.txt` or literal text (parsed on validation).
    system: list[Condition] = Field(default_factory=lambda: parse_conditions("empty"))
    split: str = "test"
    seed: int = Field(0, description="example sampling seed (recorded in run.json)")
    batch_size: int = Field(16, ge=1, description="conversations per generation batch")
    max_new_tokens: int | None = Field(None, ge=1, description="override every task's generation limit")
    judge: str | None = Field(None, description="judge model spec for judge-scored tasks")
    judge_n: int = Field(3, ge=1, description="times the judge grades each output; the median counts")
    answer_regex: str | None = Field(None, description="strict extraction by this regex (lm-eval `regex` filter)")
    regex_select: int = Field(0, description="which regex match: 0 = first, -1 = last")
    label: str | None = Field(None, description="name of the run in reports (default: the folder name)")
    cache: Path | None = Field(None, description="request cache (SQLite) for the model's and the judge's replies")

    @field_validator("system", mode="before")
    @classmethod
    def _conditions(cls, value: object) -> object:
        is_specs = isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
        return parse_conditions(value) if is_specs else value  # type: ignore[arg-type]

    @field_validator("answer_regex")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression ({exc})") from None
        return value

    def scoring(self) -> ScoringContext:
        options = {"n": self.judge_n} | ({"cache": self.cache} if self.cache else {})
        return ScoringContext(judge=self.judge, judge_options=options if self.judge else {},
                              answer_regex=self.answer_regex, regex_group_select=self.regex_select)
