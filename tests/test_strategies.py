"""The strategy catalog: the paper's seven strategies built in, user strategies from YAML."""

from __future__ import annotations

import pytest

from cautious.errors import UserError
from cautious.shapes import FINAL_ANSWER_PREFIX, LABELS, NUMBERED, PAPER_STRATEGIES, SECTIONS
from cautious.strategies import get_strategy, load_catalog


def test_catalog_has_the_papers_strategies_with_detailed_instructions():
    catalog = load_catalog()
    assert list(catalog)[: len(PAPER_STRATEGIES)] == list(PAPER_STRATEGIES)  # the names the rest of cautious uses
    for name in PAPER_STRATEGIES:
        s = catalog[name]
        assert len(s.teacher_instruction) > 300, f"{name}: the teacher instruction should be detailed"
        assert "Final answer:" in s.teacher_instruction
        assert s.sections[-1] == "answer"


def test_every_instruction_asks_for_the_labels_of_its_shape():
    assert SECTIONS[-1] == "answer" and FINAL_ANSWER_PREFIX == "Final answer:"
    for s in load_catalog().values():
        for call in s.calls():
            for section in call.sections:
                for label in LABELS[section]:
                    asked = f"{label} 1:" if section in NUMBERED else f"{label}:"
                    assert asked in call.system, f"{s.name}/{call.name}: the instruction never shows {asked!r}"


def test_multi_call_strategy_feeds_earlier_outputs_into_later_calls():
    s = get_strategy("recall-then-generate-2call")
    calls = s.calls()
    assert [c.name for c in calls] == ["recall", "answer"]
    assert "{recall}" in calls[1].user
    assert s.response_template == "{recall}\n{answer}"


def test_user_strategies_load_from_yaml_and_may_replace_builtins(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        "- name: tabulate\n  description: Make a table, then answer.\n  sections: [steps, answer]\n"
        "  teacher_instruction: \"Put the facts in a table, one row per step, then end with 'Final answer: <answer>'.\"\n"
        "- name: direct-answer\n  description: terse\n  sections: [answer]\n  teacher_instruction: Just answer.\n"
    )
    catalog = load_catalog([path])
    assert catalog["tabulate"].source == str(path)
    assert catalog["direct-answer"].teacher_instruction == "Just answer."
    assert len(catalog) == len(load_catalog()) + 1


@pytest.mark.parametrize(
    "text, expected",
    [
        ("- name: x\n  description: d\n  sections: [answer]\n", "entry 0 (x): teacher_instruction: missing field"),
        ("- name: x\n  description: d\n  teacher_instruction: i\n  sections: [steps, poem, answer]\n", "unknown section 'poem'"),
        ("- name: x\n  description: d\n  teacher_instruction: i\n  sections: [steps]\n", "must end with `answer`"),
        ("- name: [unclosed\n", "malformed YAML"),
        ("{}\n", "expected a non-empty YAML list"),
    ],
)
def test_bad_strategy_files_are_one_clear_message(tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(UserError) as err:
        load_catalog([path])
    assert expected in str(err.value) and "bad.yaml" in str(err.value)


def test_unknown_strategy_lists_the_valid_ones():
    with pytest.raises(UserError) as err:
        get_strategy("think-hard")
    assert "think-hard" in str(err.value) and "step-by-step" in str(err.value)
