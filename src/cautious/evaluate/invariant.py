"""The scoring invariant: a gold answer scores correct, a wrong one scores wrong.

A benchmark number is only as good as its checker, and a checker that is wrong on a few
rows is wrong silently: nobody reads 6,511 BBH scores one by one. So every example is put
to synthetic outputs whose verdict is known without a model, scored by the real metric
(`cautious.evaluate.metrics`) under strict and flexible extraction:

- multiple choice: the gold letter, `(X)`, the gold option's text and `(X) text` score
  correct (as `Final answer: ...` strictly and flexibly, and as the bare output flexibly);
  every other option's letter, `(X)` and text score wrong;
- number, yes/no and free text: the gold scores correct; a wrong answer (the gold plus one,
  the other polarity, the gold missing its last character) scores wrong;
- everywhere: the non-answers `The`, `a`, `""` and `none` score wrong.

What cannot be told apart is *ambiguous*, not a violation: two options with the same text
(spacing and a final period aside; case counts, as in MMLU's genotypes `BB BB` and `Bb Bb`)
unless the source marks both right, or an option whose text is another option's letter
(`B` as the text of option A: a letter wins, so that text cannot name option A). Such
examples are counted and their colliding texts are only required not to score correct.
The oracle here is deliberately independent of `cautious.answers`: its notion of "the same
text" (case, spacing and a final period aside) is narrower than any matcher should be.

Examples scored by an LLM judge are counted and not checked (there is no gold to match).
Used by the property test over every loader's fixtures and by `bench/gold_check.py` on the
real release files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from cautious.evaluate.metrics import EvalOutput, ScoringContext, get_metric
from cautious.records import Example

NON_ANSWERS = ("The", "a", "", "none")
_LETTER_TEXT = re.compile(r"^\(?([A-Z])\)?\.?$")
_OPPOSITE = {"yes": "No", "no": "Yes", "true": "False", "false": "True"}


@dataclass
class ExampleCheck:
    """One example's verdicts: `violations` name the output, the variant and what it scored;
    `ambiguous` says why some answer cannot be told apart; `skipped` why nothing was checked."""

    id: str
    task: str
    subset: str | None
    outputs: int = 0
    violations: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    skipped: str | None = None


def same_text(a: str, b: str) -> bool:
    """The oracle's "same text": equal but for case, spacing and a final period."""

    def norm(s: str) -> str:
        return " ".join(s.split()).lower().removesuffix(".").strip()

    return norm(a) == norm(b)


def same_option(a: str, b: str) -> bool:
    """Two options that cannot be told apart: equal but for spacing and a final period. Case
    counts here (an option's case can be its meaning: genotypes, formal logic's `Sc`/`sC`)."""

    def norm(s: str) -> str:
        return " ".join(s.split()).removesuffix(".").strip()

    return norm(a) == norm(b)


def _letter(i: int) -> str:
    return chr(ord("A") + i)


def choice_probes(ex: Example, check: ExampleCheck) -> list[tuple[str, bool | None]]:
    """(answer, expected) for a multiple-choice example; expected None = must not score correct."""
    assert ex.choices is not None and ex.label is not None
    choices = ex.choices
    tied = set(ex.meta.get("correct_choices", []))
    right = {ex.label} | {i for i, c in enumerate(choices) if c in tied}
    repeated: set[int] = set()  # options whose text is another's: it must not score correct
    lettered: set[int] = set()  # options whose text is another's letter: the letter's probe covers it
    for i, a in enumerate(choices):
        for j in range(i + 1, len(choices)):
            if same_option(a, choices[j]) and (i in right) != (j in right):
                repeated |= {i, j}
                check.ambiguous.append(f"options {_letter(i)} and {_letter(j)} read the same: {a.strip()!r}")
        m = _LETTER_TEXT.match(a.strip())
        if m and m.group(1) != _letter(i) and ord(m.group(1)) - ord("A") < len(choices):
            if (i in right) != (ord(m.group(1)) - ord("A") in right):
                lettered.add(i)
                check.ambiguous.append(f"option {_letter(i)}'s text {a.strip()!r} is option {m.group(1)}'s letter")
    probes: list[tuple[str, bool | None]] = []
    for i, text in enumerate(choices):
        ok = i in right
        probes += [(_letter(i), ok), (f"({_letter(i)})", ok)]
        if i not in lettered:
            probes.append((text, None if i in repeated else ok))
        if ok:
            probes.append((f"({_letter(i)}) {text}", True))
    # A non-answer that is the text of a right option is an answer there: "none" can be one,
    # and "a" is AGIEval sat-math row 130's `$a$` (LaTeX math delimiters aside).
    right_texts = [t for i in right for t in (choices[i], choices[i].strip().strip("$"))]
    probes += [(n, False) for n in NON_ANSWERS if not any(same_text(n, t) for t in right_texts)]
    return probes


def other_probes(ex: Example) -> list[tuple[str, bool | None]]:
    """(answer, expected) for number, yes/no and free-text examples."""
    golds = [ex.gold] + [t for t in ex.meta.get("targets", []) if isinstance(t, str)]
    probes: list[tuple[str, bool | None]] = [(g, True) for g in golds if g.strip()]
    gold = ex.gold.strip()
    if ex.answer_type == "number" and re.fullmatch(r"-?\d+", gold):
        probes.append((str(int(gold) + 1), False))
    elif ex.answer_type == "yes_no" and gold.lower() in _OPPOSITE:
        probes.append((_OPPOSITE[gold.lower()], False))
    elif ex.answer_type == "text" and len(gold) > 1 and gold[-1] not in ".!?,;:'\" ":
        cut = gold[:-1].rstrip()
        if not any(same_text(cut, g) for g in golds):
            probes.append((cut, False))
    probes += [(n, False) for n in NON_ANSWERS if not any(same_text(n, g) for g in golds)]
    return probes


def check_example(ex: Example) -> ExampleCheck:
    """Score every probe of one example with its own metric and compare with the expectation."""
    check = ExampleCheck(ex.id, ex.task, ex.meta.get("subset"))
    if ex.metric == "judge":
        check.skipped = "scored by an LLM judge"
        return check
    probes = choice_probes(ex, check) if ex.choices is not None and ex.label is not None else other_probes(ex)
    runs: list[tuple[str, str, bool | None]] = []  # (output, variant, expected)
    for answer, expected in probes:
        runs += [(f"Final answer: {answer}", "strict", expected), (f"Final answer: {answer}", "flexible", expected)]
        if answer:
            runs.append((answer, "flexible", expected))
    outputs = [EvalOutput(text=text) for text, _, _ in runs]
    pairs = get_metric(ex.metric).score([ex] * len(outputs), outputs, ScoringContext())
    for (text, variant, expected), pair in zip(runs, pairs):
        got = bool(getattr(pair, variant).correct)
        if (expected is None and got) or (expected is not None and got != expected):
            want = "wrong (ambiguous)" if expected is None else ("correct" if expected else "wrong")
            check.violations.append(f"{text!r} ({variant}) scored {'correct' if got else 'wrong'}, expected {want}")
    check.outputs = len(runs)
    return check


def check_examples(examples: Iterable[Example]) -> list[ExampleCheck]:
    return [check_example(ex) for ex in examples]


__all__ = ["NON_ANSWERS", "ExampleCheck", "check_example", "check_examples"]
