"""The shuffled_objects lab family: sampling, parsing, and the solver against a simulation.

The contract every family keeps (determinism, splits, round trip, shapes, knobs) is checked
in `test_lab_families.py`."""

from __future__ import annotations

import random

import pytest

from cautious.lab.shuffled_objects import ShuffledObjects

FAMILY = ShuffledObjects()


def problems(n: int, seed: int = 0, **knobs) -> list[dict]:
    rng = random.Random(seed)
    settings = {**FAMILY.knobs, **knobs}
    return [FAMILY.sample(rng, **settings) for _ in range(n)]


def simulate(p: dict) -> str:
    """Item-centric simulation (who holds each item), independent of the solver's holdings table."""
    holder = dict(zip(p["items"], p["people"]))
    for a, b in p["swaps"]:
        for item, person in list(holder.items()):
            if person in (a, b):
                holder[item] = b if person == a else a
    (item,) = [i for i, person in holder.items() if person == p["ask"]]
    return item


def test_examples_carry_choices_and_label():
    for ex in FAMILY.examples("dev", 100):
        p = ex.meta["problem"]
        assert ex.choices == p["items"] and ex.gold == simulate(p)
        assert ex.input.endswith("Options: " + " ".join(f"({'ABCDEFG'[k]}) {c}" for k, c in enumerate(ex.choices)))


@pytest.mark.parametrize("knobs", [{}, {"people": 2, "swaps": 1}, {"people": 5, "swaps": 7}, {"people": 7, "swaps": 4}])
def test_round_trip_and_solver_match_simulation(knobs):
    for p in problems(600, seed=len(knobs) + knobs.get("people", 0), **knobs):
        text = FAMILY.render(p)
        assert FAMILY.parse(text) == p
        sol = FAMILY.solve(p)
        assert sol.answer == simulate(p) and sol.answer in FAMILY.choices(p)
        assert len(sol.steps) == len(p["swaps"]) + 2


def test_material_is_specific_to_the_problem():
    for p in problems(300, seed=2):
        text, sol = FAMILY.render(p), FAMILY.solve(p)
        assert all(span in text for span in sol.extract)
        assert all(line.startswith(f"{a} and {b} swap:") for line, (a, b) in zip(sol.steps[1:], p["swaps"]))
        assert p["ask"] in sol.explanation and sol.reasoning[-1].endswith(f"so {p['ask']} ends with it.")
        # Guesses walk the options in order, stopping at the first correct one.
        assert [g.value for g in sol.guesses] == p["items"][: p["items"].index(sol.answer) + 1]


def test_parse_rejects_near_misses():
    p = problems(1)[0]
    text = FAMILY.render(p)
    first, second = p["items"][:2]
    swapped_options = text.replace(f"(A) {first} (B) {second}", f"(A) {second} (B) {first}")
    assert swapped_options != text
    for bad in [
        text.replace("At the end", "In the end"),
        text.replace(" swap their items.", " trade their items.", 1),
        swapped_options,  # options out of order
        text.replace(f"what does {p['ask']} have", "what does Zed have"),  # asks about a stranger
        text + " extra",
        "Alice has the red ball. Alice has the blue ball. Alice and Bob swap their items. "
        "At the end, what does Alice have? Options: (A) red ball (B) blue ball",
    ]:
        assert FAMILY.parse(bad) is None, bad
