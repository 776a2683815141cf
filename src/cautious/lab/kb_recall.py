"""Closed-book recall over a small fictional knowledge base.

The facts are never in the input: the student learns them from `corpus()` first and must
retrieve them when asked. One-hop questions need one fact, two-hop questions chain two
(where a person lives, then that town's country). Writing the needed facts out before
answering (recall-then-generate, recall-reason-generate) lets a tiny model retrieve one fact
at a time instead of composing the chain inside a single answer token.

The knowledge base is fictional so no pretrained knowledge helps or hurts, and it is built
from a fixed seed so every split, call and process sees the same facts.
"""

from __future__ import annotations

import random
import re
from typing import Any

from cautious.lab.base import Guess, LabFamily, Problem, Solution

N_PEOPLE, N_TOWNS, N_COUNTRIES, N_RIVERS = 72, 12, 4, 6
_SEED = "cautious.kb_recall.v1"
JOBS = ["baker", "smith", "weaver", "potter", "miller", "fisher", "tailor", "carpenter", "mason", "farmer", "scribe", "healer"]
PETS = ["cat", "dog", "owl", "goat", "parrot", "hare", "ferret", "tortoise", "raven", "lizard", "hedgehog", "goose"]
#: one hop of a chain: attribute -> (fact sentence, what it names, how to ask for it)
FACTS = {
    "town": ("{e} lives in {v}.", "{e}'s home town", "where {e} lives"),
    "job": ("{e} works as a {v}.", "{e}'s job", "what {e} works as"),
    "pet": ("{e} has a pet {v}.", "{e}'s pet", "what pet {e} has"),
    "friend": ("{e}'s best friend is {v}.", "{e}'s best friend", "who {e}'s best friend is"),
    "country": ("{e} is in {v}.", "the country of {e}", "which country {e} is in"),
    "river": ("The river {v} flows through {e}.", "the river through {e}", "which river flows through {e}"),
}
#: relation -> (chain of hops, what is asked, question templates). In templates `{P}` is the
#: person and `[...]` marks the words that extract-generate copies out of the question.
RELATIONS: dict[str, tuple[list[str], str, list[str]]] = {
    "town": (["town"], "{p}'s home town", [
        "Where does {P} [live]?", "In which [town] does {P} [live]?", "What is the [home town] of {P}?",
        "What is {P}'s [home town]?", "Which [town] is {P}'s [home]?", "In what [town] does {P} [live]?"]),
    "job": (["job"], "{p}'s job", [
        "What is {P}'s [job]?", "What is the [job] of {P}?", "What does {P} [work as]?",
        "What [job] does {P} have?", "What is {P}'s [occupation]?", "What [work] does {P} do?"]),
    "pet": (["pet"], "{p}'s pet", [
        "What [pet] does {P} have?", "What is {P}'s [pet]?", "What is the [pet] of {P}?",
        "Which [animal] is {P}'s [pet]?", "What kind of [pet] does {P} keep?", "What [animal] does {P} keep as a [pet]?"]),
    "friend": (["friend"], "{p}'s best friend", [
        "Who is {P}'s [best friend]?", "Who is the [best friend] of {P}?", "Which person is {P}'s [best friend]?",
        "What is the name of {P}'s [best friend]?", "Who is the [closest friend] of {P}?", "Who is {P}'s [closest friend]?"]),
    "country": (["town", "country"], "the country where {p} lives", [
        "In which [country] does {P} [live]?", "What [country] does {P} [live] in?", "Which [country] is {P}'s [home town] in?",
        "In which [country] is the [town] where {P} [lives]?", "What is the [country] of {P}'s [home town]?",
        "Which [country] does {P} [live] in?"]),
    "river": (["town", "river"], "the river through {p}'s home town", [
        "Which [river] flows through the [town] where {P} [lives]?", "What [river] runs through {P}'s [home town]?",
        "Which [river] flows through {P}'s [home town]?", "What is the [river] of the [town] where {P} [lives]?",
        "Along which [river] does {P} [live]?", "What [river] flows through the [home town] of {P}?"]),
    "friend_job": (["friend", "job"], "the job of {p}'s best friend", [
        "What is the [job] of {P}'s [best friend]?", "What does {P}'s [best friend] [work as]?",
        "What [job] does {P}'s [best friend] have?", "What is the [job] of the [best friend] of {P}?",
        "What is the [occupation] of {P}'s [closest friend]?", "What [work] does the [best friend] of {P} do?"]),
    "friend_pet": (["friend", "pet"], "the pet of {p}'s best friend", [
        "What [pet] does {P}'s [best friend] have?", "What is the [pet] of {P}'s [best friend]?",
        "Which [animal] is the [pet] of {P}'s [best friend]?", "What kind of [pet] does the [best friend] of {P} keep?",
        "What [pet] does the [closest friend] of {P} have?", "What is the [pet] of the [best friend] of {P}?"]),
    "friend_town": (["friend", "town"], "the home town of {p}'s best friend", [
        "Where does {P}'s [best friend] [live]?", "In which [town] does {P}'s [best friend] [live]?",
        "What is the [home town] of {P}'s [best friend]?", "In which [town] does the [best friend] of {P} [live]?",
        "Where does the [closest friend] of {P} [live]?", "What is the [home town] of the [best friend] of {P}?"]),
}
_MARK = re.compile(r"\{P\}|\[([^\]]+)\]")
_QUESTION_RES = [(rel, t, re.compile(re.escape(tpl.replace("[", "").replace("]", "")).replace(r"\{P\}", r"(?P<p>[A-Z][a-z]+ [A-Z][a-z]+)")))
                 for rel, (_, _, tpls) in RELATIONS.items() for t, tpl in enumerate(tpls)]


