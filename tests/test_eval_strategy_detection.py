"""Strategy detection: exact by the lab's section headers, a documented heuristic for free text.

Both are measured with a confusion matrix over lab outputs of every strategy of the catalog,
on every lab family (the heuristic on a free-text paraphrase of the same outputs).
"""

from __future__ import annotations

import re

import pytest

from cautious.evaluate.detect import (
    StrategyDetector,
    confusion_matrix,
    format_confusion,
    heuristic_strategy,
    section_sequence,
)
from cautious.lab import families
from cautious.lab.render import render_section
from cautious.models.base import SamplingParams, load_model
from cautious.records import Message
from cautious.shapes import SECTIONS
from cautious.strategies import load_catalog


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def lab_outputs(catalog):
    """(strategy, family, question, output) for every single-call strategy × family × 5 examples."""
    teacher = load_model("lab", strategies=catalog)
    rows = []
    for family in families().values():
        for ex in family.examples("test", 5):
            for name, strategy in catalog.items():
                if strategy.steps:
                    continue  # multi-call strategies are checked below through their joined response
                msgs = [Message(role="system", content=strategy.teacher_instruction), Message(role="user", content=ex.input)]
                text = teacher.chat([msgs], SamplingParams())[0].text
                rows.append((name, family.name, ex.input, text))
    return rows


def test_headers_match_what_the_lab_renders():
    """The detector's header patterns recognise every section the lab renderer writes."""
    from cautious.lab.base import Guess, Solution

    sol = Solution(answer="5", steps=["a", "b"], explanation="e", recall=["r"], reasoning=["x"], extract=["s"],
                   guesses=[Guess("4", "c", False), Guess("5", "c", True)])
    for section in SECTIONS:
        text = render_section(section, sol)
        assert section_sequence(text) == (section,), section


def test_exact_detection_confusion_matrix_is_diagonal(catalog, lab_outputs):
    detector = StrategyDetector(catalog)
    true = [name for name, *_ in lab_outputs]
    pred = []
    for name, family, question, text in lab_outputs:
        d = detector.detect(text, question)
        assert d.method == "shape", (name, family, text)
        pred.append(d.strategy)
    rows, cols, matrix = confusion_matrix(true, pred)
    print("\nexact detection (rows: strategy used, columns: detected)\n" + format_confusion(rows, cols, matrix))
    assert rows == cols, f"detected a label that was never used: {cols}"
    for i, row in enumerate(matrix):
        assert row[i] == sum(row), f"{rows[i]} misdetected: {dict(zip(cols, row))}"
    assert len(rows) == len([s for s in catalog.values() if not s.steps]) == 7


def test_multi_call_strategy_reads_as_its_single_call_shape(catalog):
    """recall-then-generate-2call writes the same shape as recall-then-generate: indistinguishable by output."""
    from cautious.generate import answer_examples

    teacher = load_model("lab", strategies=catalog)
    ex = families()["kb_recall"].examples("test", 1)[0]
    ans = answer_examples(teacher, catalog["recall-then-generate-2call"], [ex], SamplingParams())[0]
    assert StrategyDetector(catalog).detect(ans.response).strategy == "recall-then-generate"


def paraphrase(text: str) -> str:
    """The lab output as an LLM might write the same strategy without our headers."""
    out = []
    for line in text.splitlines():
        if m := re.match(r"Step (\d+): (.*)", line):
            out.append(f"{m.group(1)}. {m.group(2)}")
        elif line.startswith("Explanation: "):
            out.append(line[len("Explanation: "):])
        elif line.startswith("Recall: "):
            out.append("We know that " + line[len("Recall: "):])
        elif line.startswith("Reasoning: "):
            out.append("Therefore, " + line[len("Reasoning: "):])
        elif line.startswith("Extract: "):
            out.append(f'The passage says: "{line[len("Extract: "):]}"')
        elif line.startswith("Guess: "):
            out.append(f"Let's try {line[len('Guess: '):]}.")
        elif line.startswith("Check: "):
            out.append("Checking it: " + line[len("Check: "):])
        elif line.startswith("Final answer: "):
            out.append(f"The answer is {line[len('Final answer: '):]}.")
        else:
            out.append(line)
    return "\n".join(out)


