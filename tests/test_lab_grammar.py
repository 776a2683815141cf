"""The grammar family: its rule, its balance and its step shape (the shared contract is in
test_lab_families.py)."""

from __future__ import annotations

from collections import Counter

from cautious.lab import families
from cautious.lab.grammar import forbidden_after

GRAMMAR = families()["grammar"]


def forbidden_pairs(found: list[str], symbols: int) -> list[int]:
    """Independent of the solver: where a letter is followed by the one two places after it."""
    alphabet = "ABCDEFGH"[:symbols]
    return [i for i in range(1, len(found))
            if (alphabet.index(found[i]) - alphabet.index(found[i - 1])) % symbols == 2]


def test_the_rule_forbids_the_letter_two_places_after_cyclically():
    assert [forbidden_after(x, 5) for x in "ABCDE"] == list("CDEAB")
    assert [forbidden_after(x, 4) for x in "ABCD"] == list("CDAB")


def test_half_the_strings_are_grammatical_and_the_others_break_the_rule_exactly_once():
    for symbols, length in ((5, 10), (4, 12)):
        examples = GRAMMAR.examples("train", 400, seed=1, length=length, symbols=symbols)
        answers = Counter(e.target for e in examples)
        assert 160 <= answers["yes"] <= 240, answers
        places = Counter()
        for e in examples:
            p = e.meta["problem"]
            bad = forbidden_pairs(p["letters"], symbols)
            assert len(p["letters"]) == length and len(bad) == (e.target == "no")
            places.update(bad)
        assert set(places) == set(range(1, length))  # the broken pair can be anywhere


def test_the_steps_walk_the_pairs_and_stop_at_the_first_forbidden_one():
    ok = GRAMMAR.solve({"letters": list("ABBAE"), "symbols": 5})
    assert ok.steps == ["A B ok", "B B ok", "B A ok", "A E ok"] and ok.answer == "yes"
    broken = GRAMMAR.solve({"letters": list("ABDEA"), "symbols": 5})
    assert broken.steps == ["A B ok", "B D no"] and broken.answer == "no"
    assert broken.extract == ["B D"]


def test_the_question_names_its_alphabet_and_a_letter_outside_it_is_not_parsed():
    text = GRAMMAR.render({"letters": list("ABDC"), "symbols": 4})
    assert text == "Is this string over A-D grammatical: A B D C?"
    assert GRAMMAR.parse(text) == {"letters": list("ABDC"), "symbols": 4}
    assert GRAMMAR.parse("Is this string over A-D grammatical: A B E C?") is None
    assert GRAMMAR.parse("Is this string over A-B grammatical: A B?") is None


def test_the_corpus_states_every_pair_once_as_the_steps_write_it():
    facts = GRAMMAR.corpus(length=10, symbols=5)
    assert len(facts) == 25 and "A C no" in facts and "A B ok" in facts
    assert sum(f.endswith(" no") for f in facts) == 5
