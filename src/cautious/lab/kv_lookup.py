"""Key-value lookup in a short passage of records.

The answer is stated verbatim in the input, but next to look-alike distractors: a key that
differs by one letter with the same attribute (often with a close number), and the same key
with other attributes. A tiny model answering directly has to attend to the exact
(key, attribute) pair in one step; copying the one relevant sentence first (extract-generate)
turns the task into a copy followed by reading off the value.
"""

from __future__ import annotations

import random
import re

from cautious.lab.base import Guess, LabFamily, Problem, Solution

_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"
_COLOURS = ["red", "blue", "green", "yellow", "purple", "pink", "brown", "black", "white", "grey", "teal", "amber"]
_PASSWORDS = ["falcon", "lantern", "copper", "meadow", "harbor", "pepper", "candle", "walrus",
              "thistle", "marble", "rocket", "willow", "saddle", "garnet", "pillow", "basalt"]
#: attribute -> (number range, or word vocabulary); number attributes have distinct digit counts.
_ATTRS: dict[str, tuple[int, int] | list[str]] = {
    "code": (1000, 9999), "room": (100, 999), "age": (18, 95), "colour": _COLOURS, "password": _PASSWORDS,
}
_TEMPLATES = ["The {attr} of {key} is {value}.", "{key}'s {attr} is {value}.", "For {key}, the {attr} is {value}."]
_A = "|".join(_ATTRS)
_KEY, _VAL = r"(?P<key>[A-Z][a-z]{4})", r"(?P<value>\d+|[a-z]+)"
_RECORD_RES = [re.compile("^" + re.escape(t).replace(r"\{attr\}", f"(?P<attr>{_A})")
                          .replace(r"\{key\}", _KEY).replace(r"\{value\}", _VAL) + "$") for t in _TEMPLATES]
_QUESTION = re.compile(rf"^Question: What is the (?P<attr>{_A}) of (?P<key>[A-Z][a-z]{{4}})\?$")


def _name(rng: random.Random) -> str:
    """A made-up five-letter name (consonant-vowel-consonant-vowel-consonant)."""
    c, v = _CONSONANTS, _VOWELS
    return (rng.choice(c) + rng.choice(v) + rng.choice(c) + rng.choice(v) + rng.choice(c)).capitalize()


def _similar(rng: random.Random, key: str) -> str:
    """A look-alike of `key`: one letter changed (vowel for vowel, consonant for consonant)."""
    i = rng.randrange(1, len(key))
    pool = _VOWELS if key[i] in _VOWELS else _CONSONANTS
    return key[:i] + rng.choice([ch for ch in pool if ch != key[i]]) + key[i + 1:]


def _value(rng: random.Random, attr: str, near: str | None = None) -> str:
    spec = _ATTRS[attr]
    if isinstance(spec, list):
        return rng.choice(spec)
    lo, hi = spec
    if near is not None and rng.random() < 0.5:  # a close number makes the distractor harder
        return str(min(hi, max(lo, int(near) + rng.choice([-1, 1]) * rng.randint(1, 9))))
    return str(rng.randint(lo, hi))


