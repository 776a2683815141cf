"""Whether a string of letters follows an artificial grammar: the family where writing the
steps out should hurt a small student, for a structural reason.

The grammar is a Reber-style one over a few letters: every letter has one forbidden
successor (the letter two places after it, cyclically: A may not be followed by C, B not by
D, ...), and a string is grammatical when none of its neighbouring pairs is forbidden. The
rule is never stated in a question; it is learned from examples, as in the artificial-grammar
experiments that Liu et al. (2025, "Mind Your Step (by Step)") found chain of thought to hurt.

Why the direct answer should win, structurally: with the lab student's token shift every
position already sees the letter before it, so "this pair is forbidden" is a property of one
position and "the string has a forbidden pair" is one look over all of them — its difficulty
does not grow with the string. The careful procedure a teacher writes instead checks the
pairs one a line (`Step 4: C E no`), stopping at the first forbidden one; each line must find
*the next* pair in a string of a few letters that repeat, where the pair just written often
occurs more than once, so every line is a positional read that can slip — skip the
forbidden pair (answer "yes" wrongly) or invent one (answer "no" wrongly). The longer the
string and the fewer the letters, the more lines and the more look-alike pairs.

Half the strings are grammatical; the other half have exactly one forbidden pair, at a
uniformly drawn place, so the walk stops anywhere along the string.
"""

from __future__ import annotations

import random
import re
import string
from typing import Any

from cautious.errors import UserError
from cautious.lab.base import Guess, LabFamily, Problem, Solution

_QUESTION = re.compile(r"^Is this string over A-([A-Z]) grammatical: ([A-Z](?: [A-Z])*)\?$")
MAX_SYMBOLS = 8


def letters(symbols: int) -> str:
    """The alphabet at this knob: the first `symbols` capital letters."""
    return string.ascii_uppercase[:symbols]


def forbidden_after(letter: str, symbols: int) -> str:
    """The one letter that may not follow `letter`: two places after it, cyclically."""
    alphabet = letters(symbols)
    return alphabet[(alphabet.index(letter) + 2) % symbols]


def _check_knobs(length: Any, symbols: Any) -> None:
    if not isinstance(length, int) or length < 2:
        raise UserError(f"grammar: knob 'length' must be a whole number of at least 2, got {length!r}")
    if not isinstance(symbols, int) or not 3 <= symbols <= MAX_SYMBOLS:
        raise UserError(f"grammar: knob 'symbols' must be a whole number from 3 to {MAX_SYMBOLS}, got {symbols!r}")


class Grammar(LabFamily):
    name = "grammar"
    description = "Say whether a string of letters follows an artificial grammar learned from examples (no letter followed by its forbidden successor)."
    answer_type = "yes_no"
    knobs = {"length": 10, "symbols": 5}
    expected_strategy = "direct-answer"

    def corpus(self, **knobs: Any) -> list[str]:
        """The grammar's rule as pair facts, written as the steps write them (`A C no`, `A B ok`):
        what each step looks up, so the step-by-step answers do not have to infer the rule."""
        symbols = knobs.get("symbols", self.knobs["symbols"])
        alphabet = letters(symbols)
        return [f"{x} {y} {'no' if y == forbidden_after(x, symbols) else 'ok'}" for x in alphabet for y in alphabet]

    def sample(self, rng: random.Random, length: int, symbols: int) -> Problem:
        _check_knobs(length, symbols)
        alphabet = letters(symbols)
        broken_at = rng.randrange(1, length) if rng.random() < 0.5 else None
        out = [rng.choice(alphabet)]
        for i in range(1, length):
            bad = forbidden_after(out[-1], symbols)
            if i == broken_at:
                out.append(bad)
            else:
                out.append(rng.choice([c for c in alphabet if c != bad]))
        return {"letters": out, "symbols": symbols}

    def render(self, p: Problem) -> str:
        # The alphabet is part of the question: the rule wraps around it, so it decides the answer.
        return f"Is this string over A-{letters(p['symbols'])[-1]} grammatical: {' '.join(p['letters'])}?"

    def parse(self, text: str) -> Problem | None:
        m = _QUESTION.match(text.strip())
        if not m:
            return None
        symbols = string.ascii_uppercase.index(m.group(1)) + 1
        found = m.group(2).split(" ")
        if not 3 <= symbols <= MAX_SYMBOLS or any(c not in letters(symbols) for c in found):
            return None  # an alphabet this family does not sample, or a letter outside it
        return {"letters": found, "symbols": symbols}

    def solve(self, p: Problem) -> Solution:
        found, symbols = p["letters"], p["symbols"]
        # One neighbouring pair a line, stopping at the first forbidden one.
        steps, bad_at = [], None
        for i in range(1, len(found)):
            x, y = found[i - 1], found[i]
            ok = y != forbidden_after(x, symbols)
            steps.append(f"{x} {y} {'ok' if ok else 'no'}")
            if not ok:
                bad_at = i
                break
        answer = "yes" if bad_at is None else "no"
        present = sorted(set(found))
        recall = [f"{x} may not be followed by {forbidden_after(x, symbols)}." for x in present]
        explanation = ("A string is grammatical when no letter in it is followed by the letter the grammar forbids "
                       "after it; check every neighbouring pair.")
        if bad_at is None:
            reasoning = [f"All {len(found) - 1} neighbouring pairs are allowed, so the string is grammatical."]
            extract = [" ".join(found)]
        else:
            pair = f"{found[bad_at - 1]} {found[bad_at]}"
            reasoning = [f"Letters {bad_at} and {bad_at + 1} are {pair}, a forbidden pair, so the string is not grammatical."]
            extract = [pair]
        wrong = "no" if answer == "yes" else "yes"
        check = reasoning[0]
        guesses = [Guess(wrong, check, False), Guess(answer, check, True)]
        return Solution(answer=answer, steps=steps, explanation=explanation, recall=recall,
                        reasoning=reasoning, extract=extract, guesses=guesses)
