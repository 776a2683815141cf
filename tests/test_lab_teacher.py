"""The solver-backed lab teacher: every family × every strategy, right by construction.

The contract of the families themselves is `test_lab_families.py`.
"""

from __future__ import annotations

import pytest

from cautious.answers import extract_final_answer, is_correct
from cautious.generate import answer_examples
from cautious.lab import families
from cautious.lab.render import SECTIONS, render_response
from cautious.models.base import SamplingParams, load_model
from cautious.records import Message
from cautious.strategies import load_catalog

FAMILIES = sorted(families())
CATALOG = load_catalog()
PARAMS = SamplingParams()
N_EXAMPLES = 500  # × 8 strategies = 4,000 checked answers per family


@pytest.mark.parametrize("name", FAMILIES)
def test_lab_teacher_is_always_right_in_every_strategys_shape(name):
    teacher = load_model("lab", strategies=CATALOG)
    family = families()[name]
    examples = [e for split in ("train", "dev", "test") for e in family.examples(split, N_EXAMPLES // 5 * (3 if split == "train" else 1), seed=11)]
    for strategy in CATALOG.values():
        answers = answer_examples(teacher, strategy, examples, PARAMS)
        wrong = [a for a in answers if not a.correct]
        assert not wrong, f"{name} × {strategy.name}: {wrong[0].response!r} vs gold {wrong[0].gold!r}"
        # The response has exactly the strategy's shape: its section headers, in order.
        for a in answers[:20]:
            assert _shape(a.response) == _expected_shape(strategy.sections), (strategy.name, a.response)


def test_lab_teacher_answers_in_its_default_shape_under_a_generic_system_message():
    family = families()["arithmetic"]
    ex = family.examples("test", 1, seed=0)[0]
    msgs = [Message(role="system", content="You are a careful assistant."), Message(role="user", content=ex.input)]
    direct = load_model("lab").chat([msgs], PARAMS)[0].text
    slow = load_model("lab:step-by-step").chat([msgs], PARAMS)[0].text
    assert direct == f"Final answer: {ex.gold}"
    assert slow.startswith("Step 1:") and slow.endswith(f"Final answer: {ex.gold}")


def test_lab_teacher_does_not_pretend_to_answer_other_questions():
    text = load_model("lab").chat([[Message(role="user", content="Write a poem about autumn.")]], PARAMS)[0].text
    assert extract_final_answer(text) is None


def test_rendered_sections_cover_every_known_section():
    family = families()["arithmetic"]
    ex = family.examples("train", 1, seed=0)[0]
    text = render_response(list(SECTIONS), family.solve(family.parse(ex.input)))
    assert is_correct(ex, extract_final_answer(text))


_HEADERS = {"Step": "steps", "Explanation": "explanation", "Recall": "recall", "Reasoning": "reasoning",
            "Extract": "extract", "Guess": "guesses", "Check": "guesses", "Final answer": "answer"}


def _shape(text: str) -> list[str]:
    shape: list[str] = []
    for line in text.splitlines():
        head = line.split(":", 1)[0]
        head = "Step" if head.startswith("Step ") else head
        section = _HEADERS.get(head)
        if section and (not shape or shape[-1] != section):
            shape.append(section)
    return shape


def _expected_shape(sections: list[str]) -> list[str]:
    return list(sections)


def test_arithmetic_steps_are_one_column_a_line_with_the_result_so_far():
    from cautious.lab.arithmetic import column_steps

    assert column_steps(354, 627, "+") == ["4+7=11, 1", "5+2+1=8, 81", "3+6=9, 981"]
    assert column_steps(985, 47, "+") == ["5+7=12, 2", "8+4+1=13, 32", "9+0+1=10, 1032"]
    # subtraction writes each decision: the borrow paid into the bottom digit, the comparison, the difference
    assert column_steps(512, 498, "-") == ["2<8, 12-8=4, 4", "9+1=10, 1<10, 11-10=1, 14", "4+1=5, 5=5, 5-5=0, 014"]
    for a, b, op in [(955, 796, "-"), (700, 1, "-"), (999, 999, "+"), (1000, 999, "-")]:
        last = column_steps(a, b, op)[-1].rsplit(", ", 1)[1]
        assert int(last) == (a + b if op == "+" else a - b)


def test_the_teacher_answers_a_strategy_card_in_that_strategy_shape():
    card = CATALOG["step-by-step"].as_card().teacher_instruction
    assert card == "Solve it step by step."
    from cautious.models.lab import LabTeacher

    out = LabTeacher(strategies=CATALOG).answer([Message(role="system", content=card), Message(role="user", content="What is 354 + 627?")])
    assert out == "Step 1: 4+7=11, 1\nStep 2: 5+2+1=8, 81\nStep 3: 3+6=9, 981\nFinal answer: 981"


def test_the_elementary_facts_are_the_ones_the_steps_use():
    fams = families()
    table = set(fams["arithmetic"].corpus())
    assert len(table) == 420 and {"4+8=12", "5+2+1=8", "2<8", "12-8=4", "1<10", "11-10=1"} <= table
    for ex in fams["arithmetic"].examples("train", 50, seed=0):  # every column of every answer is a fact
        slow = _step_by_step_answer(ex.input)
        for line in slow.splitlines()[:-1]:
            assert all(fact in table for fact in line.split(": ", 1)[1].split(", ")[:-1])
    assert set(fams["comparison"].corpus()) >= {"7>3", "3<7", "5=5"}
    assert "pear is a fruit." in fams["counting"].corpus()


def _step_by_step_answer(question: str) -> str:
    from cautious.models.lab import LabTeacher

    card = CATALOG["step-by-step"].as_card().teacher_instruction
    return LabTeacher(strategies=CATALOG).answer([Message(role="system", content=card), Message(role="user", content=question)])


def test_facts_are_written_several_to_a_line_in_seeded_shuffles():
    from cautious.run.pipeline import fact_lines

    facts = [f"f{i}" for i in range(20)]
    lines = fact_lines(facts, 8, seed=0)
    words = [w for line in lines for w in line.split()]
    assert sorted(words) == sorted(facts * 8) and max(len(line.split()) for line in lines) == 8
    assert lines == fact_lines(facts, 8, seed=0) and lines != fact_lines(facts, 8, seed=1)
    assert fact_lines(facts, 1, seed=0) == facts
