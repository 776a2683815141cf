"""Counting the words of one category in a mixed list.

A direct answer asks a tiny model to classify every word and keep a tally in a single
token; walking the list with a running count (step-by-step) or first copying out only the
matching words (extract-generate) turns it into one easy decision per line.
"""

from __future__ import annotations

import random
import re
from typing import Any

from cautious.lab.base import Guess, LabFamily, Problem, Solution

#: category (plural, as asked) -> (singular, vocabulary). Words are single, lowercase and
#: belong to exactly one category (no "orange", "lime", "plane" ...).
CATEGORIES: dict[str, tuple[str, list[str]]] = {
    "fruits": ("a fruit", ["apple", "pear", "plum", "grape", "mango", "banana", "lemon", "melon", "kiwi", "fig", "papaya", "apricot"]),
    "animals": ("an animal", ["dog", "cat", "horse", "cow", "sheep", "goat", "mouse", "rabbit", "tiger", "lion", "wolf", "fox"]),
    "tools": ("a tool", ["hammer", "saw", "drill", "wrench", "chisel", "pliers", "axe", "shovel", "rake", "screwdriver", "trowel", "mallet"]),
    "colours": ("a colour", ["red", "blue", "green", "yellow", "purple", "pink", "brown", "black", "white", "grey", "teal", "beige"]),
    "vehicles": ("a vehicle", ["car", "bus", "truck", "bicycle", "train", "tram", "boat", "ship", "van", "taxi", "scooter", "tractor"]),
    "pieces of furniture": ("a piece of furniture", ["chair", "table", "sofa", "bed", "desk", "shelf", "stool", "bench", "cabinet", "wardrobe", "dresser", "couch"]),
}
CATEGORY_OF = {w: c for c, (_, words) in CATEGORIES.items() for w in words}
_QUESTION = re.compile(r"^How many (" + "|".join(CATEGORIES) + r") are in this list: ([a-z]+(?:, [a-z]+)*)\?$")


def _join(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


class Counting(LabFamily):
    name = "counting"
    description = "Count how many words of one category (fruits, animals, tools ...) a mixed list holds."
    answer_type = "number"
    knobs = {"items": 6, "max_count": 5}
    expected_strategy = "step-by-step"

    def corpus(self, **knobs: Any) -> list[str]:
        """Which category each word belongs to — the world knowledge a pretrained model brings
        and a student from scratch lacks — one sentence per word and one list per category."""
        lines = [f"{w} is {CATEGORIES[c][0]}." for w, c in CATEGORY_OF.items()]
        return lines + [f"{c}: {', '.join(words)}." for c, (_, words) in CATEGORIES.items()]

    def sample(self, rng: random.Random, items: int, max_count: int) -> Problem:
        category = rng.choice(list(CATEGORIES))
        target = CATEGORIES[category][1]
        others = [w for w in CATEGORY_OF if CATEGORY_OF[w] != category]
        k = rng.randint(1, max(1, min(max_count, items, len(target))))
        words = rng.sample(target, k) + rng.sample(others, min(items - k, len(others)))
        rng.shuffle(words)
        return {"category": category, "items": words}

    def render(self, p: Problem) -> str:
        return f"How many {p['category']} are in this list: {', '.join(p['items'])}?"

    def parse(self, text: str) -> Problem | None:
        m = _QUESTION.match(text.strip())
        if not m:
            return None
        words = m.group(2).split(", ")
        if any(w not in CATEGORY_OF for w in words):
            return None  # only words whose category we know exactly
        return {"category": m.group(1), "items": words}

    def solve(self, p: Problem) -> Solution:
        category, words = p["category"], p["items"]
        one = CATEGORIES[category][0]
        hits = [w for w in words if CATEGORY_OF[w] == category]
        misses = [w for w in words if CATEGORY_OF[w] != category]
        n = len(hits)
        # One word a line with the running count after it: one yes/no decision per line, and
        # the count so far is always on the page.
        steps, count = [], 0
        for w in words:
            hit = CATEGORY_OF[w] == category
            count += hit
            steps.append(f"{w}: {'yes' if hit else 'no'}, {count}")
        explanation = (f"Count only the words that name {one}; the other words in the list do not count. "
                       f"Go through all {len(words)} words once and keep a running tally.")
        # recall: the category of every listed word, the asked category first
        groups: dict[str, list[str]] = {}
        for w in words:
            groups.setdefault(CATEGORY_OF[w], []).append(w)
        recall = [f"{_join(hits)} {'is' if n == 1 else 'are'} {category if n != 1 else one}." if hits
                  else f"None of the listed words is {one}."]
        recall += [f"{_join(ws)} {'is' if len(ws) == 1 else 'are'} {c if len(ws) != 1 else CATEGORIES[c][0]}."
                   for c, ws in groups.items() if c != category]
        if hits:
            reasoning = [f"The {category} in the list are {_join(hits)}." if n > 1 else f"The only {one.split(' ', 1)[1]} in the list is {hits[0]}.",
                         "Counting them: " + ", ".join(f"{w} {i}" for i, w in enumerate(hits, start=1)) + "."]
        else:
            reasoning = [f"No word in the list is {one}, so the count is 0."]
        extract = hits or [", ".join(words)]  # nothing matches: the whole list, to show it was checked
        guess = n - 1 if n >= 2 else n + 1  # a tally that skipped or double-counted one word
        check = f"{len(words)} words, {len(misses)} {'is' if len(misses) == 1 else 'are'} not {category if len(misses) != 1 else one}: {len(words)} - {len(misses)} = {n}"
        guesses = [Guess(str(guess), f"{check}, not {guess}.", False), Guess(str(n), f"{check}.", True)]
        return Solution(answer=str(n), steps=steps, explanation=explanation, recall=recall,
                        reasoning=reasoning, extract=extract, guesses=guesses)
