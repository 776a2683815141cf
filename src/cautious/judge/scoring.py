"""Judge-scored examples: the seam between `cautious eval` and the judges.

Examples whose metric is "judge" name their judge in meta["judge"]: "hallucination" (the
grounded summarisation sets; the source is meta["source_text"]) or "mt_bench" (two-turn
questions in meta["turns"]). `judge_examples` grades model outputs for any mix of them and
returns one `JudgeScore` per output (per turn for MT-Bench); `summarize` turns a task's scores
into its headline number (hallucination rate, MT-Bench score) with the judge recorded.
"""

from __future__ import annotations

from cautious.errors import UserError
from cautious.judge.base import Judge, JudgeConfig, JudgeScore, load_judge_model
from cautious.judge.hallucination import HallucinationItem, HallucinationJudge
from cautious.judge.mt_bench import MTBenchJudge, items_for
from cautious.models.base import ChatModel
from cautious.records import Example
from cautious.registry import Registry

#: The judges by the name examples give in meta["judge"]; a user adds one with `JUDGES.register`.
JUDGES: Registry[type[Judge]] = Registry("judge")
JUDGES.register("hallucination", HallucinationJudge)
JUDGES.register("mt_bench", MTBenchJudge)


def judge_examples(
    examples: list[Example],
    outputs: dict[str, str | list[str]],
    config: JudgeConfig,
    model: ChatModel | None = None,
) -> list[JudgeScore]:
    """Grade `outputs` (example id -> the model's output; a list of turn answers for
    MT-Bench) with the judge `config` names (or the already loaded `model`)."""
    items: dict[str, list] = {kind: [] for kind in JUDGES}
    for ex in examples:
        if ex.id not in outputs:
            continue
        kind = ex.meta.get("judge")
        if kind not in JUDGES:
            raise UserError(
                f"example {ex.id}: metric 'judge' needs meta.judge to be one of {', '.join(JUDGES)}, got {kind!r}"
            )
        output = outputs[ex.id]
        if kind == "mt_bench":
            items[kind].extend(items_for(ex, [output] if isinstance(output, str) else list(output)))
        else:
            text = output if isinstance(output, str) else "\n\n".join(output)
            items[kind].append(
                HallucinationItem(
                    example_id=ex.id,
                    task=ex.task,
                    source=str(ex.meta.get("source_text", "")),
                    output=text,
                    instruction=str(ex.meta.get("task_instruction", "")),
                    meta={"subset": ex.meta.get("subset")},
                )
            )
    if not any(items.values()):
        return []
    judge_model = model if model is not None else load_judge_model(config)
    scores: list[JudgeScore] = []
    for kind, batch in items.items():
        if batch:
            scores.extend(JUDGES.get(kind)(judge_model, config).score(batch))
    return scores
