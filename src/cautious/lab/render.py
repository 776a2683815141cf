"""Turn a `Solution` into response text in a strategy's shape.

The section headers are the response shapes that the strategy instructions ask a real
teacher for (`cautious.shapes`), so lab answers and LLM answers look alike and the
evaluator can tell strategies apart by shape. Every response ends with the same parseable
line, `Final answer: <answer>`.
"""

from __future__ import annotations

from cautious.lab.base import Solution
from cautious.shapes import CHECK, EXPLANATION, EXTRACT, FINAL_ANSWER_PREFIX, GUESS, REASONING, RECALL, SECTIONS, STEP


def render_section(section: str, sol: Solution) -> str:
    if section == "steps":
        return "\n".join(f"{STEP} {i}: {line}" for i, line in enumerate(sol.steps, start=1))
    if section == "explanation":
        return f"{EXPLANATION}: {sol.explanation}"
    if section == "recall":
        return "\n".join(f"{RECALL}: {fact}" for fact in sol.recall)
    if section == "reasoning":
        return "\n".join(f"{REASONING}: {line}" for line in sol.reasoning)
    if section == "extract":
        return "\n".join(f"{EXTRACT}: {span}" for span in sol.extract)
    if section == "guesses":
        return "\n".join(f"{GUESS}: {g.value}\n{CHECK}: {g.check} {'Correct.' if g.ok else 'Wrong.'}" for g in sol.guesses)
    if section == "answer":
        return f"{FINAL_ANSWER_PREFIX} {sol.answer}"
    raise ValueError(f"unknown response section {section!r}; known: {', '.join(SECTIONS)}")


def render_response(sections: list[str], sol: Solution) -> str:
    """The response text for the given sections, in the order given."""
    return "\n".join(render_section(s, sol) for s in sections)
