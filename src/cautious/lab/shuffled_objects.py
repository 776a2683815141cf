"""Tracking shuffled objects (after BIG-Bench Hard's `tracking_shuffled_objects`).

People start with distinct items and swap them in pairs; the question asks who ends with
what. The direct answer needs the whole swap sequence composed "in one token", while
step-by-step only copies the holdings table and changes two entries per step, so a slow
strategy should pay off here. The backward trace (reasoning) and the relevant-sentence
extract are short alternatives that touch only the swaps on the asked person's chain.
"""

from __future__ import annotations

import random
import re

from cautious.errors import UserError
from cautious.lab.base import Guess, LabFamily, Problem, Solution

NAMES = ["Alice", "Bob", "Claire", "Dave", "Eve", "Fred", "Gina", "Hugo", "Ivy", "Jack", "Kate", "Liam"]
COLOURS = ["red", "blue", "green", "yellow", "purple", "orange", "white", "black", "pink", "brown", "grey", "gold"]
THINGS = ["ball", "present", "hat", "book", "scarf"]

_NAME = r"[A-Z][a-z]+"
_ITEM = r"[a-z]+(?: [a-z]+)*"
_QUESTION = re.compile(
    rf"^((?:{_NAME} has the {_ITEM}\. )+)((?:{_NAME} and {_NAME} swap their items\. )+)"
    rf"At the end, what does ({_NAME}) have\? Options:((?: \([A-Z]\) {_ITEM})+)$"
)
_HOLD = re.compile(rf"({_NAME}) has the ({_ITEM})\.")
_SWAP = re.compile(rf"({_NAME}) and ({_NAME}) swap their items\.")
_OPTION = re.compile(rf" \(([A-Z])\) ({_ITEM})")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _hold_sentence(person: str, item: str) -> str:
    return f"{person} has the {item}."


def _swap_sentence(a: str, b: str) -> str:
    return f"{a} and {b} swap their items."


def _table(people: list[str], holding: dict[str, str]) -> str:
    return ", ".join(f"{p}: {holding[p]}" for p in people)


def _trace(start: str, swaps: list[list[str]]) -> list[str]:
    """The holders of the item that `start` begins with, following it forward through the swaps."""
    path = [start]
    for a, b in swaps:
        if path[-1] in (a, b):
            path.append(b if path[-1] == a else a)
    return path


class ShuffledObjects(LabFamily):
    name = "shuffled_objects"
    description = "Track which item each person holds after a sequence of pairwise swaps (multiple choice)."
    answer_type = "choice"
    knobs = {"people": 3, "swaps": 3}
    expected_strategy = "step-by-step"

    def sample(self, rng: random.Random, people: int, swaps: int) -> Problem:
        most = min(len(NAMES), len(COLOURS))
        if not 2 <= people <= most:
            raise UserError(f"shuffled_objects: knob 'people' must be between 2 and {most}, got {people}")
        if swaps < 1:
            raise UserError(f"shuffled_objects: knob 'swaps' must be at least 1, got {swaps}")
        names = rng.sample(NAMES, people)
        thing = rng.choice(THINGS)
        items = [f"{c} {thing}" for c in rng.sample(COLOURS, people)]
        pairs = [rng.sample(names, 2) for _ in range(swaps)]
        return {"people": names, "items": items, "swaps": pairs, "ask": rng.choice(names)}

    def render(self, p: Problem) -> str:
        holds = " ".join(_hold_sentence(n, i) for n, i in zip(p["people"], p["items"]))
        moves = " ".join(_swap_sentence(a, b) for a, b in p["swaps"])
        options = " ".join(f"({_LETTERS[k]}) {item}" for k, item in enumerate(p["items"]))
        return f"{holds} {moves} At the end, what does {p['ask']} have? Options: {options}"

    def parse(self, text: str) -> Problem | None:
        m = _QUESTION.match(text.strip())
        if not m:
            return None
        holds = _HOLD.findall(m.group(1))
        people, items = [h[0] for h in holds], [h[1] for h in holds]
        pairs = [[a, b] for a, b in _SWAP.findall(m.group(2))]
        options = _OPTION.findall(m.group(4))
        ask = m.group(3)
        # Anything the solver cannot answer unambiguously is not a question of this family.
        if len(set(people)) != len(people) or len(set(items)) != len(items) or ask not in people:
            return None
        if any(a == b or a not in people or b not in people for a, b in pairs):
            return None
        if options != [(_LETTERS[k], item) for k, item in enumerate(items)]:
            return None
        return {"people": people, "items": items, "swaps": pairs, "ask": ask}

    def choices(self, p: Problem) -> list[str]:
        return list(p["items"])

    def solve(self, p: Problem) -> Solution:
        people, items, swaps, ask = p["people"], p["items"], p["swaps"], p["ask"]
        start = dict(zip(people, items))
        holding = dict(start)
        steps = [f"Start: {_table(people, holding)}"]
        for a, b in swaps:
            holding[a], holding[b] = holding[b], holding[a]
            steps.append(f"{a} and {b} swap: {_table(people, holding)}")
        answer = holding[ask]
        steps.append(f"So {ask} has the {answer}.")

        # Backward trace: whose starting item reaches `ask`, touching only the swaps on that chain.
        reasoning, holder, chain = [], ask, []
        for i in range(len(swaps) - 1, -1, -1):
            a, b = swaps[i]
            if holder in (a, b):
                other = b if holder == a else a
                reasoning.append(f"In swap {i + 1} ({a} and {b}), {holder} got the item {other} held before it.")
                chain.append(i)
                holder = other
        reasoning.append(f"{holder} started with the {start[holder]}, so {ask} ends with it.")
        extract = [_hold_sentence(holder, start[holder])] + [_swap_sentence(*swaps[i]) for i in sorted(chain)]

        guesses = []
        for person, item in zip(people, items):
            path = _trace(person, swaps)
            if len(path) == 1:
                check = f"No swap moves the {item}; it stays with {person}."
            else:
                check = f"The {item} goes {' -> '.join(path)}, so it ends with {path[-1]}."
            guesses.append(Guess(item, check, path[-1] == ask))
            if path[-1] == ask:
                break
        return Solution(
            answer=answer,
            steps=steps,
            explanation=f"We must find what {ask} holds after {len(swaps)} swaps. Each swap exchanges the two "
            f"named people's items, so update the holdings swap by swap and read off {ask}'s item.",
            recall=[
                "A swap exchanges exactly the two named people's items; everyone else keeps theirs.",
                "An item moves only in a swap that involves the person holding it.",
            ],
            reasoning=reasoning,
            extract=extract,
            guesses=guesses,
        )