class KvLookup(LabFamily):
    name = "kv_lookup"
    description = "Look up one attribute of one name in a passage of look-alike records."
    answer_type = "text"
    knobs = {"records": 6}
    expected_strategy = "extract-generate"

    def sample(self, rng: random.Random, records: int) -> Problem:
        key, attr = _name(rng), rng.choice(list(_ATTRS))
        answer = _value(rng, attr)
        recs: list[list] = [[key, attr, answer]]
        plan = ["similar", "other_attr"] + [rng.choice(["similar_any", "random_same", "random_any"]) for _ in range(records)]
        for kind in plan:
            if len(recs) >= records:
                break
            for _ in range(50):  # retry until (key, attr) and value are new to the passage
                k = key if kind == "other_attr" else _similar(rng, key) if kind.startswith("similar") else _name(rng)
                a = attr if kind in ("similar", "random_same") else rng.choice([x for x in _ATTRS if x != attr or k != key])
                v = _value(rng, a, near=answer if a == attr and a not in ("colour", "password") else None)
                if k != key or a != attr:
                    if all((k, a) != (r[0], r[1]) and v != r[2] for r in recs):
                        recs.append([k, a, v])
                        break
        rng.shuffle(recs)
        return {"records": [[k, a, v, rng.randrange(len(_TEMPLATES))] for k, a, v in recs], "key": key, "attr": attr}

    def render(self, p: Problem) -> str:
        lines = [_TEMPLATES[t].format(key=k, attr=a, value=v) for k, a, v, t in p["records"]]
        return "\n".join(lines + [f"Question: What is the {p['attr']} of {p['key']}?"])

    def parse(self, text: str) -> Problem | None:
        lines = text.strip().split("\n")
        q = _QUESTION.match(lines[-1])
        if not q or len(lines) < 2:
            return None
        recs = []
        for line in lines[:-1]:
            for t, rx in enumerate(_RECORD_RES):
                m = rx.match(line)
                if m:
                    recs.append([m["key"], m["attr"], m["value"], t])
                    break
            else:
                return None
        pairs = [(k, a) for k, a, _, _ in recs]
        if len(set(pairs)) != len(pairs) or pairs.count((q["key"], q["attr"])) != 1:
            return None  # the question must have exactly one answer in the passage
        return {"records": recs, "key": q["key"], "attr": q["attr"]}

    def solve(self, p: Problem) -> Solution:
        key, attr, recs = p["key"], p["attr"], p["records"]
        sentences = [_TEMPLATES[t].format(key=k, attr=a, value=v) for k, a, v, t in recs]
        hit = next(i for i, (k, a, _, _) in enumerate(recs) if k == key and a == attr)
        answer, found = recs[hit][2], sentences[hit]
        steps = [f"The question asks for the {attr} of {key}."]
        for i, (k, a, v, _) in enumerate(recs[: hit + 1], start=1):
            if i - 1 == hit:
                steps.append(f"Line {i}: {k}, {a}: the right name and attribute, the value is {v}.")
            elif k == key:
                steps.append(f"Line {i}: {k}, {a}: the right name but the wrong attribute.")
            else:
                steps.append(f"Line {i}: {k}, {a}: a different name.")
        steps.append(f"So the {attr} of {key} is {answer}.")
        looks = sorted({k for k, a, _, _ in recs if k != key and sum(x != y for x, y in zip(k, key)) == 1})
        own = [a for k, a, _, _ in recs if k == key and a != attr]
        traps = [f"{n}'s {attr}" for n in looks if (n, attr) in {(k, a) for k, a, _, _ in recs}]
        traps += [f"{key}'s {a}" for a in own]
        explanation = f"The question asks for the {attr} of {key}. Only the sentence naming both {key} and its {attr} answers it"
        explanation += f"; {' and '.join(traps[:2])} are distractors." if traps else "."
        recall = ["A lookup question is answered by the one sentence that names both the key and the attribute asked for."]
        recall += [f"{n} is a different name from {key}, even though they look alike." for n in looks[:2]]
        mine = [i for i, (k, _, _, _) in enumerate(recs, start=1) if k == key]
        reasoning = [f"The {'lines' if len(mine) > 1 else 'line'} about {key}: {', '.join(map(str, mine))}."]
        reasoning += [f"Line {hit + 1} gives the {attr} of {key}: {answer}."]
        reasoning += [f"Line {i} gives {key}'s {recs[i - 1][1]}, which was not asked." for i in mine if i != hit + 1]
        guesses = []
        # the most tempting wrong value first: a look-alike name with the asked attribute
        rank = {i: (recs[i][1] != attr, recs[i][0] not in looks) for i in range(len(recs)) if recs[i][2] != answer}
        wrong = sorted(rank, key=lambda i: rank[i])
        if wrong:
            w = wrong[0]
            k, a, v, _ = recs[w]
            why = f"it is about {k}, not {key}" if k != key else f"it gives the {a} of {key}, not the {attr}"
            guesses.append(Guess(v, f"The sentence with {v} is \"{sentences[w]}\"; {why}.", False))
        guesses.append(Guess(answer, f"The sentence with {answer} is \"{found}\"; it gives the {attr} of {key}.", True))
        return Solution(answer=answer, steps=steps, explanation=explanation, recall=recall,
                        reasoning=reasoning, extract=[found], guesses=guesses)
