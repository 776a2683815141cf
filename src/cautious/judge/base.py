"""LLM judges: a chat model asked to grade an output, n times, with the median kept.

A judge is any `ChatModel` (`openai:gpt-4o` behind any OpenAI-compatible base URL, `hf:...`,
even `lab` for wiring tests), so grading needs no client of its own. Every `JudgeScore` says
which judge model graded it and with what settings (temperature, max tokens, repeats, seed,
prompt version): a score without its judge is not comparable to anything.

Why n repeats and the median: judges are noisy even at temperature 0 (hosted models are not
bit-deterministic), and a single parse failure should not decide a sample. Repeat `i` is sent
with seed `seed + i`, so servers that honour seeds give reproducible repeats. Use an odd n for
yes/no verdicts so the median is a majority vote.
"""

from __future__ import annotations

import statistics
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cautious.errors import UserError
from cautious.models.base import ChatModel, SamplingParams, load_model
from cautious.records import Message, Record
from cautious.request_cache import CachingModel


class JudgeConfig(BaseModel):
    """Which model judges and how; recorded with every score."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    model: str = Field(description="a load_model spec, e.g. openai:gpt-4o")
    base_url: str | None = None
    temperature: float = 0.0
    max_tokens: int = 2048
    n: int = 1
    seed: int | None = 0
    #: A request cache (SQLite) for the judge's replies: a rerun grades only what is new.
    cache: Path | None = None

    @field_validator("n")
    @classmethod
    def _n_positive(cls, n: int) -> int:
        if n < 1:
            raise ValueError("the judge must be asked at least once (n >= 1)")
        return n

    def settings(self) -> dict[str, Any]:
        return {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "n": self.n,
            "seed": self.seed,
            "base_url": self.base_url,
        }


def load_judge_model(config: JudgeConfig) -> ChatModel:
    """The judge's chat model; `base_url` is handed to backends that take one (openai)."""
    options = {"base_url": config.base_url} if config.base_url else {}
    model = load_model(config.model, **options)
    return CachingModel(model, config.cache) if config.cache is not None else model


class JudgeScore(Record):
    """One sample's grade: the median of n judge verdicts, with everything needed to audit it."""

    example_id: str
    task: str
    judge: str  # "hallucination" | "mt_bench"
    prompt_version: str
    judge_model: str
    settings: dict[str, Any]
    turn: int | None = None
    score: float | None  # median of the parsed values; None when no reply parsed
    values: list[float | None]
    replies: list[str]
    errors: list[str] = Field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    meta: dict[str, Any] = Field(default_factory=dict)


class Judge(ABC):
    """Builds the judge's messages for an item and parses a number out of its reply."""

    kind: str = ""
    prompt_version: str = ""

    def __init__(self, model: ChatModel, config: JudgeConfig) -> None:
        self.model = model
        self.config = config

    @abstractmethod
    def messages(self, item: Any) -> list[Message]:
        """The conversation that asks the judge about one item."""

    @abstractmethod
    def parse(self, reply: str) -> float | None:
        """The grade in a judge reply, or None when the reply does not follow the format."""

    def version(self, item: Any) -> str:
        return self.prompt_version

    def score(self, items: list[Any]) -> list[JudgeScore]:
        """Grade every item n times (one batched call per repeat); the median is the score."""
        if not items:
            return []
        batch = [self.messages(item) for item in items]
        values: list[list[float | None]] = [[] for _ in items]
        replies: list[list[str]] = [[] for _ in items]
        errors: list[list[str]] = [[] for _ in items]
        tokens = [[0, 0] for _ in items]
        for i in range(self.config.n):
            seed = None if self.config.seed is None else self.config.seed + i
            params = SamplingParams(temperature=self.config.temperature, max_tokens=self.config.max_tokens, seed=seed)
            for k, completion in enumerate(self._chat(batch, params)):
                replies[k].append(completion.text)
                tokens[k][0] += completion.prompt_tokens
                tokens[k][1] += completion.completion_tokens
                if completion.finish_reason == "error":
                    values[k].append(None)
                    errors[k].append(f"repeat {i}: the judge request failed")
                    continue
                value = self.parse(completion.text)
                values[k].append(value)
                if value is None:
                    errors[k].append(f"repeat {i}: no verdict in the expected format")
        out = []
        for k, item in enumerate(items):
            parsed = [v for v in values[k] if v is not None]
            out.append(
                JudgeScore(
                    example_id=item.example_id,
                    task=item.task,
                    judge=self.kind,
                    prompt_version=self.version(item),
                    judge_model=self.model.name,
                    settings={"model": self.config.model, **self.config.settings()},
                    turn=getattr(item, "turn", None),
                    score=statistics.median(parsed) if parsed else None,
                    values=values[k],
                    replies=replies[k],
                    errors=errors[k],
                    prompt_tokens=tokens[k][0],
                    completion_tokens=tokens[k][1],
                    meta=getattr(item, "meta", {}) or {},
                )
            )
        return out

    def _chat(self, batch: list[list[Message]], params: SamplingParams):
        try:
            completions = self.model.chat(batch, params)
        except UserError as exc:  # unreachable server, rejected key, unknown model: one clear line
            raise UserError(f"LLM judge {self.model.name}: {str(exc).replace('the teacher', 'the judge')}") from None
        except OSError as exc:
            raise UserError(f"LLM judge {self.model.name} is unreachable ({type(exc).__name__}: {exc})") from None
        if len(completions) != len(batch):
            raise RuntimeError(f"judge {self.model.name} returned {len(completions)} replies for {len(batch)} requests")
        return completions


def summarize(scores: list[JudgeScore]) -> dict[str, Any]:
    """Task-level numbers from per-sample judge scores, with the judge that produced them.

    hallucination: `hallucination_rate` (share of graded outputs judged to contain unsupported
    claims). mt_bench: `mt_bench_score` (mean 1-10 rating) and the mean per turn and category.
    `graded` / `ungraded` count samples with and without a parsable verdict.
    """
    if not scores:
        return {}
    graded = [s for s in scores if s.score is not None]
    first = scores[0]
    out: dict[str, Any] = {
        "judge": first.judge,
        "judge_model": first.judge_model,
        "settings": first.settings,
        "prompt_versions": sorted({s.prompt_version for s in scores}),
        "graded": len(graded),
        "ungraded": len(scores) - len(graded),
    }
    mean = statistics.fmean([s.score for s in graded]) if graded else None  # type: ignore[misc]
    if first.judge == "hallucination":
        out["hallucination_rate"] = mean
    else:
        out["mt_bench_score"] = mean
        for key, label in (("turn", "by_turn"), ("category", "by_category")):
            groups: dict[str, list[float]] = {}
            for s in graded:
                group = s.turn if key == "turn" else s.meta.get("category")
                groups.setdefault(str(group), []).append(s.score)  # type: ignore[arg-type]
            out[label] = {g: statistics.fmean(v) for g, v in sorted(groups.items())}
    return out
