"""Zero-shot evaluation: runner, answer extraction, strategy detection, system conditions.

    from cautious.evaluate import run_eval, parse_conditions
    result = run_eval(load_model("hf:./ckpt"), resolve_tasks("lab"), parse_conditions("empty,cautious"), "runs/eval")

Submodules: `runner` (run folders, resume, scores), `extract` (strict/flexible answers),
`metrics` (the scoring seam, keyed by `Example.metric`), `detect` (which strategy an output
used), `conditions` (system-message conditions).
"""

from cautious.evaluate.conditions import Condition, parse_conditions
from cautious.evaluate.metrics import EvalOutput, Metric, Score, ScorePair, ScoringContext, register_metric
from cautious.evaluate.config import EvalConfig
from cautious.evaluate.runner import EvalResult, TaskScore, aggregate, evaluate, load_records, run_eval

__all__ = [
    "Condition", "EvalConfig", "EvalOutput", "EvalResult", "Metric", "Score", "ScorePair", "ScoringContext", "TaskScore",
    "aggregate", "evaluate", "load_records", "parse_conditions", "register_metric", "run_eval",
]
