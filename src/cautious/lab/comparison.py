"""Which of two numbers is larger.

The control family: the answer is a copy of one of two numbers shown in the input, and the
decision rests on one digit pair (the first from the left where they differ), so a tiny
student may do as well with the short direct answer as with the digit-by-digit procedure.
Shared prefixes (knob `equal_prefix`) keep it from being decidable by the first digit alone.

Knob `max_tail` caps how many digits follow the first difference in the questions drawn with a
shared prefix (all of them at `equal_prefix: 1.0`; 0: the two numbers differ only in their last
digit). With a short tail the direct answer is a copy of the shared prefix and one decision,
while the left-to-right procedure writes one line per shared digit first (docs/lab.md,
choices 22 and 25). Knob `digits_max` draws each question's length between `digits` and it, so
the position of a digit no longer says which digit of the number it is (choice 24). Both
default to null, which draws exactly what the family drew before they existed.

Knob `answer: position` asks "the first or the second" instead of the number itself, so the
answer is the decision alone, without a copy of the number. That is the form in which the
direct answer's advantage is structural: the one-look decision compares every digit pair at
once (each digit of the second number sits a fixed distance after the same digit of the
first, which relative position encodings see directly), while the step-by-step walk writes one
line per shared digit, each reading the i-th digit of both numbers at an offset that changes
with i and with the length of the trace so far; the longer the shared prefix, the more reads
can slip (docs/lab.md, choice 12).
"""

from __future__ import annotations

import random
import re
from typing import Any

from cautious.errors import UserError
from cautious.lab.base import Guess, LabFamily, Problem, Solution

_QUESTION = re.compile(r"^Which number is larger(, the first or the second)?: ([1-9]\d*) or ([1-9]\d*)\?$")
ANSWER_FORMS = ("number", "position")
POSITIONS = ["first", "second"]


def _first_difference(a: str, b: str) -> int:
    """Index of the first differing digit of two distinct equal-length numerals."""
    return next(i for i, (x, y) in enumerate(zip(a, b)) if x != y)


def _ordinal(n: int) -> str:
    if n % 100 in (11, 12, 13):
        return f"{n}th"
    return f"{n}{({1: 'st', 2: 'nd', 3: 'rd'}).get(n % 10, 'th')}"


