"""kb_recall: a fixed, learnable KB; every question maps back to its person and relation; recall is verbatim corpus.

The contract every family keeps (determinism, splits — here by (person, relation), so a test
question is never a rewording of a training one — round trip, shapes, knobs) is checked in
`test_lab_families.py`."""

from __future__ import annotations

import re

from cautious.lab.kb_recall import _QUESTION_RES, KB, KNOWLEDGE, RELATIONS, KbRecall

FAMILY = KbRecall()
ALL = [{"person": p, "relation": r, "template": t} for p in KNOWLEDGE.people for r in RELATIONS for t in range(len(RELATIONS[r][2]))]


def _facts_from_corpus() -> dict[str, dict[str, str]]:
    """Independent reading of the corpus sentences into lookup tables."""
    pats = {"town": r"(.+) lives in (\w+)\.", "job": r"(.+) works as a (\w+)\.", "pet": r"(.+) has a pet (\w+)\.",
            "friend": r"(.+)'s best friend is (\w+ \w+)\.", "country": r"(\w+) is in (\w+)\."}
    table: dict[str, dict[str, str]] = {k: {} for k in [*pats, "river"]}
    for s in FAMILY.corpus():
        m = re.fullmatch(r"The river (\w+) flows through (\w+)\.", s)
        if m:
            table["river"][m.group(2)] = m.group(1)
            continue
        kind = [k for k, pat in pats.items() if re.fullmatch(pat, s)]
        assert len(kind) == 1, s
        e, v = re.fullmatch(pats[kind[0]], s).groups()
        assert e not in table[kind[0]], f"two facts for {e} {kind[0]}"
        table[kind[0]][e] = v
    return table


def test_kb_is_fixed_and_learnable() -> None:
    corpus = FAMILY.corpus()
    assert corpus == KB().sentences() == KbRecall().corpus()
    assert 100 <= len(corpus) <= 400 and len(set(corpus)) == len(corpus)
    assert 40 <= len(KNOWLEDGE.people) <= 80 and len(set(KNOWLEDGE.people)) == len(KNOWLEDGE.people)
    assert all(re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", p) for p in KNOWLEDGE.people)
    t = _facts_from_corpus()
    assert set(t["town"]) == set(t["job"]) == set(t["pet"]) == set(t["friend"]) == set(KNOWLEDGE.people)
    assert set(t["town"].values()) <= set(t["country"]) == set(t["river"])
    assert all(p != f and f in t["town"] for p, f in t["friend"].items())


def test_every_question_round_trips_and_is_solved() -> None:
    t = _facts_from_corpus()
    chains = {"town": ["town"], "job": ["job"], "pet": ["pet"], "friend": ["friend"], "country": ["town", "country"],
              "river": ["town", "river"], "friend_job": ["friend", "job"], "friend_pet": ["friend", "pet"],
              "friend_town": ["friend", "town"]}
    corpus = set(FAMILY.corpus())
    texts = set()
    for p in ALL:
        text = FAMILY.render(p)
        texts.add(text)
        assert FAMILY.parse(text) == p
        assert sum(rx.fullmatch(text) is not None for _, _, rx in _QUESTION_RES) == 1, "templates never overlap"
        value = p["person"]
        for hop in chains[p["relation"]]:
            value = t[hop][value]
        sol = FAMILY.solve(p)
        assert sol.answer == value
        assert len(sol.recall) == len(chains[p["relation"]]) and all(f in corpus for f in sol.recall)
        assert p["person"] in sol.recall[0] and sol.answer in sol.recall[-1]
        assert sol.extract[0] in text and all(span in text for span in sol.extract) and p["person"] in sol.extract
        assert len(sol.steps) == len(sol.recall) + 1 and all(f in step for f, step in zip(sol.recall, sol.steps))
        assert sol.reasoning[-1].endswith(f" {sol.answer}.") and sol.explanation
        assert len(sol.guesses) == 2 and sol.guesses[0].value not in (sol.answer, p["person"])
    assert len(texts) == len(ALL)


def test_two_hop_fraction_sets_the_mix_of_questions() -> None:
    hops = [len(RELATIONS[e.meta["problem"]["relation"]][0]) for e in FAMILY.examples("dev", 300)]
    assert 0.35 < hops.count(2) / len(hops) < 0.65
    one_hop = FAMILY.examples("dev", 50, two_hop_fraction=0.0)
    assert all(len(RELATIONS[e.meta["problem"]["relation"]][0]) == 1 for e in one_hop)


def test_parse_rejects_near_misses() -> None:
    texts = ["What is Ilva Marren's job?", FAMILY.render(ALL[0]).rstrip("?"), FAMILY.render(ALL[0]) + "\nWhat is 1 + 1?"]
    assert all(FAMILY.parse(t) is None for t in texts)

