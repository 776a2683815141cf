"""kv_lookup: the passage answers the question exactly once, and an independent lookup agrees with the solver.

The contract every family keeps (determinism, splits, round trip, shapes, knobs) is checked
in `test_lab_families.py`."""

from __future__ import annotations

import random
import re

import pytest

from cautious.lab.kv_lookup import KvLookup

FAMILY = KvLookup()


@pytest.fixture(scope="module")
def problems() -> list[dict]:
    rng = random.Random(7)
    return [FAMILY.sample(rng, **FAMILY.knobs) for _ in range(2000)]


def _lookup(text: str) -> str:
    """Independent solver: the last token of the one line that mentions both key and attribute."""
    q = re.search(r"Question: What is the (\w+) of (\w+)\?$", text)
    assert q
    attr, key = q.groups()
    hits = [ln for ln in text.split("\n")[:-1] if attr in re.findall(r"\w+", ln) and key in re.findall(r"[A-Z]\w+", ln)]
    assert len(hits) == 1, hits
    return re.findall(r"\w+", hits[0])[-1]


def test_sample_shape(problems: list[dict]) -> None:
    for p in problems:
        recs = p["records"]
        assert len(recs) == FAMILY.knobs["records"]
        assert len({(k, a) for k, a, _, _ in recs}) == len(recs)
        assert len({v for _, _, v, _ in recs}) == len(recs), "values are unique so a guess names one sentence"
    # distractors are there: a one-letter look-alike with the same attribute, and the key's other attributes
    assert all(any(k != p["key"] and a == p["attr"] and sum(x != y for x, y in zip(k, p["key"])) == 1
                   for k, a, _, _ in p["records"]) for p in problems)
    assert all(any(k == p["key"] and a != p["attr"] for k, a, _, _ in p["records"]) for p in problems)


def test_solver_matches_an_independent_lookup(problems: list[dict]) -> None:
    for p in problems:
        text = FAMILY.render(p)
        sol = FAMILY.solve(p)
        assert sol.answer == _lookup(text)
        assert sol.extract == [ln for ln in text.split("\n") if ln.endswith(f" {sol.answer}.")]
        assert all(ln in text.split("\n") for ln in sol.extract)
        assert len(sol.guesses) == 2 and not sol.guesses[0].ok and sol.guesses[0].value != sol.answer
        assert re.search(rf"\b{sol.guesses[0].value}\.$", text, re.M), "the wrong guess is a value from the passage"


def test_parse_needs_exactly_one_answer_in_the_passage() -> None:
    assert FAMILY.parse("Question: What is the code of Velor?") is None
    good = "The code of Velor is 4821.\nVelan's code is 4822.\nQuestion: What is the code of Velor?"
    assert FAMILY.parse(good) is not None and FAMILY.solve(FAMILY.parse(good)).answer == "4821"
    assert FAMILY.parse(good.replace("Velan", "Velor")) is None, "two answers: not a question of this family"
    assert FAMILY.parse(good.replace("Velor?", "Vexor?")) is None, "no answer in the passage"
