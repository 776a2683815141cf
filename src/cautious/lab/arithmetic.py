"""Multi-digit addition and subtraction.

For a tiny student, the direct answer needs the whole carry chain computed "in one token";
the column procedure (step-by-step) needs one digit fact per step. This family is where a
slow strategy should clearly beat a fast one.
"""

from __future__ import annotations

import random
import re
from typing import Any

from cautious.lab.base import Guess, LabFamily, Problem, Solution

_QUESTION = re.compile(r"^What is (\d+) ([+-]) (\d+)\?$")


def _compare(x: int, y: int) -> str:
    return f"{x}{'<' if x < y else '>' if x > y else '='}{y}"


def column_steps(a: int, b: int, op: str) -> list[str]:
    """The column method in the shortest form a tiny student can follow, one column a line.

    Each line does one column from the ones place and ends with the result so far, so nothing
    is carried in the head: the next line copies it and puts one digit in front, and the final
    answer copies the last line. Addition shows the carry as `+1`, the last column writes its
    whole total. Subtraction makes every decision a written fact: a borrow owed by the previous
    column is added to the bottom digit first (`9+1=10`), the top digit is compared with the
    bottom one (`2<8`, the comparison family's notation), and only then does the column
    subtract, from `1x` when the top was smaller. Leading zeros drop out in the final answer.

        What is 354 + 627?   Step 1: 4+7=11, 1 / Step 2: 5+2+1=8, 81 / Step 3: 3+6=9, 981
        What is 512 - 498?   Step 1: 2<8, 12-8=4, 4 / Step 2: 9+1=10, 1<10, 11-10=1, 14 /
                             Step 3: 4+1=5, 5=5, 5-5=0, 014

    (Measured in the lab: the earlier form `11-1-9=1`, which decides the borrow before writing
    anything, left subtraction at a third of addition's accuracy.)
    """
    da, db = str(a)[::-1], str(b)[::-1]
    width = max(len(da), len(db))
    steps, so_far, carry = [], "", 0
    for i in range(width):
        x = int(da[i]) if i < len(da) else 0
        y = int(db[i]) if i < len(db) else 0
        if op == "+":
            total = x + y + carry
            expr = f"{x}+{y}" + ("+1" if carry else "")
            last = i == width - 1
            so_far = (str(total) if last else str(total % 10)) + so_far
            steps.append(f"{expr}={total}, {so_far}")
            carry = total // 10
        else:
            parts = []
            if carry:
                parts.append(f"{y}+1={y + 1}")
                y += 1
            borrow = int(x < y)
            top = x + 10 * borrow
            parts += [_compare(x, y), f"{top}-{y}={top - y}"]
            so_far = str(top - y) + so_far
            steps.append(", ".join(parts) + f", {so_far}")
            carry = borrow
    return steps


class Arithmetic(LabFamily):
    name = "arithmetic"
    description = "Multi-digit addition and subtraction (column method with carries and borrows)."
    answer_type = "number"
    knobs = {"digits": 3, "ops": "+-"}
    expected_strategy = "step-by-step"

    def corpus(self, ops: str = "+-", **knobs: Any) -> list[str]:
        """The one-digit facts every column of `column_steps` uses — the addition table with and
        without a carry in, and (when the run subtracts) the comparisons and differences of a
        subtraction column — written exactly as the steps write them. A student from scratch
        knows no arithmetic facts; a pretrained one does. These lines hold no lab question and
        no answer of any split."""
        lines = []
        for x in range(10):
            for y in range(10):
                for carry in (0, 1):
                    lines.append(f"{x}+{y}" + ("+1" if carry else "") + f"={x + y + carry}")
            for y in range(11 if "-" in ops else 0):  # the bottom digit after a borrow is added to it: 0..10
                top = x + 10 if x < y else x
                lines += [_compare(x, y), f"{top}-{y}={top - y}"]
        return lines

    def sample(self, rng: random.Random, digits: int, ops: str) -> Problem:
        if not ops or set(ops) - set("+-"):
            raise ValueError(f"ops must be made of '+' and '-', got {ops!r}")
        lo, hi = 10 ** (digits - 1), 10**digits - 1
        op = rng.choice(ops)
        a, b = rng.randint(lo, hi), rng.randint(lo, hi)
        if op == "-" and a < b:
            a, b = b, a
        return {"a": a, "b": b, "op": op}

    def render(self, p: Problem) -> str:
        return f"What is {p['a']} {p['op']} {p['b']}?"

    def parse(self, text: str) -> Problem | None:
        m = _QUESTION.match(text.strip())
        if not m:
            return None
        return {"a": int(m.group(1)), "op": m.group(2), "b": int(m.group(3))}

    def solve(self, p: Problem) -> Solution:
        a, b, op = p["a"], p["b"], p["op"]
        result = a + b if op == "+" else a - b
        word = "add" if op == "+" else "subtract"
        if op == "+":
            rule = "To add whole numbers, add the digits column by column from the ones place; when a column reaches 10 or more, write the ones digit and carry 1."
            parts = _place_parts(a, b, op)
        else:
            rule = "To subtract whole numbers, subtract column by column from the ones place; when the top digit is smaller, borrow 10 from the next column."
            parts = _place_parts(a, b, op)
        estimate = round(a, -1) + round(b, -1) if op == "+" else round(a, -1) - round(b, -1)
        inverse = "-" if op == "+" else "+"
        guesses = []
        if estimate != result:
            back = estimate - b if op == "+" else estimate + b
            guesses.append(Guess(str(estimate), f"{estimate} {inverse} {b} = {back}, not {a}.", False))
        guesses.append(Guess(str(result), f"{result} {inverse} {b} = {a}.", True))
        return Solution(
            answer=str(result),
            steps=column_steps(a, b, op),
            explanation=f"We need to {word} {b} {'to' if op == '+' else 'from'} {a}. Work column by column from the ones place, "
            + ("carrying when a column reaches 10." if op == "+" else "borrowing when the top digit is smaller."),
            recall=[rule],
            reasoning=parts,
            extract=[f"{a} {op} {b}"],
            guesses=guesses,
        )


def _place_parts(a: int, b: int, op: str) -> list[str]:
    """Place-value decomposition: split `b` into its parts and apply them one at a time."""
    lines, acc = [], a
    s = str(b)
    for i, ch in enumerate(s):
        part = int(ch) * 10 ** (len(s) - 1 - i)
        if part == 0:
            continue
        new = acc + part if op == "+" else acc - part
        lines.append(f"{acc} {op} {part} = {new}")
        acc = new
    return lines
