"""What every lab family guarantees, checked on each of them: one suite, parametrized over
`cautious.lab.families()`, so a new family gets the whole contract without writing it again.

The contract: registered as a task; examples deterministic per seed and disjoint across
splits; `parse(render(p)) == p`; the solver's answer is the gold; every strategy's response
shape renders, is detected as that strategy and extracts to the gold; every knob is known,
validated and changes the data; the corpus holds no question; a question of another family
is not parsed. What is specific to one family (an independent solver, its knobs' meaning,
its hand-written inputs) stays in `test_lab_<family>.py`.
"""

from __future__ import annotations

import random

import pytest

from cautious.answers import is_correct
from cautious.errors import UserError
from cautious.evaluate.detect import StrategyDetector
from cautious.evaluate.extract import extract
from cautious.lab import LabTask, families
from cautious.lab.base import with_knobs
from cautious.lab.render import render_response
from cautious.records import Example
from cautious.shapes import FINAL_ANSWER_PREFIX
from cautious.strategies import load_catalog
from cautious.tasks import get_task
from cautious.tasks.base import SPLITS, content_id

FAMILIES = sorted(families())
CATALOG = load_catalog()
#: Each single-call strategy's response shape (multi-call ones write one of these shapes too).
SHAPES = {name: s.sections for name, s in CATALOG.items() if not s.steps}

#: Per family, another valid value for every knob: each must change the examples and keep the contract.
OTHER_KNOBS = {
    "arithmetic": {"digits": 4, "ops": "+"},
    "boolean_expressions": {"depth": 1, "operands": 3},
    "comparison": {"digits": 3, "equal_prefix": 0.0, "answer": "position", "max_tail": 1, "digits_max": 7},
    "counting": {"items": 8, "max_count": 2},
    "grammar": {"length": 7, "symbols": 4},
    "duplicate": {"items": 5},
    "kb_recall": {"two_hop_fraction": 0.0},
    "kv_lookup": {"records": 4},
    "majority": {"items": 9, "distinct": 3, "margin": 2},
    "shuffled_objects": {"people": 4, "swaps": 5},
}
#: Per family, knob values the family cannot sample with: a run config naming one must fail in one line.
BAD_KNOBS = {
    "arithmetic": [{"digits": 0}, {"ops": "*"}],
    "boolean_expressions": [{"operands": 0}, {"depth": -1}],
    "comparison": [{"digits": 0}, {"equal_prefix": 1.5}, {"answer": "word"}, {"max_tail": -1}, {"digits_max": 1}],
    "counting": [{"items": 0}],
    "grammar": [{"length": 1}, {"symbols": 2}, {"symbols": 9}],
    "duplicate": [{"items": 2}, {"items": "eight"}],
    "kb_recall": [{"two_hop_fraction": "half"}],
    "kv_lookup": [{"records": "six"}],
    "majority": [{"distinct": 1}, {"margin": 0}, {"items": 5, "distinct": 4, "margin": 3}],
    "shuffled_objects": [{"people": 1}, {"swaps": 0}],
}
#: Bad values a family still accepts: known bugs, expected to fail (strictly) until fixed.
KNOWN_GAPS: dict[tuple[str, str], str] = {}  # (family, knob) -> why it is not checked yet (a strict xfail)


def mixed_examples(name: str, n: int = 20, **knobs) -> list[Example]:
    """`n` examples from each split, so every check sees train, dev and test problems."""
    family = families()[name]
    return [e for split in SPLITS for e in family.examples(split, n, seed=5, **knobs)]


def check_example(name: str, ex: Example) -> None:
    """Round trip, solver = gold, and the choices agree with the answer type."""
    family = families()[name]
    problem = ex.meta["problem"]
    assert family.render(problem) == ex.input
    assert family.parse(ex.input) == problem, ex.input
    solution = family.solve(family.parse(ex.input))
    assert solution.answer == ex.gold, ex.input
    choices = family.choices(problem)
    assert (family.answer_type == "choice") == (choices is not None)
    if choices is not None:
        assert ex.choices == choices and ex.label == choices.index(solution.answer)
    else:
        assert ex.target == solution.answer and ex.choices is None


