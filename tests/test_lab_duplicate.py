"""The duplicate family: one word twice, the walk stopping at it (the shared contract is in
test_lab_families.py)."""

from __future__ import annotations

from collections import Counter

from cautious.lab import families

DUPLICATE = families()["duplicate"]


def test_exactly_one_word_appears_twice_at_places_drawn_anywhere():
    firsts, seconds = Counter(), Counter()
    for e in DUPLICATE.examples("train", 300, seed=2):
        items = e.meta["problem"]["items"]
        counts = Counter(items)
        (word, two), *rest = counts.most_common()
        assert two == 2 and all(c == 1 for _, c in rest) and e.gold == word and len(items) == 8
        places = [i for i, w in enumerate(items) if w == word]
        firsts[places[0]] += 1
        seconds[places[1]] += 1
    assert set(firsts) == set(range(7)) and set(seconds) == set(range(1, 8))


def test_the_steps_walk_the_list_and_stop_at_the_first_word_seen_before():
    sol = DUPLICATE.solve({"items": ["fig", "pear", "lion", "pear", "saw"]})
    assert sol.steps == ["fig: new", "pear: new", "lion: new", "pear: seen"] and sol.answer == "pear"


def test_a_list_with_no_word_or_two_words_twice_is_not_parsed():
    assert DUPLICATE.parse("Which word appears twice in this list: fig, pear, lion?") is None
    assert DUPLICATE.parse("Which word appears twice in this list: fig, fig, pear, pear?") is None
    assert DUPLICATE.parse("Which word appears twice in this list: fig, fig, fig, pear?") is None
    assert DUPLICATE.parse("Which word appears twice in this list: fig, pear, fig?") == {"items": ["fig", "pear", "fig"]}
