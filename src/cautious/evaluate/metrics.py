"""Scoring: the seam between model outputs and numbers, keyed by `Example.metric`.

A metric scores a *batch* of outputs (so an LLM judge can batch its calls) and returns, per
output, a strict and a flexible `Score`. The runner picks the scorer for each example by:

1. the task's own hook, if it defines one — `task.score(examples, outputs, ctx) ->
   list[ScorePair]` (duck-typed; tasks need not subclass anything new);
2. else the metric registered under `example.metric` (`register_metric`).

Built in (`METRICS`, listed at the end of this module): `exact_match` (by answer type, see
`cautious.evaluate.extract`), `f1` (DROP-style bag-of-tokens F1, max over gold answers) and
`judge` (an LLM judge, `cautious.evaluate.judge_metric`). A user adds one with
`@register_metric("name")` on a `Metric` subclass.

How a score aggregates: the mean of `value` over a task's examples, shown as a percentage when
`percent` (accuracies, rates) and as is otherwise (an MT-Bench 1-10 rating); `higher_is_better`
tells readers (and the report's plots) which way is good — a hallucination rate is not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from cautious.answers import is_correct, normalize_text
from cautious.errors import UserError
from cautious.evaluate.extract import Extraction, extract, extract_regex
from cautious.evaluate.judge_metric import JudgeMetric
from cautious.evaluate.score import EvalOutput, Metric, Score, ScorePair, ScoringContext
from cautious.records import Example
from cautious.registry import Registry

__all__ = [
    "METRICS", "EvalOutput", "Metric", "Score", "ScorePair", "ScoringContext", "get_metric", "metric_info",
    "register_metric", "score_outputs", "token_f1",
]


def _strict(text: str, example: Example, ctx: ScoringContext) -> Extraction:
    if ctx.answer_regex:
        return extract_regex(text, ctx.answer_regex, ctx.regex_group_select)
    return extract(text, example, "strict")


class ExactMatch(Metric):
    """Correct when the extracted answer matches gold by the example's answer type
    (`cautious.answers.is_correct`: numbers as numbers, options by letter or meaning-keeping
    text, yes/no by polarity, text after SQuAD normalisation) — the rule generate verifies
    teachers with. An answer that reads as several options (a repeated option's text) scores
    wrong unless all are right, and says so in `details["ambiguous"]` (their letters)."""

    def score(self, examples: list[Example], outputs: list[EvalOutput], ctx: ScoringContext) -> list[ScorePair]:
        pairs = []
        for ex, out in zip(examples, outputs):
            pair = []
            for got in (_strict(out.text, ex, ctx), extract(out.text, ex, "flexible")):
                ok = is_correct(ex, got.answer)
                details: dict[str, Any] = {"how": got.how} if got.how else {}
                if got.ambiguous:
                    details["ambiguous"] = [chr(ord("A") + i) for i in got.options]
                pair.append(Score(float(ok), got.answer, got.parsed, ok, details))
            pairs.append(ScorePair(*pair))
        return pairs


def token_f1(prediction: str, gold: str) -> float:
    """Bag-of-tokens F1 after SQuAD normalisation (DROP's and SQuAD's answer F1)."""
    pred, ref = normalize_text(prediction).split(), normalize_text(gold).split()
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


class TokenF1(Metric):
    """DROP-style: the best token F1 against any gold answer (`target` and `meta["targets"]`)."""

    label = "F1"

    def score(self, examples: list[Example], outputs: list[EvalOutput], ctx: ScoringContext) -> list[ScorePair]:
        pairs = []
        for ex, out in zip(examples, outputs):
            golds = [ex.gold] + [t for t in ex.meta.get("targets", []) if isinstance(t, str)]
            pair = []
            for got in (_strict(out.text, ex, ctx), extract(out.text, ex, "flexible")):
                value = max(token_f1(got.answer, g) for g in golds) if got.answer is not None else 0.0
                pair.append(Score(value, got.answer, got.parsed, value == 1.0))
            pairs.append(ScorePair(*pair))
        return pairs


def score_outputs(task: Any, examples: list[Example], outputs: list[EvalOutput], ctx: ScoringContext) -> list[ScorePair]:
    """Scores for one batch of a task: the task's own `score` hook, else per-metric scorers."""
    hook = getattr(task, "score", None)
    if callable(hook):
        pairs = hook(examples, outputs, ctx)
        if len(pairs) != len(examples):
            raise RuntimeError(f"task {task.name!r}: score() returned {len(pairs)} results for {len(examples)} outputs")
        return pairs
    result: list[ScorePair | None] = [None] * len(examples)
    by_metric: dict[str, list[int]] = {}
    for i, ex in enumerate(examples):
        by_metric.setdefault(ex.metric, []).append(i)
    for name, idx in by_metric.items():
        metric = get_metric(name)
        pairs = metric.score([examples[i] for i in idx], [outputs[i] for i in idx], ctx)
        if len(pairs) != len(idx):
            raise RuntimeError(f"metric {name!r} returned {len(pairs)} results for {len(idx)} outputs")
        for i, pair in zip(idx, pairs):
            result[i] = pair
    return result  # type: ignore[return-value]


def metric_info(task: Any, metric_name: str) -> dict[str, Any]:
    """How a task's numbers read: the task may say (`task.metric_info()`), else its metric does."""
    hook = getattr(task, "metric_info", None)
    if callable(hook):
        return {"metric": metric_name, "label": "score", "percent": True, "higher_is_better": True, **hook()}
    try:
        return get_metric(metric_name).info()
    except UserError:
        return {"metric": metric_name, "label": metric_name, "percent": True, "higher_is_better": True}



METRICS: Registry[Metric] = Registry("metric")


def register_metric(name: str) -> Callable[[type[Metric]], type[Metric]]:
    """Class decorator: register a `Metric` subclass under `name` (an `Example.metric` value)."""

    def deco(cls: type[Metric]) -> type[Metric]:
        inst = cls()
        inst.name = name
        METRICS.register(name, inst)
        return cls

    return deco


# The built-in metrics.
for _name, _metric in (("exact_match", ExactMatch), ("f1", TokenF1), ("judge", JudgeMetric)):
    register_metric(_name)(_metric)


def get_metric(name: str) -> Metric:
    return METRICS.get(name)