def test_the_lab_has_the_seven_documented_families():
    assert set(FAMILIES) >= {"arithmetic", "shuffled_objects", "boolean_expressions", "kv_lookup", "counting", "comparison", "kb_recall"}


def test_the_knob_tables_cover_every_family_and_knob():
    """A new family or knob must say here what other value it takes and what it refuses."""
    assert set(OTHER_KNOBS) == set(BAD_KNOBS) == set(FAMILIES)
    for name in FAMILIES:
        assert set(OTHER_KNOBS[name]) == set(families()[name].knobs), name


@pytest.mark.parametrize("name", FAMILIES)
def test_family_is_a_registered_lab_task(name):
    family = families()[name]
    (task,) = get_task(name)
    assert isinstance(task, LabTask) and type(task.family) is type(family)
    assert task.name == family.name == name and task.answer_type == family.answer_type
    assert family.description.strip() and family.expected_strategy in CATALOG
    assert [e.input for e in task.examples("dev", 5)] == [e.input for e in family.examples("dev", 5)]


@pytest.mark.parametrize("name", FAMILIES)
def test_examples_are_deterministic_per_seed(name):
    family = families()[name]
    first = family.examples("train", 50, seed=3)
    assert [e.model_dump() for e in first] == [e.model_dump() for e in family.examples("train", 50, seed=3)]
    assert [e.input for e in first] != [e.input for e in family.examples("train", 50, seed=4)]


@pytest.mark.parametrize("name", FAMILIES)
def test_splits_are_large_and_disjoint(name):
    """3,000 distinct train questions exist, and no split shares a question — or, for a family
    that splits by an underlying fact (`split_key`), that fact — with another."""
    family = families()[name]
    examples = {split: family.examples(split, n) for split, n in [("train", 3000), ("dev", 300), ("test", 300)]}
    inputs = {split: {e.input for e in exs} for split, exs in examples.items()}
    keys = {split: {family.split_key(e.meta["problem"]) for e in exs} for split, exs in examples.items()}
    assert [len(v) for v in inputs.values()] == [3000, 300, 300]
    for a, b in [("train", "dev"), ("train", "test"), ("dev", "test")]:
        assert not inputs[a] & inputs[b] and not keys[a] & keys[b], (a, b)


@pytest.mark.parametrize("name", FAMILIES)
def test_examples_carry_their_provenance(name):
    family = families()[name]
    examples = family.examples("dev", 30, seed=2)
    assert len({e.id for e in examples}) == 30
    for ex in examples:
        assert ex.id == content_id(name, ex.input) and ex.task == name and ex.answer_type == family.answer_type
        assert ex.meta["source"] == "lab" and ex.meta["split"] == "dev" and ex.meta["seed"] == 2
        assert ex.meta["knobs"] == family.knobs


@pytest.mark.parametrize("name", FAMILIES)
def test_render_parse_round_trip_and_the_solver_gives_the_gold(name):
    for ex in mixed_examples(name, 100):
        check_example(name, ex)


@pytest.mark.parametrize("name", FAMILIES)
def test_every_strategy_shape_is_detected_and_extracts_to_the_gold(name):
    """The lab teacher's response in each shape reads, to the evaluator, as that strategy
    and as the right answer — strictly (the `Final answer:` line) and flexibly."""
    family = families()[name]
    detector = StrategyDetector(CATALOG)
    for ex in mixed_examples(name, 10):
        solution = family.solve(family.parse(ex.input))
        for strategy, sections in SHAPES.items():
            text = render_response(sections, solution)
            detection = detector.detect(text, ex.input)
            assert (detection.strategy, detection.method) == (strategy, "shape"), (strategy, text)
            assert text.count(FINAL_ANSWER_PREFIX) == 1 and text.endswith(f"{FINAL_ANSWER_PREFIX} {ex.gold}")
            for variant in ("strict", "flexible"):
                got = extract(text, ex, variant).answer
                assert is_correct(ex, got), (strategy, variant, got, ex.gold)