class Comparison(LabFamily):
    name = "comparison"
    description = "Pick the larger of two numbers with the same number of digits, often sharing a prefix."
    answer_type = "choice"
    knobs = {"digits": 5, "equal_prefix": 0.7, "answer": "number", "max_tail": None, "digits_max": None}
    expected_strategy = "direct-answer"

    def corpus(self, **knobs: Any) -> list[str]:
        """How any two digits compare, as the steps write it (`7>3`, `3<7`, `5=5`)."""
        return [f"{x}{'>' if x > y else '<' if x < y else '='}{y}" for x in range(10) for y in range(10)]

    def sample(self, rng: random.Random, digits: int, equal_prefix: float, answer: str = "number",
               max_tail: int | None = None, digits_max: int | None = None) -> Problem:
        if answer not in ANSWER_FORMS:
            raise UserError(f"comparison: knob 'answer' must be one of {', '.join(ANSWER_FORMS)}, got {answer!r}")
        if isinstance(digits, bool) or not isinstance(digits, int):
            raise UserError(f"comparison: knob 'digits' must be a whole number, got {digits!r}")
        if max_tail is not None and (isinstance(max_tail, bool) or not isinstance(max_tail, int) or max_tail < 0):
            raise UserError(f"comparison: knob 'max_tail' must be a whole number >= 0 or null, got {max_tail!r}")
        if digits_max is not None:
            if isinstance(digits_max, bool) or not isinstance(digits_max, int) or digits_max < digits:
                raise UserError(f"comparison: knob 'digits_max' must be a whole number >= digits ({digits}) or null, got {digits_max!r}")
            # Both numbers of a question have the same length, drawn per question; without the
            # knob no draw is made, so every existing seed's numbers stay what they were.
            digits = rng.randint(digits, digits_max)
        problem = self._numbers(rng, digits, equal_prefix, max_tail)
        return problem if answer == "number" else {**problem, "answer": "position"}

    def _numbers(self, rng: random.Random, digits: int, equal_prefix: float, max_tail: int | None = None) -> Problem:
        if digits < 1:
            raise UserError(f"comparison: knob 'digits' must be at least 1, got {digits}")
        if not 0.0 <= equal_prefix <= 1.0:
            raise UserError(f"comparison: knob 'equal_prefix' must be a probability, got {equal_prefix}")
        if digits >= 2 and rng.random() < equal_prefix:
            # Agree on the first `shared` digits, differ at the next one, then anything (at most
            # `max_tail` digits of it). Without the cap the draw is the one it always was.
            low = 1 if max_tail is None else max(1, digits - 1 - max_tail)
            shared = rng.randint(low, digits - 1)
            prefix = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(shared - 1))
            x, y = rng.sample("0123456789", 2)
            tails = ["".join(str(rng.randint(0, 9)) for _ in range(digits - shared - 1)) for _ in range(2)]
            return {"a": prefix + x + tails[0], "b": prefix + y + tails[1]}
        lo, hi = 10 ** (digits - 1), 10**digits - 1
        a = b = rng.randint(lo, hi)
        while b == a:
            b = rng.randint(lo, hi)
        return {"a": str(a), "b": str(b)}

    def render(self, p: Problem) -> str:
        ask = ", the first or the second" if p.get("answer") == "position" else ""
        return f"Which number is larger{ask}: {p['a']} or {p['b']}?"

    def parse(self, text: str) -> Problem | None:
        m = _QUESTION.match(text.strip())
        if not m or m.group(2) == m.group(3):
            return None
        return {"a": m.group(2), "b": m.group(3), **({"answer": "position"} if m.group(1) else {})}

    def choices(self, p: Problem) -> list[str]:
        return list(POSITIONS) if p.get("answer") == "position" else [p["a"], p["b"]]

    def solve(self, p: Problem) -> Solution:
        a, b = p["a"], p["b"]
        big, small = (a, b) if int(a) > int(b) else (b, a)
        rule = "With the same number of digits, the first differing digit from the left decides: the larger digit wins."
        if len(a) != len(b):
            # Not sampled, but parse accepts it, so answer it rather than refuse.
            size = f"{big} has {len(big)} digits and {small} has {len(small)}"
            steps = [f"{len(a)} digits vs {len(b)} digits"]
            reasoning = [f"{size}, so {big} > {small}."]
            explanation = "Compare the lengths first: the number with more digits is larger."
            checks = {n: f"{size}." for n in (a, b)}
            recall = ["A whole number with more digits is larger.", rule]
        else:
            k = _first_difference(a, b)
            pos = f"{_ordinal(k + 1)} digit"
            # One digit pair a line from the left, as short as a tiny student can copy it;
            # the first unequal pair decides.
            steps = [f"{a[i]}={b[i]}" for i in range(k)] + [f"{a[k]}{'>' if a[k] > b[k] else '<'}{b[k]}"]
            shared = f"share the first {k} digits {a[:k]}" if k > 1 else f"share the first digit {a[0]}"
            if k == 0:
                shared = "differ already at the first digit"
            reasoning = [f"{a} and {b} {shared}.", f"At the {pos}, {big[k]} > {small[k]}, so {big} > {small}."]
            explanation = (
                f"Both numbers have {len(a)} digits, so the larger one has the larger digit at the first "
                "position from the left where they differ."
            )
            checks = {n: f"{n} has {n[k]} at the {pos} where {o} has {o[k]}." for n, o in ((a, b), (b, a))}
            recall = [rule]
        name = {a: a, b: b}
        if p.get("answer") == "position":
            name = {a: POSITIONS[0], b: POSITIONS[1]}
            reasoning = [*reasoning, f"{big} is the {name[big]} number."]
        guesses = [Guess(name[n], checks[n], n == big) for n in ([a] if a == big else [a, b])]
        return Solution(
            answer=name[big],
            steps=steps,
            explanation=explanation,
            recall=recall,
            reasoning=reasoning,
            extract=[a, b],
            guesses=guesses,
        )
