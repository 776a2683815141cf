"""The boolean_expressions lab family: the solver and every rewrite step against Python's eval.

The contract every family keeps (determinism, splits, round trip, shapes, knobs) is checked
in `test_lab_families.py`."""

from __future__ import annotations

import random

import pytest

from cautious.lab.boolean_expressions import BooleanExpressions, nesting

FAMILY = BooleanExpressions()


def problems(n: int, seed: int = 0, **knobs) -> list[dict]:
    rng = random.Random(seed)
    settings = {**FAMILY.knobs, **knobs}
    return [FAMILY.sample(rng, **settings) for _ in range(n)]


def py(expr: str) -> str:
    return str(eval(expr, {"__builtins__": {}}))  # the tokens are Python syntax by design


def test_both_truth_values_are_asked():
    assert {e.target for e in FAMILY.examples("test", 300)} == {"True", "False"}


@pytest.mark.parametrize("depth,operands", [(2, 4), (0, 3), (1, 2), (3, 6), (2, 1), (4, 5)])
def test_solver_matches_python_eval(depth, operands):
    """At every nesting depth: the parser reads back what was written, the knobs set the
    shape exactly, and the answer is Python's."""
    for p in problems(400, seed=depth * 10 + operands, depth=depth, operands=operands):
        assert FAMILY.parse(FAMILY.render(p)) == p
        assert nesting(p["expr"].split()) == max(0, min(depth, operands - 2))
        assert sum(p["expr"].split().count(lit) for lit in ("True", "False")) == operands
        assert FAMILY.solve(p).answer == py(p["expr"])


def test_each_step_is_one_sound_rewrite():
    for p in problems(500, seed=7):
        tokens, sol = p["expr"].split(), FAMILY.solve(p)
        operators = sum(tokens.count(op) for op in ("not", "and", "or"))
        rewrites = sol.steps[:-1]
        assert len(rewrites) == operators and sol.steps[-1] == f"The expression is {sol.answer}."
        previous = p["expr"]
        for line in rewrites:
            expr = line.split(", so: ", 1)[1]
            assert py(expr) == sol.answer  # every rewrite keeps the value
            assert len(expr.split()) < len(previous.split())
            previous = expr
        assert previous == sol.answer


def test_material_is_specific_to_the_problem():
    for p in problems(300, seed=2):
        sol = FAMILY.solve(p)
        assert all(span in p["expr"] for span in sol.extract)
        for line in sol.reasoning[:-1]:
            if line.startswith("Part "):
                span, value = line.split(": ", 1)[1].rsplit(" is ", 1)
                assert py(span) + "." == value
        assert [g.value for g in sol.guesses] == ["True", "False"][: ["True", "False"].index(sol.answer) + 1]


def test_hand_written_inputs():
    cases = {
        "Evaluate: True": "True",
        "Evaluate: not not True": "True",
        "Evaluate: ( True )": "True",
        "Evaluate: not True and False or True": "True",
        "Evaluate: True or False and False": "True",
        "Evaluate: not ( True or False ) and ( ( False ) or not False )": "False",
    }
    for text, gold in cases.items():
        p = FAMILY.parse(text)
        assert p is not None and FAMILY.solve(p).answer == gold == py(p["expr"])


def test_parse_rejects_near_misses():
    for bad in [
        "Evaluate: True and",
        "Evaluate: ( True and False",
        "Evaluate: True False",
        "Evaluate: true or false",
        "Evaluate:  True",
        "Evaluate: (True)",
        "Evaluate: True or False is",
        "Evaluate: ( )",
    ]:
        assert FAMILY.parse(bad) is None, bad
