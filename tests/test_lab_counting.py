"""counting: the tally is right, and each response shape carries the walk, the matches or the check.

The contract every family keeps (determinism, splits, round trip, shapes, knobs) is checked
in `test_lab_families.py`."""

from __future__ import annotations

import random
import re

import pytest

from cautious.lab.counting import CATEGORIES, Counting
from cautious.lab.render import render_response

FAMILY = Counting()


@pytest.fixture(scope="module")
def problems() -> list[dict]:
    rng = random.Random(11)
    return [FAMILY.sample(rng, **FAMILY.knobs) for _ in range(2000)]


def test_vocabularies_are_disjoint_single_words() -> None:
    words = [w for _, ws in CATEGORIES.values() for w in ws]
    assert len(words) == len(set(words)) and all(re.fullmatch(r"[a-z]+", w) for w in words)


def test_solver_matches_a_direct_count(problems: list[dict]) -> None:
    counts = set()
    for p in problems:
        text = FAMILY.render(p)
        m = re.fullmatch(r"How many (.+) are in this list: (.+)\?", text)
        assert m
        listed = m.group(2).split(", ")
        assert len(listed) == FAMILY.knobs["items"]
        expected = sum(w in set(CATEGORIES[m.group(1)][1]) for w in listed)  # a direct count
        sol = FAMILY.solve(p)
        assert sol.answer == str(expected)
        counts.add(expected)
        assert sol.extract == [w for w in listed if w in CATEGORIES[m.group(1)][1]]
        assert [s.split(":")[0] for s in sol.steps] == listed, "one line per listed word, in order"
        assert sol.steps[-1].endswith(f", {expected}"), "the running count ends at the answer"
        hits = [s for s in sol.steps if ": yes, " in s]
        assert [int(s.rsplit(", ", 1)[1]) for s in hits] == list(range(1, expected + 1))
        assert sol.reasoning[-1].endswith(f" {expected}.")
        categories = {c for c, (_, ws) in CATEGORIES.items() if set(ws) & set(listed)}
        assert len(sol.recall) == len(categories), "one recalled membership line per category present"
        assert all(w in "\n".join(sol.recall) for w in listed)
        assert len(sol.guesses) == 2 and sol.guesses[0].value != sol.answer
    assert counts == set(range(1, FAMILY.knobs["max_count"] + 1))


def test_zero_count_is_solved() -> None:
    p = FAMILY.parse("How many tools are in this list: dog, pear, red?")
    assert p == {"category": "tools", "items": ["dog", "pear", "red"]}
    sol = FAMILY.solve(p)
    assert sol.answer == "0" and sol.extract == ["dog, pear, red"]
    assert render_response(["steps", "answer"], sol).endswith("Final answer: 0")


def test_parse_rejects_near_misses() -> None:
    texts = ["How many fruits are in this list: apple, sofa, zebra?", "How many birds are in this list: apple, sofa?",
             "How many fruits are in this list: apple,pear?"]
    assert all(FAMILY.parse(t) is None for t in texts)