@pytest.mark.parametrize("name", FAMILIES)
def test_the_solution_has_material_for_every_section(name):
    """No strategy's shape is empty or broken for any problem: every section has lines, no line
    is blank or spans two lines, and guess-and-check ends on the answer after wrong guesses only."""
    family = families()[name]
    for ex in mixed_examples(name, 30):
        sol = family.solve(family.parse(ex.input))
        lines = [sol.explanation, *sol.steps, *sol.recall, *sol.reasoning, *sol.extract] + [g.check for g in sol.guesses]
        assert sol.steps and sol.recall and sol.reasoning and sol.extract and sol.guesses, ex.input
        assert all(line.strip() and "\n" not in line for line in lines), ex.input
        assert [g.ok for g in sol.guesses] == [False] * (len(sol.guesses) - 1) + [True]
        assert sol.guesses[-1].value == sol.answer and FINAL_ANSWER_PREFIX not in "\n".join(lines)


@pytest.mark.parametrize("name", FAMILIES)
def test_the_corpus_holds_no_question(name):
    """The text a student learns before the strategy data never gives away a question."""
    family = families()[name]
    corpus = family.corpus(**family.knobs)
    assert corpus == family.corpus(**family.knobs)
    questions = {e.input for split in SPLITS for e in family.examples(split, 200, seed=0)} if corpus else set()
    assert not questions & set(corpus)
    assert all(family.parse(line) is None for line in corpus)


@pytest.mark.parametrize("name", FAMILIES)
def test_questions_of_other_families_and_free_text_are_not_parsed(name):
    """The lab teacher answers a question only in the family it belongs to."""
    family = families()[name]
    rng = random.Random(0)
    others = [f.render(f.sample(rng, **f.knobs)) for n, f in families().items() if n != name for _ in range(20)]
    for text in others + ["", "Write a poem about autumn.", "What is the capital of France?"]:
        assert family.parse(text) is None, text


@pytest.mark.parametrize("name", FAMILIES)
def test_an_unknown_knob_or_split_is_a_user_error(name):
    family = families()[name]
    with pytest.raises(UserError, match="no knob 'difficulty'"):
        family.examples("train", 1, difficulty=3)
    with pytest.raises(UserError, match="no split 'validation'"):
        family.examples("validation", 1)
    with pytest.raises(UserError, match="unknown knob 'difficulty'"):
        with_knobs([LabTask(family)], {name: {"difficulty": 3}})


@pytest.mark.parametrize(("name", "knob", "value"), [(n, k, v) for n, ks in OTHER_KNOBS.items() for k, v in ks.items()])
def test_every_knob_changes_the_examples_and_keeps_the_contract(name, knob, value):
    family = families()[name]
    assert value != family.knobs[knob]
    default = [e.input for e in family.examples("dev", 20, seed=1)]
    turned = family.examples("dev", 20, seed=1, **{knob: value})
    assert [e.input for e in turned] != default
    assert all(e.meta["knobs"] == {**family.knobs, knob: value} for e in turned)
    (task,) = with_knobs([LabTask(family)], {name: {knob: value}})
    assert [e.input for e in task.examples("dev", 20, seed=1)] == [e.input for e in turned]
    for ex in mixed_examples(name, 20, **{knob: value}):
        check_example(name, ex)


@pytest.mark.parametrize(
    ("name", "knobs"),
    [
        pytest.param(n, k, marks=[pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[n, knob]) for knob in k if (n, knob) in KNOWN_GAPS])
        for n, bad in BAD_KNOBS.items()
        for k in bad
    ],
)
@pytest.mark.filterwarnings(r"ignore:randrange\(\) will raise TypeError")  # arithmetic digits=0, on Python 3.11
def test_a_knob_value_the_family_cannot_use_is_one_line(name, knobs):
    """A run config naming it fails before anything runs, naming the family and the knob."""
    family = families()[name]
    with pytest.raises(UserError) as err:
        with_knobs([LabTask(family)], {name: knobs})
    msg = str(err.value)
    assert name in msg and all(knob in msg for knob in knobs) and "\n" not in msg, msg
