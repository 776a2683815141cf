"""`generate`: strategy maps, multi-call strategies, gold checking, flagged wrong answers."""

from __future__ import annotations

import pytest

from cautious.errors import UserError
from cautious.generate import GenerateConfig, answer_examples, generate, request_hash
from cautious.generate.strategy_map import read_strategy_map
from cautious.jsonl import read_records
from cautious.lab import families
from cautious.models.base import SamplingParams, load_model
from cautious.records import Message, TeacherAnswer
from cautious.strategies import get_strategy, load_catalog
from tests.conftest import ScriptedModel

CATALOG = load_catalog()


def test_strategy_map_from_a_name_or_a_yaml_file(tmp_path):
    assert read_strategy_map("step-by-step", ["a", "b"], CATALOG) == {"a": "step-by-step", "b": "step-by-step"}
    path = tmp_path / "map.yaml"
    path.write_text("arithmetic: step-by-step\ndefault: direct-answer\n")
    assert read_strategy_map(str(path), ["arithmetic", "comparison"], CATALOG) == {
        "arithmetic": "step-by-step",
        "comparison": "direct-answer",
    }


@pytest.mark.parametrize(
    "text, expected",
    [
        ("arithmetic: think-hard\n", "map.yaml:arithmetic: unknown strategy 'think-hard'"),
        ("counting: step-by-step\n", "no strategy for task 'arithmetic'"),
        ("- a\n- b\n", "expected a mapping"),
    ],
)
def test_bad_strategy_maps_are_one_clear_message(tmp_path, text, expected):
    path = tmp_path / "map.yaml"
    path.write_text(text)
    with pytest.raises(UserError) as err:
        read_strategy_map(str(path), ["arithmetic"], CATALOG)
    assert expected in str(err.value)


def test_multi_call_strategy_records_every_call_and_joins_the_response():
    strategy = get_strategy("recall-then-generate-2call")
    examples = families()["kb_recall"].examples("train", 5, seed=0)
    answers = answer_examples(load_model("lab", strategies=CATALOG), strategy, examples, SamplingParams())
    for a, ex in zip(answers, examples):
        assert [c.step for c in a.calls] == ["recall", "answer"]
        recall = a.calls[0].response.strip()
        assert recall.startswith("Recall:")
        assert recall in a.calls[1].messages[1].content  # the first call's output fed the second
        assert a.response == f"{recall}\nFinal answer: {ex.gold}" and a.correct
        # The logical conversation (what erase sees) is instruction + original question.
        assert a.messages[1].content == ex.input


def test_wrong_answers_are_kept_and_flagged(tmp_path):
    examples = families()["arithmetic"].examples("train", 4, seed=0)
    liar = ScriptedModel(lambda msgs: "Step 1: guess\nFinal answer: 7")
    out = tmp_path / "answers.jsonl"
    result = generate(liar, [(get_strategy("step-by-step"), examples)], GenerateConfig(out=out))
    records = read_records(out, TeacherAnswer)
    assert len(records) == 4 and not any(r.correct for r in records)
    assert all(r.extracted == "7" and r.gold == ex.gold for r, ex in zip(records, examples))
    assert result.summaries[0].accuracy == 0.0 and result.summaries[0].n == 4


def test_request_hash_covers_model_messages_params_and_sample_index():
    msgs = [Message(role="user", content="What is 1 + 1?")]
    base = request_hash("m", msgs, SamplingParams(), 0)
    assert base == request_hash("m", msgs, SamplingParams(), 0)
    assert base != request_hash("m2", msgs, SamplingParams(), 0)
    assert base != request_hash("m", msgs, SamplingParams(temperature=0.7), 0)
    assert base != request_hash("m", msgs, SamplingParams(), 1)
    assert base != request_hash("m", [Message(role="system", content="x"), *msgs], SamplingParams(), 0)
