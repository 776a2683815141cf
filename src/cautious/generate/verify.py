"""Verification of teacher answers: gold check, refusal and length filters, acceptance stats.

The paper keeps every teacher answer; we check each against gold so wrong ones can be
dropped before training (an improvement over the paper). "Correct" must mean
the same here as at evaluation time, so the answer is read with the evaluator's strict
extractor (`cautious.evaluate.extract.extract_strict`) and compared with
`cautious.answers.is_correct`, exactly as `cautious eval` scores strict accuracy.

A rejected answer is still written (nothing silently disappears): its `status` is
`filtered` or `truncated` and its `reason` says why, and `cautious erase` drops it like a
failed request. Only `request_failed` means "try again on the next run".
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from cautious.answers import is_correct
from cautious.evaluate.extract import extract_strict
from cautious.records import AnswerStatus, Example, error_text

# Phrases that open or carry a refusal rather than an attempt. Deliberately conservative:
# a wrongly kept refusal is also caught by the gold check; a wrongly dropped answer is lost.
REFUSAL_PATTERNS = [
    r"\bI(?:'m| am) sorry,? but I (?:can(?:no|')t|am unable|won't)\b",
    r"\bI (?:cannot|can't|can not|won't|am unable to|am not able to) (?:help|assist|answer|provide|comply|do that)\b",
    r"\bAs an AI(?: language model)?,? I (?:cannot|can't|don't|do not|am unable)\b",
    r"\bI must (?:decline|refuse)\b",
    r"^\s*(?:Sorry|I apologi[sz]e)[,.!]",
]
_REFUSAL = re.compile("|".join(f"(?:{p})" for p in REFUSAL_PATTERNS), re.IGNORECASE | re.MULTILINE)


def extract(text: str, example: Example | None = None) -> str | None:
    """Strict extraction: the `Final answer:` phrase, read for the example's answer type."""
    return extract_strict(text, example).answer


def is_refusal(text: str) -> bool:
    return bool(_REFUSAL.search(text))


@dataclass(frozen=True)
class Filters:
    """Acceptance rules beyond the gold check. Tokens are the teacher's completion tokens."""

    refusals: bool = True
    min_tokens: int = 0
    max_tokens: int | None = None


@dataclass
class Verdict:
    extracted: str | None
    correct: bool
    status: AnswerStatus = "ok"  # ok = accepted (if correct); else rejected, `reason` says why
    reason: str | None = None

    @property
    def accepted(self) -> bool:
        return self.correct and self.status == "ok"


def verify(example: Example, response: str, completion_tokens: int, finish_reason: str | None, filters: Filters) -> Verdict:
    """Extract, check against gold, then apply the truncation, refusal and length filters."""
    extracted = extract(response, example)
    correct = is_correct(example, extracted)
    if finish_reason == "length":
        return Verdict(extracted, correct, "truncated", "finish_reason=length")
    if finish_reason == "content_filter":
        return Verdict(extracted, correct, "filtered", "content filter")
    if filters.refusals and is_refusal(response):
        return Verdict(extracted, correct, "filtered", "refusal")
    if completion_tokens < filters.min_tokens:
        return Verdict(extracted, correct, "filtered", f"too short ({completion_tokens} < {filters.min_tokens} tokens)")
    if filters.max_tokens is not None and completion_tokens > filters.max_tokens:
        return Verdict(extracted, correct, "filtered", f"too long ({completion_tokens} > {filters.max_tokens} tokens)")
    return Verdict(extracted, correct)


def failure_reason(reason: str) -> str:
    """The kind of a request failure, for counting: `HTTP 500`, `malformed reply`, `timeout`...

    `reason` is `STEP: DETAIL`, DETAIL as the teacher backend words it."""
    detail = reason.split(": ", 1)[-1]
    status = re.match(r"HTTP \d+", detail)
    if status:
        return status.group(0)
    return re.split(r" \(|: ", detail, maxsplit=1)[0].strip() or "unknown"


@dataclass
class TaskSummary:
    """Per (task, strategy) acceptance statistics of one output file."""

    task: str
    strategy: str
    n: int = 0
    correct: int = 0
    accepted: int = 0
    errors: int = 0
    completion_tokens: int = 0
    prompt_tokens: int = 0
    cost_usd: float = 0.0
    samples: int = 0
    reasons: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)  # request failures by `failure_reason`
    first_failure: str | None = None  # the first one's whole text (the server's own words)

    def add(self, ans) -> None:
        self.n += 1
        self.correct += ans.correct
        self.accepted += ans.correct and ans.status == "ok"
        self.errors += ans.status != "ok"
        self.completion_tokens += ans.completion_tokens
        self.prompt_tokens += ans.prompt_tokens
        self.cost_usd += ans.cost_usd or 0.0
        self.samples += int(ans.meta.get("samples", 1))
        if ans.status == "request_failed":
            self.reasons["request failed"] += 1
            self.failures[failure_reason(ans.reason or "")] += 1
            self.first_failure = self.first_failure or ans.reason
        elif ans.status != "ok":  # counted by the error line without its numbers: `filtered: too long`
            self.reasons[(error_text(ans.status, ans.reason) or "").split(" (")[0]] += 1
        elif not ans.correct:
            self.reasons["no final answer" if ans.extracted is None else "wrong answer"] += 1

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0

    @property
    def acceptance(self) -> float:
        return self.accepted / self.n if self.n else 0.0

    @property
    def mean_tokens(self) -> float:
        return self.completion_tokens / self.n if self.n else 0.0

    def as_dict(self) -> dict:
        return {
            "task": self.task,
            "strategy": self.strategy,
            "n": self.n,
            "correct": self.correct,
            "accepted": self.accepted,
            "acceptance": round(self.acceptance, 4),
            "errors": self.errors,
            "rejected": dict(self.reasons),
            "failures": dict(self.failures),
            "first_failure": self.first_failure,
            "mean_completion_tokens": round(self.mean_tokens, 2),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": round(self.cost_usd, 6),
            "samples_drawn": self.samples,
        }


def summarize(answers) -> list[TaskSummary]:
    out: dict[tuple[str, str], TaskSummary] = {}
    for ans in answers:
        out.setdefault((ans.task, ans.strategy), TaskSummary(ans.task, ans.strategy)).add(ans)
    return list(out.values())
