"""The comparison lab family: sampling, parsing, and the solver against int comparison.

The contract every family keeps (determinism, splits, round trip, shapes, knobs) is checked
in `test_lab_families.py`."""

from __future__ import annotations

import random

import pytest

from cautious.errors import UserError
from cautious.lab.comparison import Comparison

FAMILY = Comparison()


def problems(n: int, seed: int = 0, **knobs) -> list[dict]:
    rng = random.Random(seed)
    settings = {**FAMILY.knobs, **knobs}
    return [FAMILY.sample(rng, **settings) for _ in range(n)]


def shared_prefix(a: str, b: str) -> int:
    """How many leading digits two distinct equal-length numerals share."""
    return next(i for i, (x, y) in enumerate(zip(a, b)) if x != y)


def test_the_larger_number_comes_first_about_half_the_time():
    """So position is no shortcut."""
    test = FAMILY.examples("test", 300)
    assert 100 < sum(e.label == 0 for e in test) < 200


KNOBS = [{}, {"digits": 1}, {"digits": 2, "equal_prefix": 1.0}, {"digits": 9, "equal_prefix": 0.0}]


@pytest.mark.parametrize("knobs", KNOBS)
def test_round_trip_and_solver_match_int_comparison(knobs):
    digits = knobs.get("digits", 5)
    for p in problems(600, seed=digits, **knobs):
        a, b = p["a"], p["b"]
        assert FAMILY.parse(FAMILY.render(p)) == p
        assert len(a) == len(b) == digits and a != b and a[0] != "0" != b[0]
        sol = FAMILY.solve(p)
        assert sol.answer == str(max(int(a), int(b))) and FAMILY.choices(p) == [a, b]
        k = shared_prefix(a, b)  # one line per equal digit pair, then the deciding pair
        assert sol.steps == [f"{a[i]}={a[i]}" for i in range(k)] + [f"{a[k]}{'>' if a[k] > b[k] else '<'}{b[k]}"]


def test_equal_prefix_knob_controls_shared_prefixes():
    share = [shared_prefix(p["a"], p["b"]) > 0 for p in problems(1000, seed=5)]
    assert 0.65 < sum(share) / len(share) < 0.85  # 0.7 by design, plus chance agreements
    assert all(shared_prefix(p["a"], p["b"]) > 0 for p in problems(300, seed=6, equal_prefix=1.0))


#: Seed 0's first dev questions at digits 6 / equal_prefix 1.0 (the lab preset's comparison of
#: choices 12-20), drawn before the knobs `max_tail` and `digits_max` existed.
BEFORE_THE_NEW_KNOBS = ["Which number is larger: 880222 or 880154?", "Which number is larger: 879880 or 879830?",
                        "Which number is larger: 942125 or 942875?"]


def test_max_tail_knob_caps_the_digits_after_the_first_difference():
    for tail in (0, 2):
        ps = problems(400, seed=7, digits=6, equal_prefix=1.0, max_tail=tail)
        assert {6 - 1 - shared_prefix(p["a"], p["b"]) for p in ps} == set(range(tail + 1))
        assert all(len(FAMILY.solve(p).steps) >= 6 - tail for p in ps)  # the walk is at its longest
    # no cap is the draw the family always made: the same numbers as without the knob
    assert problems(50, seed=8, digits=6, equal_prefix=1.0, max_tail=None) == problems(50, seed=8, digits=6, equal_prefix=1.0)
    # and the same examples of every split: an unset knob stays out of the stream's seed
    # (the examples of digits 6 / equal_prefix 1.0, seed 0, as drawn before the knobs existed)
    first = [e.input for e in FAMILY.examples("dev", 3, seed=0, digits=6, equal_prefix=1.0)]
    assert first == BEFORE_THE_NEW_KNOBS
    for bad in (-1, 1.5, "2", True):
        with pytest.raises(UserError, match="max_tail"):
            problems(1, seed=0, max_tail=bad)


def test_digits_max_knob_draws_each_questions_length():
    ps = problems(300, seed=9, digits=5, equal_prefix=1.0, digits_max=7)
    assert {len(p["a"]) for p in ps} == {5, 6, 7} and all(len(p["a"]) == len(p["b"]) for p in ps)
    assert all(FAMILY.solve(p).answer == str(max(int(p["a"]), int(p["b"]))) for p in ps)
    assert problems(50, seed=8, digits=6, digits_max=None) == problems(50, seed=8, digits=6)
    for bad in (4, 2.5, True):
        with pytest.raises(UserError, match="digits_max"):
            problems(1, seed=0, digits=5, digits_max=bad)
    with pytest.raises(UserError, match="knob 'digits' must be a whole number, got 'six'"):
        problems(1, seed=0, digits="six", digits_max=7)


def test_material_is_specific_to_the_problem():
    for p in problems(300, seed=2):
        sol, k = FAMILY.solve(p), shared_prefix(p["a"], p["b"])
        assert sol.extract == [p["a"], p["b"]]
        assert sol.steps[k][0] == p["a"][k] and sol.steps[k][-1] == p["b"][k] and sol.steps[k][1] in "<>"
        assert [g.value for g in sol.guesses] == ([p["a"]] if sol.answer == p["a"] else [p["a"], p["b"]])


def test_parsed_numbers_of_different_lengths_are_answered():
    p = FAMILY.parse("Which number is larger: 999 or 1000?")
    assert p == {"a": "999", "b": "1000"} and FAMILY.solve(p).answer == "1000"


def test_parse_rejects_near_misses():
    for bad in [
        "Which number is larger: 48213 or 48213?",
        "Which number is larger: 04821 or 48123?",
        "Which number is larger: 48213 or 48123",
        "Which number is smaller: 48213 or 48123?",
        "Which number is larger: -5 or 3?",
    ]:
        assert FAMILY.parse(bad) is None, bad


def test_answer_position_asks_first_or_second_with_the_same_walk():
    """`answer: position` keeps the numbers and the digit walk, and answers with the decision
    alone ('first' / 'second'), so no student has to copy the number."""
    family = FAMILY
    plain = family.parse("Which number is larger: 4308801 or 4308883?")
    asked = family.parse("Which number is larger, the first or the second: 4308801 or 4308883?")
    assert asked == {**plain, "answer": "position"} and family.render(asked).endswith("first or the second: 4308801 or 4308883?")
    assert family.solve(asked).steps == family.solve(plain).steps
    assert (family.solve(plain).answer, family.solve(asked).answer) == ("4308883", "second")
    assert family.choices(asked) == ["first", "second"]
    for ex in family.examples("test", 50, seed=1, digits=7, equal_prefix=1.0, answer="position"):
        a, b = ex.meta["problem"]["a"], ex.meta["problem"]["b"]
        assert ex.choices[ex.label] == ("first" if int(a) > int(b) else "second")
