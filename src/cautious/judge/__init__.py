"""LLM judges over the chat-model interface: hallucination rate and MT-Bench grading.

    from cautious.judge import JudgeConfig, judge_examples, summarize
    config = JudgeConfig(model="openai:gpt-4o", n=3)            # any load_model spec
    scores = judge_examples(examples, {ex.id: output, ...}, config)
    summarize([s for s in scores if s.task == "qmsum"])         # {"hallucination_rate": ..., "judge_model": ...}

Every score records the judge model, its settings and the prompt version; the median of the
n repeats is the score. `cautious eval` reaches the judges through the `judge` metric
(`cautious.evaluate.judge_metric`).
"""

from cautious.judge.base import (
    Judge,
    JudgeConfig,
    JudgeScore,
    load_judge_model,
    summarize,
)
from cautious.judge.hallucination import (
    HallucinationItem,
    HallucinationJudge,
    parse_verdict,
)
from cautious.judge.mt_bench import (
    MTBenchItem,
    MTBenchJudge,
    answer_turns,
    parse_rating,
)
from cautious.judge.scoring import JUDGES, judge_examples

__all__ = [
    "JUDGES",
    "HallucinationItem",
    "HallucinationJudge",
    "Judge",
    "JudgeConfig",
    "JudgeScore",
    "MTBenchItem",
    "MTBenchJudge",
    "answer_turns",
    "judge_examples",
    "load_judge_model",
    "parse_rating",
    "parse_verdict",
    "summarize",
]