def test_heuristic_confusion_matrix_on_free_text_paraphrases(catalog, lab_outputs):
    detector = StrategyDetector(catalog)
    true, pred = [], []
    for name, family, question, text in lab_outputs:
        free = paraphrase(text)
        assert not section_sequence(free), free
        d = detector.detect(free, question)
        assert d.method == "heuristic"
        true.append(name)
        pred.append(d.strategy)
    rows, cols, matrix = confusion_matrix(true, pred)
    print("\nheuristic detection on free text (rows: strategy used, columns: detected)\n" + format_confusion(rows, cols, matrix))
    for i, row in enumerate(matrix):
        recall = row[i] / sum(row)
        assert recall >= 0.9, f"{rows[i]}: only {recall:.0%} detected; {dict(zip(cols, row))}"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("The answer is 42.", "direct-answer"),
        ("B", "direct-answer"),
        ("First, add the ones: 3 + 4 = 7. Then add the tens: 2 + 5 = 7. Finally, the sum is 77.\nThe answer is 77.", "step-by-step"),
        ("1. Alice has the ball.\n2. Bob and Alice swap.\n3. Bob has the ball.\nSo Bob has the ball.", "step-by-step"),
        ("Let me guess 12. Checking: 12 * 3 = 36, which is too big. Let's try 11: 11 * 3 = 33. That works.\nThe answer is 11.", "guess-and-check"),
        ("Recall that Paris is the capital of France.\nThe answer is Paris.", "recall-then-generate"),
        ("We know that Tosk is in Brevia and that Ilva lives in Tosk. Therefore Ilva lives in Brevia.\nThe answer is Brevia.", "recall-reason-generate"),
        ('According to the passage, "the meeting starts at noon". So the answer is noon.', "extract-generate"),
        ("This question asks which number is larger. Comparing the first differing digit settles it, and 7 beats 3.\nThe answer is 47420.", "explain-then-answer"),
        ("", "unknown"),
    ],
)
def test_heuristic_on_typical_llm_answers(text, expected, catalog):
    assert StrategyDetector(catalog).detect(text, "").strategy == expected


def test_extract_generate_recognised_by_verbatim_quote_of_the_input():
    question = "The code of Finov is 1412.\nFunov's code is 1415.\nQuestion: What is the code of Finov?"
    text = 'The line "The code of Finov is 1412." answers it, since it names both Finov and the code we need here.'
    assert heuristic_strategy(text, question) == "extract-generate"


def test_truncated_shape_and_unknown_shapes(catalog):
    detector = StrategyDetector(catalog)
    cut = "Step 1: ones: 5 - 5 = 0\nStep 2: tens: 7 - 6 = 1"  # stopped at the token limit
    assert detector.detect(cut).strategy == "step-by-step"
    mixed = "Recall: x\nStep 1: y\nFinal answer: 3"
    d = detector.detect(mixed)
    assert (d.strategy, d.method, d.sections) == ("other", "shape", ("recall", "steps", "answer"))
    # prose followed by a final-answer line is judged by its prose, not taken for a direct answer
    prose = "First, 5 - 5 = 0. Then 7 - 6 = 1. Next 7 - 1 = 6.\nFinal answer: 610"
    assert detector.detect(prose).strategy == "step-by-step"


def test_user_strategies_are_detected_by_their_shape(tmp_path):
    from cautious.strategies import load_catalog

    extra = tmp_path / "mine.yaml"
    extra.write_text(
        "- name: check-then-steps\n  description: d\n  sections: [guesses, steps, answer]\n  teacher_instruction: t\n",
        encoding="utf-8",
    )
    detector = StrategyDetector(load_catalog([extra]))
    assert detector.detect("Guess: 3\nCheck: no. Wrong.\nStep 1: a\nFinal answer: 4").strategy == "check-then-steps"


def test_a_degenerate_output_is_not_mistaken_for_a_direct_answer():
    from cautious.evaluate.detect import OTHER, heuristic_strategy

    assert heuristic_strategy(":" * 512) == OTHER
    assert heuristic_strategy("Final answer: 42") == "direct-answer"
