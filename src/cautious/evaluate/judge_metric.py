"""The `judge` metric: how `cautious eval` scores examples whose `metric` is "judge".

`cautious.evaluate.metrics` registers it under the name "judge". The judge comes from the
scoring context: `ctx.judge` is the `load_model` spec (`--judge openai:gpt-4o`),
`ctx.judge_options` the `JudgeConfig` settings (`base_url`, `n`, `temperature`, `max_tokens`,
`seed`); the loaded judge model is kept in `ctx.cache` so a run loads it once.

Per output, both variants (strict and flexible) get the same score, since a judge reads the
whole output rather than an extracted answer (the details live with the strict one):

- hallucination: value 1.0 when the judge found unsupported claims, 0.0 when faithful, so a
  task's mean is its hallucination rate (lower is better; the tasks say so via `metric_info`);
- mt_bench: the mean of the turns' 1-10 ratings (FastChat's MT-Bench score averages over
  every turn judgment, and every question has two turns).

`details` carries the judge model, settings, prompt version(s), each repeat's value and reply,
and errors, so every score in an EvalRecord can be audited.
"""

from __future__ import annotations

import statistics
from typing import Any

from pydantic import ValidationError

from cautious.errors import UserError
from cautious.evaluate.score import EvalOutput, Metric, Score, ScorePair, ScoringContext
from cautious.jsonl import describe_validation_error
from cautious.judge.base import JudgeConfig, JudgeScore, load_judge_model
from cautious.judge.scoring import judge_examples
from cautious.records import Example


def judge_config(ctx: ScoringContext, what: str) -> JudgeConfig:
    spec = ctx.require_judge(what)
    try:
        return JudgeConfig(model=spec, **ctx.judge_options)
    except ValidationError as exc:
        raise UserError(f"judge settings: {describe_validation_error(exc)}") from None


class JudgeMetric(Metric):
    label = "judge score"
    percent = False

    def score(self, examples: list[Example], outputs: list[EvalOutput], ctx: ScoringContext) -> list[ScorePair]:
        if not examples:
            return []
        config = judge_config(ctx, f"task {examples[0].task!r}")
        key = ("judge_model", config.model, config.base_url)
        if key not in ctx.cache:
            ctx.cache[key] = load_judge_model(config)
        answers = {ex.id: (list(out.turns) if out.turns else out.text) for ex, out in zip(examples, outputs)}
        by_example: dict[str, list[JudgeScore]] = {}
        for s in judge_examples(examples, answers, config, model=ctx.cache[key]):
            by_example.setdefault(s.example_id, []).append(s)
        pairs = []
        for ex in examples:
            score = to_score(ex, by_example.get(ex.id, []))
            # The judge read the whole output: the flexible variant is the same score (its details
            # point at the strict ones rather than repeat every judge reply in the record).
            same = Score(score.value, score.answer, score.parsed, score.correct, {"same_as": "strict"})
            pairs.append(ScorePair(strict=score, flexible=same))
        return pairs


def to_score(example: Example, scores: list[JudgeScore]) -> Score:
    """One output's Score from its judge scores (one, or one per MT-Bench turn)."""
    if not scores:
        return Score(None, details={"error": "nothing to judge (no output)"})
    first = scores[0]
    details: dict[str, Any] = {
        "judge": first.judge,
        "judge_model": first.judge_model,
        "judge_settings": first.settings,
        "judgments": [
            s.model_dump(include={"turn", "prompt_version", "score", "values", "replies", "errors"}) for s in scores
        ],
    }
    graded = [s.score for s in scores if s.score is not None]
    if first.judge == "hallucination":
        value = graded[0] if graded else None
        answer = None if value is None else ("hallucinated" if value >= 0.5 else "faithful")
        return Score(value, answer, value is not None, None if value is None else value < 0.5, details)
    # MT-Bench: the mean over the graded turns; like FastChat, a judgment without a rating is
    # dropped rather than counted as a score (it is kept in details and counted as unparsed).
    value = statistics.fmean(graded) if graded else None
    details["ratings"] = {str(s.turn): s.score for s in scores}
    return Score(value, None if value is None else f"{value:g}", value is not None, None, details)
