"""Which word appears most often in a list.

The family where writing the steps out should *hurt* a small student. The answer needs one
easy look: the word whose share of the list is largest is what a single attention head that
looks at every word at once already sees (the average of the list's word embeddings points at
it). The careful step-by-step procedure — the one the lab teacher writes for counting, one word
a line with its running count — turns that one look into a dozen exact lookups: each line must
find the *same word's* last count among several interleaved tallies and add one, and the answer
is read off the tallies at the end, so one slipped count anywhere can change it. Keeping
several counters apart by key is the lookup this student learns slowest (kv_lookup in
docs/lab.md), while the direct answer never needs the exact counts at all — only which is
largest. That asymmetry is structural: the trace asks for more information (every word's exact
count) than the answer needs (an argmax), as Liu et al. (2025) measured for tasks whose answer
is a pattern seen at once.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from typing import Any

from cautious.errors import UserError
from cautious.lab.base import Guess, LabFamily, Problem, Solution
from cautious.lab.counting import CATEGORY_OF

#: Every counting word is one token of the lab tokenizer; the same words, no categories asked.
WORDS = sorted(CATEGORY_OF)
_QUESTION = re.compile(r"^Which word appears most often in this list: ([a-z]+(?:, [a-z]+)*)\?$")


def _counts(items: int, distinct: int, margin: int, rng: random.Random) -> list[int]:
    """`distinct` positive counts summing to `items`, the largest ahead of the rest by ≥ `margin`."""
    for _ in range(1000):
        cuts = sorted(rng.sample(range(1, items), distinct - 1))
        counts = [b - a for a, b in zip([0, *cuts], [*cuts, items])]
        top, *rest = sorted(counts, reverse=True)
        if top - rest[0] >= margin:
            return counts
    raise UserError(f"majority: cannot split {items} items into {distinct} words with a lead of {margin}; "
                    "lower 'margin' or 'distinct', or raise 'items'")


class Majority(LabFamily):
    name = "majority"
    description = "Name the word that appears most often in a list of repeated words."
    answer_type = "choice"
    knobs = {"items": 12, "distinct": 4, "margin": 1}
    expected_strategy = "direct-answer"

    def sample(self, rng: random.Random, items: int, distinct: int, margin: int) -> Problem:
        if not isinstance(items, int) or not isinstance(distinct, int) or not isinstance(margin, int):
            raise UserError("majority: knobs 'items', 'distinct' and 'margin' are whole numbers")
        if distinct < 2 or distinct > min(items, len(WORDS)):
            raise UserError(f"majority: knob 'distinct' must be 2..{min(items, len(WORDS))}, got {distinct}")
        if margin < 1:
            raise UserError(f"majority: knob 'margin' must be at least 1, got {margin}")
        words = rng.sample(WORDS, distinct)
        counts = _counts(items, distinct, margin, rng)
        listed = [w for w, c in zip(words, counts) for _ in range(c)]
        rng.shuffle(listed)
        return {"items": listed}

    def render(self, p: Problem) -> str:
        return f"Which word appears most often in this list: {', '.join(p['items'])}?"

    def parse(self, text: str) -> Problem | None:
        m = _QUESTION.match(text.strip())
        if not m:
            return None
        words = m.group(1).split(", ")
        ranked = Counter(words).most_common(2)
        if len(ranked) < 2 or ranked[0][1] == ranked[1][1]:
            return None  # no single most frequent word: not a question of this family
        return {"items": words}

    def choices(self, p: Problem) -> list[str]:
        """The distinct words, in the order they first appear."""
        return list(dict.fromkeys(p["items"]))

    def solve(self, p: Problem) -> Solution:
        words = p["items"]
        totals = Counter(words)
        (best, top), (second, runner_up) = totals.most_common(2)
        # One word a line with that word's running count, as counting writes it: the count
        # so far is always on the page, never carried in the head.
        steps, seen = [], Counter()
        for w in words:
            seen[w] += 1
            steps.append(f"{w}, {seen[w]}")
        order = self.choices(p)
        tally = ", ".join(f"{w} {totals[w]}" for w in order)
        explanation = ("Count how often each word occurs; the answer is the word with the largest count. "
                       f"The list has {len(words)} words and {len(order)} different ones.")
        recall = ["The word that appears most often is the one with the largest count."]
        reasoning = [f"The counts are {tally}.", f"{best} appears {top} times, more than any other word ({second}: {runner_up})."]
        extract = [" ".join(w for w in words if w == best)]
        guesses = ([Guess(second, f"{second} appears {runner_up} times, but {best} appears {top}.", False)]
                   + [Guess(best, f"{best} appears {top} times, more than any other word.", True)])
        return Solution(answer=best, steps=steps, explanation=explanation, recall=recall,
                        reasoning=reasoning, extract=extract, guesses=guesses)

    def corpus(self, **knobs: Any) -> list[str]:
        return []
