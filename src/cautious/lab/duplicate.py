"""Which word of a list appears twice.

A family where writing the steps out should hurt a small student for a structural reason
(docs/lab.md, choice 15). The direct answer is one look and a copy: a word that has an equal
word earlier in the list is what a duplicate-token attention head flags at once, and the
answer copies the flagged word. The careful procedure a teacher writes instead walks the
list one word a line (`Step 4: pear: new`), stopping at the first word already seen
(`Step 6: pear: seen`). Each line finds the next word by looking up the word just written —
and at the duplicate's first occurrence that lookup has two matches, the earlier "pear" and
the later one. Taking the later one skips the stretch between them, so the walk never meets
the repeat and the answer is lost. Telling the two apart needs the words *before* "pear",
one hop more than the lookup itself; the direct answer never has to.

Words are the counting family's vocabulary (one lab token each); exactly one word appears
twice, every other word once, at uniformly drawn places.
"""

from __future__ import annotations

import random
import re
from typing import Any

from cautious.errors import UserError
from cautious.lab.base import Guess, LabFamily, Problem, Solution
from cautious.lab.counting import CATEGORY_OF

WORDS = sorted(CATEGORY_OF)
_QUESTION = re.compile(r"^Which word appears twice in this list: ([a-z]+(?:, [a-z]+)*)\?$")


class Duplicate(LabFamily):
    name = "duplicate"
    description = "Name the one word that appears twice in a list of otherwise different words."
    answer_type = "choice"
    knobs = {"items": 8}
    expected_strategy = "direct-answer"

    def sample(self, rng: random.Random, items: int) -> Problem:
        if not isinstance(items, int) or not 3 <= items <= len(WORDS) + 1:
            raise UserError(f"duplicate: knob 'items' must be a whole number from 3 to {len(WORDS) + 1}, got {items!r}")
        words = rng.sample(WORDS, items - 1)
        listed = words + [words[0]]
        rng.shuffle(listed)
        return {"items": listed}

    def render(self, p: Problem) -> str:
        return f"Which word appears twice in this list: {', '.join(p['items'])}?"

    def parse(self, text: str) -> Problem | None:
        m = _QUESTION.match(text.strip())
        if not m:
            return None
        words = m.group(1).split(", ")
        repeated = [w for w in set(words) if words.count(w) > 1]
        if len(repeated) != 1 or words.count(repeated[0]) != 2:
            return None  # exactly one word twice, or it is not a question of this family
        return {"items": words}

    def choices(self, p: Problem) -> list[str]:
        """The distinct words, in the order they first appear."""
        return list(dict.fromkeys(p["items"]))

    def solve(self, p: Problem) -> Solution:
        words = p["items"]
        # One word a line, new or seen, stopping at the first word already seen.
        steps, seen = [], set()
        for w in words:
            if w in seen:
                steps.append(f"{w}: seen")
                twice = w
                break
            seen.add(w)
            steps.append(f"{w}: new")
        first, second = words.index(twice) + 1, len(steps)
        explanation = (f"Every word of the list but one appears once; go through the {len(words)} words "
                       "in order and stop at the first word that was already seen.")
        recall = ["A word that appears twice is one that is already among the words before it."]
        reasoning = [f"{twice} is word {first} and word {second} of the list.", f"So {twice} appears twice."]
        others = [w for w in words if w != twice]
        guesses = [Guess(others[0], f"{others[0]} appears once.", False),
                   Guess(twice, f"{twice} appears at places {first} and {second}.", True)]
        return Solution(answer=twice, steps=steps, explanation=explanation, recall=recall,
                        reasoning=reasoning, extract=[f"{twice}, {twice}"], guesses=guesses)

    def corpus(self, **knobs: Any) -> list[str]:
        return []
