"""What scoring deals in: a model's output, a scorer's verdict, and the `Metric` base class.

The metrics (`cautious.evaluate.metrics`) and the LLM-judge metric
(`cautious.evaluate.judge_metric`) build on these; the runner passes them between.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cautious.errors import UserError
from cautious.records import Example


@dataclass
class Score:
    """One variant's verdict on one output. `value` is None when it could not be scored at all
    (e.g. every judge reply unparsable); such outputs are left out of the mean and counted."""

    value: float | None
    answer: str | None = None
    parsed: bool = False
    correct: bool | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class ScorePair:
    strict: Score
    flexible: Score


@dataclass
class EvalOutput:
    """What the model wrote for one example: the final turn's text, and every turn's text for
    multi-turn examples (`meta["turns"]`, e.g. MT-Bench)."""

    text: str
    turns: list[str] = field(default_factory=list)
    completion_tokens: int = 0
    finish_reason: str | None = None


@dataclass
class ScoringContext:
    """What scorers may need beyond the outputs. `judge` is a `load_model` spec (None when the
    user gave none); `judge_options` are the judge's settings (e.g. n repeats, temperature);
    `answer_regex` replaces strict extraction (lm-eval `regex` filter semantics)."""

    judge: str | None = None
    judge_options: dict[str, Any] = field(default_factory=dict)
    answer_regex: str | None = None
    regex_group_select: int = 0
    cache: dict[str, Any] = field(default_factory=dict)  # for scorers: e.g. a loaded judge model

    def require_judge(self, what: str) -> str:
        if not self.judge:
            raise UserError(f"{what} is scored by an LLM judge: pass --judge MODEL (e.g. openai:gpt-4o)")
        return self.judge


class Metric:
    """Base for scorers. Subclasses set the class attributes and implement `score`."""

    name: str = ""
    label: str = "accuracy"
    percent: bool = True
    higher_is_better: bool = True

    def score(self, examples: list[Example], outputs: list[EvalOutput], ctx: ScoringContext) -> list[ScorePair]:
        raise NotImplementedError

    def info(self) -> dict[str, Any]:
        return {"metric": self.name, "label": self.label, "percent": self.percent, "higher_is_better": self.higher_is_better}
