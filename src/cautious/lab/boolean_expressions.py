"""Boolean expressions (after BIG-Bench Hard's `boolean_expressions`).

Expressions over True/False with not/and/or and parentheses, read with Python's precedence
(not > and > or). A direct answer has to hold the whole parse tree at once; step-by-step
rewrites the expression one operator at a time, so each step is a single truth-table fact
plus copying. Answers are the strings `True` / `False`.
"""

from __future__ import annotations

import random
import re

from cautious.errors import UserError
from cautious.lab.base import Guess, LabFamily, Problem, Solution

_TOKEN = r"(?:not|and|or|True|False|\(|\))"
_QUESTION = re.compile(rf"^Evaluate: ({_TOKEN}(?: {_TOKEN})*)$")
_LIT = ("True", "False")


class _Parser:
    """Recursive descent over Python's grammar for these tokens: or < and < not < atom."""

    def __init__(self, tokens: list[str]) -> None:
        self.t, self.i = tokens, 0

    def peek(self) -> str | None:
        return self.t[self.i] if self.i < len(self.t) else None

    def expr(self) -> bool:
        value = self.term()
        while self.peek() == "or":
            self.i += 1
            value = self.term() or value
        return value

    def term(self) -> bool:
        value = self.factor()
        while self.peek() == "and":
            self.i += 1
            value = self.factor() and value
        return value

    def factor(self) -> bool:
        tok = self.peek()
        self.i += 1
        if tok == "not":
            return not self.factor()
        if tok in _LIT:
            return tok == "True"
        if tok == "(":
            value = self.expr()
            if self.peek() != ")":
                raise ValueError("unbalanced parentheses")
            self.i += 1
            return value
        raise ValueError(f"unexpected token {tok!r}")


def evaluate(tokens: list[str]) -> bool:
    """The value of a token list; ValueError when it is not a well-formed expression."""
    parser = _Parser(tokens)
    value = parser.expr()
    if parser.i != len(tokens):
        raise ValueError("trailing tokens")
    return value


def reduction_steps(tokens: list[str]) -> list[str]:
    """Rewrite one operator per step: any `not <literal>` first, else the leftmost `and`, then
    `or`, inside the leftmost innermost parentheses; a group reduced to a literal loses its
    parentheses in the same step."""
    t, steps = list(tokens), []
    while len(t) > 1:
        k = next((i for i in range(len(t) - 1) if t[i] == "not" and t[i + 1] in _LIT), None)
        if k is not None:
            redex, value, lo, hi = f"not {t[k + 1]}", str(t[k + 1] == "False"), k, k + 2
        else:
            opens = [i for i, tok in enumerate(t) if tok == "("]
            start = next((i for i in opens if "(" not in t[i + 1 : t.index(")", i)]), None)
            lo_g, hi_g = (start + 1, t.index(")", start)) if start is not None else (0, len(t))
            group = t[lo_g:hi_g]
            op = "and" if "and" in group else ("or" if "or" in group else None)
            if op is None:  # a parenthesised literal, e.g. "( True )"
                redex, value, lo, hi = f"( {group[0]} )", group[0], lo_g - 1, hi_g + 1
            else:
                j = lo_g + group.index(op)
                x, y = t[j - 1] == "True", t[j + 1] == "True"
                value = str(x and y if op == "and" else x or y)
                redex, lo, hi = f"{t[j - 1]} {op} {t[j + 1]}", j - 1, j + 2
        t[lo:hi] = [value]
        if 0 < lo and lo + 1 < len(t) and t[lo - 1] == "(" and t[lo + 1] == ")":
            t[lo - 1 : lo + 2] = [value]
        steps.append(f"{redex} = {value}, so: {' '.join(t)}")
    steps.append(f"The expression is {t[0]}.")
    return steps


def split_top(tokens: list[str], op: str) -> list[list[str]]:
    """The operands of `op` at parenthesis depth 0 (one part when `op` does not occur there)."""
    parts, cur, depth = [], [], 0
    for tok in tokens:
        depth += tok == "("
        depth -= tok == ")"
        if tok == op and depth == 0:
            parts.append(cur)
            cur = []
        else:
            cur.append(tok)
    return parts + [cur]


def _split(rng: random.Random, n: int, m: int) -> list[int]:
    """A random composition of `n` into `m` positive parts."""
    cuts = sorted(rng.sample(range(1, n), m - 1))
    return [y - x for x, y in zip([0] + cuts, cuts + [n])]