def _word(rng: random.Random, used: set[str], endings: list[str]) -> str:
    """A new made-up capitalised word: one or two syllables plus an ending."""
    onsets = ["b", "br", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "th", "v", "z", ""]
    while True:
        w = rng.choice(onsets) + rng.choice("aeiou") + rng.choice(["l", "r", "n", "m", "v", "d", "s", "lv", "rn", "nd", "sk"])
        w = (w + rng.choice(endings)).capitalize()
        if w not in used and len(w) >= 3:
            used.add(w)
            return w


class KB:
    """The fixed world: people with a town, job, pet and best friend; towns with a country and a river."""

    def __init__(self, seed: str = _SEED) -> None:
        rng, used = random.Random(seed), set()
        countries = [_word(rng, used, ["ia", "and", "ora"]) for _ in range(N_COUNTRIES)]
        rivers = [_word(rng, used, ["", "e", "a"]) for _ in range(N_RIVERS)]
        towns = [_word(rng, used, ["", "by", "ton", "ek"]) for _ in range(N_TOWNS)]
        surnames = [_word(rng, used, ["en", "ar", "is", "ow", "ith"]) for _ in range(N_PEOPLE // 3)]
        people = [f"{_word(rng, used, ['a', 'o', 'i', 'el', 'an'])} {rng.choice(surnames)}" for _ in range(N_PEOPLE)]
        self.people, self.towns = people, towns
        self.attrs: dict[tuple[str, str], str] = {}
        flows = rng.sample(rivers * (N_TOWNS // N_RIVERS), N_TOWNS)  # each river flows through two towns
        for i, t in enumerate(towns):
            self.attrs[t, "country"] = countries[i % N_COUNTRIES]
            self.attrs[t, "river"] = flows[i]
        for p in people:
            self.attrs[p, "town"] = rng.choice(towns)
            self.attrs[p, "job"] = rng.choice(JOBS)
            self.attrs[p, "pet"] = rng.choice(PETS)
            self.attrs[p, "friend"] = rng.choice([q for q in people if q != p])
        self.values = {a: sorted({v for (_, b), v in self.attrs.items() if b == a}) for a in FACTS}

    def fact(self, entity: str, attr: str) -> str:
        return FACTS[attr][0].format(e=entity, v=self.attrs[entity, attr])

    def sentences(self) -> list[str]:
        return [self.fact(e, a) for e, a in self.attrs]

    def chain(self, person: str, relation: str) -> tuple[list[str], list[str]]:
        """The entities visited (person first, answer last) and the facts used, in order."""
        entities, facts = [person], []
        for attr in RELATIONS[relation][0]:
            facts.append(self.fact(entities[-1], attr))
            entities.append(self.attrs[entities[-1], attr])
        return entities, facts


KNOWLEDGE = KB()


def _lower_the(s: str) -> str:
    return "the" + s[3:] if s.startswith("The ") else s


class KbRecall(LabFamily):
    name = "kb_recall"
    description = "Closed-book questions over a fictional knowledge base of people and towns (one or two facts)."
    answer_type = "text"
    knobs = {"two_hop_fraction": 0.5}
    expected_strategy = "recall-reason-generate"

    def corpus(self, **knobs: Any) -> list[str]:
        return KNOWLEDGE.sentences()

    def sample(self, rng: random.Random, two_hop_fraction: float) -> Problem:
        hops = 2 if rng.random() < two_hop_fraction else 1
        relation = rng.choice([r for r, (chain, _, _) in RELATIONS.items() if len(chain) == hops])
        return {"person": rng.choice(KNOWLEDGE.people), "relation": relation,
                "template": rng.randrange(len(RELATIONS[relation][2]))}

    def split_key(self, p: Problem) -> str:
        # Split by the underlying question, not its wording: test questions ask about
        # (person, relation) pairs never asked in training, answerable only from the facts.
        return f"{p['person']}|{p['relation']}"

    def render(self, p: Problem) -> str:
        tpl = RELATIONS[p["relation"]][2][p["template"]]
        return tpl.replace("[", "").replace("]", "").replace("{P}", p["person"])

    def parse(self, text: str) -> Problem | None:
        for relation, t, rx in _QUESTION_RES:
            m = rx.fullmatch(text.strip())
            if m and m["p"] in KNOWLEDGE.people:
                return {"person": m["p"], "relation": relation, "template": t}
        return None

    def solve(self, p: Problem) -> Solution:
        person, relation = p["person"], p["relation"]
        hops, asked, templates = RELATIONS[relation]
        entities, facts = KNOWLEDGE.chain(person, relation)
        answer, what = entities[-1], asked.format(p=person)
        steps = [f"Recall {FACTS[a][2].format(e=e)}: {f}" for a, e, f in zip(hops, entities, facts)]
        steps.append(f"So {what} is {answer}.")
        if len(hops) == 1:
            need = f"one fact: {FACTS[hops[0]][2].format(e=person)}"
            reasoning = [f"The fact names {person} and gives {FACTS[hops[0]][1].format(e=person)} directly."]
        else:
            that = "that town" if hops[0] == "town" else "that person"
            need = f"two facts: first {FACTS[hops[0]][2].format(e=person)}, then {FACTS[hops[1]][2].format(e=that)}"
            reasoning = [f"The first fact gives {FACTS[hops[0]][1].format(e=person)}: {entities[1]}.",
                         f"The second fact gives {FACTS[hops[1]][1].format(e=entities[1])}: {answer}."]
        reasoning.append(f"So {what} is {answer}.")
        explanation = f"This asks for {what}. The question gives no facts, so answer from memory; it needs {need}."
        extract = [person if m.group(0) == "{P}" else m.group(1) for m in _MARK.finditer(templates[p["template"]])]
        # the tempting wrong answer: the same question about the best friend (a mixed-up person)
        friend = KNOWLEDGE.attrs[person, "friend"]
        pool = [KNOWLEDGE.chain(friend, relation)[0][-1]] + KNOWLEDGE.values[hops[-1]]
        wrong = next(v for v in pool if v not in (answer, person))
        summary = " and ".join(_lower_the(f.rstrip(".")) if i else f.rstrip(".") for i, f in enumerate(facts))
        guesses = [Guess(wrong, f"{summary}, so it is {answer}, not {wrong}.", False),
                   Guess(answer, f"{summary}, so it is {answer}.", True)]
        return Solution(answer=answer, steps=steps, explanation=explanation, recall=facts,
                        reasoning=reasoning, extract=extract, guesses=guesses)
