"""Response shapes: the sections an answer is made of, the line labels that mark them, and the
names of the strategies that ask for them.

A strategy (`cautious.strategies`) lists its shape as sections in order; its instruction asks
the teacher for the labels below; the lab teacher writes them (`cautious.lab.render`); the
evaluator tells strategies apart by them (`cautious.evaluate.detect`); and every shape ends
with the `Final answer:` line that answers are read from (`cautious.answers`). They are
defined here once so that none of those can drift from the others.
"""

from __future__ import annotations

import re

#: The label of the line every shape ends with; the line reads `Final answer: <answer>`.
FINAL_ANSWER = "Final answer"
FINAL_ANSWER_PREFIX = f"{FINAL_ANSWER}:"

STEP = "Step"  # numbered: `Step 1: ...`
EXPLANATION = "Explanation"
RECALL = "Recall"
REASONING = "Reasoning"
EXTRACT = "Extract"
GUESS = "Guess"
CHECK = "Check"  # follows each guess, ending `Correct.` or `Wrong.`

#: Each section's line labels (a line reads `LABEL: ...`), in the order the catalog's
#: error messages list them; `answer` ends every shape.
LABELS: dict[str, tuple[str, ...]] = {
    "explanation": (EXPLANATION,),
    "recall": (RECALL,),
    "extract": (EXTRACT,),
    "reasoning": (REASONING,),
    "steps": (STEP,),
    "guesses": (GUESS, CHECK),
    "answer": (FINAL_ANSWER,),
}
SECTIONS = tuple(LABELS)
NUMBERED = frozenset({"steps"})


def header_pattern(section: str) -> re.Pattern[str]:
    """A line that opens `section`: one of its labels (numbered for steps) and a colon, after
    any indentation. The final-answer label matches in any case (`FINAL ANSWER:`)."""
    labels = "|".join(re.escape(label) for label in LABELS[section])
    number = r" \d+" if section in NUMBERED else ""
    return re.compile(rf"^\s*(?:{labels}){number}\s*:", re.IGNORECASE if section == "answer" else 0)


# The built-in single-call strategies, in the order the catalog (`cautious/strategies/builtin.yaml`)
# lists them: the kinds of strategy the Orca 2 paper (Mitra et al. 2023, arXiv:2311.11045)
# teaches (direct answer, step-by-step, recall-then-generate, recall-reason-generate,
# extract-generate, ...). The catalog defines them; the rest of cautious names them from here.
DIRECT_ANSWER = "direct-answer"
STEP_BY_STEP = "step-by-step"
EXPLAIN_THEN_ANSWER = "explain-then-answer"
RECALL_THEN_GENERATE = "recall-then-generate"
RECALL_REASON_GENERATE = "recall-reason-generate"
EXTRACT_GENERATE = "extract-generate"
GUESS_AND_CHECK = "guess-and-check"
PAPER_STRATEGIES = (
    DIRECT_ANSWER,
    STEP_BY_STEP,
    EXPLAIN_THEN_ANSWER,
    RECALL_THEN_GENERATE,
    RECALL_REASON_GENERATE,
    EXTRACT_GENERATE,
    GUESS_AND_CHECK,
)
#: What the strategy detector labels an output that shows no strategy's shape, and an empty one.
OTHER = "other"
UNKNOWN = "unknown"