def _gen(rng: random.Random, n: int, depth: int, exact: bool) -> list[str]:
    """`n` literals with parentheses nested at most `depth` deep (exactly, when `exact`; needs
    n >= depth + 2). A group always holds 2+ operands, so no parentheses are redundant."""
    if depth == 0:
        sizes, deep = [1] * n, -1
    elif exact:
        # One designated part carries the full depth; it needs depth + 1 literals of its own.
        m = rng.randint(2, n - depth)
        s = rng.randint(depth + 1, n - m + 1)
        sizes = _split(rng, n - s, m - 1)
        deep = rng.randrange(m)
        sizes.insert(deep, s)
    else:
        sizes, deep = _split(rng, n, rng.randint(2, n)), -1
    out: list[str] = []
    for k, size in enumerate(sizes):
        if k:
            out.append(rng.choice(["and", "or"]))
        if rng.random() < 0.3:
            out.append("not")
        out += [rng.choice(_LIT)] if size == 1 else ["(", *_gen(rng, size, depth - 1, k == deep), ")"]
    return out


def nesting(tokens: list[str]) -> int:
    """The deepest parenthesis level reached."""
    depth = best = 0
    for tok in tokens:
        depth += (tok == "(") - (tok == ")")
        best = max(best, depth)
    return best


class BooleanExpressions(LabFamily):
    name = "boolean_expressions"
    description = "Evaluate a Boolean expression over True/False with not, and, or and parentheses."
    answer_type = "text"
    knobs = {"depth": 2, "operands": 4}
    expected_strategy = "step-by-step"

    def sample(self, rng: random.Random, depth: int, operands: int) -> Problem:
        if operands < 1 or depth < 0:
            raise UserError(f"boolean_expressions: need operands >= 1 and depth >= 0, got {operands} and {depth}")
        # Nest exactly `depth` deep (or as deep as `operands` allows: each level needs one more
        # literal, and the whole expression is never wrapped), so the knob sets difficulty.
        return {"expr": " ".join(_gen(rng, operands, max(0, min(depth, operands - 2)), exact=True))}

    def render(self, p: Problem) -> str:
        return f"Evaluate: {p['expr']}"

    def parse(self, text: str) -> Problem | None:
        m = _QUESTION.match(text.strip())
        if not m:
            return None
        try:
            evaluate(m.group(1).split(" "))
        except (ValueError, IndexError):
            return None
        return {"expr": m.group(1)}

    def solve(self, p: Problem) -> Solution:
        tokens = p["expr"].split(" ")
        value = evaluate(tokens)
        answer = str(value)
        steps = reduction_steps(tokens)
        assert steps[-1] == f"The expression is {answer}.", "reduction disagrees with the evaluator"

        ors, ands = split_top(tokens, "or"), split_top(tokens, "and")
        recall = []
        if "not" in tokens:
            recall.append("not flips a value: not True is False, not False is True.")
        if "and" in tokens:
            recall.append("A and B is True only when both are True.")
        if "or" in tokens:
            recall.append("A or B is True when at least one is True.")
        if "(" in tokens or len({"not", "and", "or"} & set(tokens)) > 1:
            recall.append("Order: parentheses first, then not, then and, then or.")
        if not recall:
            recall.append("A lone True or False is its own value.")

        if len(ors) > 1 or len(ands) > 1:
            op, parts = ("or", ors) if len(ors) > 1 else ("and", ands)
            spans = [" ".join(x) for x in parts]
            vals = [evaluate(x) for x in parts]
            reasoning = [f"Part {i}: {s} is {v}." for i, (s, v) in enumerate(zip(spans, vals), start=1)]
            # The decisive part: any True part for `or`, any False part for `and`.
            key = next((s for s, v in zip(spans, vals) if v == (op == "or")), None)
            fact = f"{key} is {op == 'or'}" if key is not None else f"all parts are {op != 'or'}"
            reasoning.append(f"The parts are joined by {op}, and {fact}, so the whole is {answer}.")
            needs = {"True": "a True part", "False": "every part False"} if op == "or" else {
                "True": "every part True", "False": "a False part"}
            checks = {g: f"{g} needs {needs[g]}; {fact}." for g in _LIT}
            extract = spans
        else:
            reasoning = [f"The whole expression {p['expr']} reduces to {answer}."]
            if tokens[0] == "not" and len(tokens) > 1:
                inner = " ".join(tokens[1:])
                reasoning = [f"The whole is not applied to {inner}, which is {not value}.",
                             f"not {not value} is {answer}."]
            checks = {g: f"{p['expr']} is {answer}." for g in _LIT}
            extract = [p["expr"]]

        guesses = [Guess(g, checks[g], g == answer) for g in _LIT[: _LIT.index(answer) + 1]]
        ops = {o: tokens.count(o) for o in ("not", "and", "or") if o in tokens}
        counted = ", ".join(f"{c} {o}" for o, c in ops.items()) or "no operators"
        return Solution(
            answer=answer,
            steps=steps,
            explanation=f"Decide whether the expression is True or False. It has {counted}; evaluate the innermost "
            "parentheses first, then not, then and, then or, one operator at a time.",
            recall=recall,
            reasoning=reasoning,
            extract=extract,
            guesses=guesses,
        )
