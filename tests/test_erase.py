"""Prompt erasure: the strategy instruction is replaced; the output is standard chat data."""

from __future__ import annotations

from cautious.erase import SYSTEM_PRESETS, erase
from cautious.generate import answer_examples
from cautious.jsonl import write_records
from cautious.lab import families
from cautious.models.base import SamplingParams, load_model
from cautious.strategies import get_strategy, load_catalog

CATALOG = load_catalog()
ORCA2 = (
    "You are Orca, an AI language model created by Microsoft. You are a cautious assistant. You carefully "
    "follow instructions. You are helpful and harmless and you follow ethical guidelines and promote positive behavior."
)


def _answers(n=6, strategy="step-by-step"):
    examples = families()["arithmetic"].examples("train", n, seed=0)
    return answer_examples(load_model("lab", strategies=CATALOG), get_strategy(strategy), examples, SamplingParams())


def test_instruction_is_replaced_by_each_preset_or_custom_text():
    answers = _answers()
    instruction = get_strategy("step-by-step").teacher_instruction
    assert SYSTEM_PRESETS["orca2"] == ORCA2
    for preset, text in [("cautious", SYSTEM_PRESETS["cautious"]), ("orca2", ORCA2), ("empty", ""), ("Be brief.", "Be brief.")]:
        chats, stats = erase(answers, system=preset)
        assert stats.written == len(answers)
        for chat, ans in zip(chats, answers):
            roles = [m.role for m in chat.messages]
            assert roles == ["system", "user", "assistant"]
            assert chat.messages[0].content == text and instruction not in chat.messages[0].content
            assert chat.messages[1].content == ans.messages[1].content
            assert chat.messages[2].content == ans.response
            assert chat.provenance.strategy == "step-by-step" and chat.provenance.example_id == ans.example_id


def test_a_list_of_generic_messages_gives_each_example_one_by_its_id():
    answers = _answers(40)
    chats, stats = erase(answers, system=["cautious", "empty"])
    assert stats.written == 40
    got = {c.provenance.example_id: (c.messages[0].content, c.provenance.system_message) for c in chats}
    assert {v for v in got.values()} == {(SYSTEM_PRESETS["cautious"], "cautious"), ("", "empty")}
    # stable: the same example gets the same message in another student's data, in any order
    again, _ = erase(list(reversed(_answers(40, "direct-answer"))), system=["cautious", "empty"])
    assert {c.provenance.example_id: (c.messages[0].content, c.provenance.system_message) for c in again} == got


def test_keep_instruction_is_the_no_erasure_ablation():
    chats, _ = erase(_answers(), keep_instruction=True)
    assert all(c.messages[0].content == get_strategy("step-by-step").teacher_instruction for c in chats)
    assert all(c.provenance.system_message == "original-instruction" for c in chats)


def test_incorrect_failed_and_repeated_answers_are_dropped_by_default():
    answers = _answers(6)
    answers[0] = answers[0].model_copy(update={"correct": False})
    answers[1] = answers[1].model_copy(update={"status": "truncated", "reason": "finish_reason=length"})
    answers.append(answers[2])
    chats, stats = erase(answers)
    assert (stats.read, stats.written, stats.dropped_incorrect, stats.dropped_errors, stats.dropped_duplicates) == (7, 4, 1, 1, 1)
    kept, _ = erase(answers, include_incorrect=True)
    assert len(kept) == 6


def test_output_loads_with_datasets_and_renders_with_a_chat_template(tmp_path):
    datasets = __import__("pytest").importorskip("datasets")
    chats, _ = erase(_answers(5, "recall-then-generate"), system="orca2")
    path = tmp_path / "train.jsonl"
    write_records(path, chats)
    ds = datasets.load_dataset("json", data_files=str(path), split="train")
    assert ds.num_rows == 5
    assert ds[0]["messages"][0] == {"role": "system", "content": ORCA2}
    assert [m["role"] for m in ds[0]["messages"]] == ["system", "user", "assistant"]
    # The `messages` column is what TRL's SFTTrainer and axolotl's chat_template loader read.
    from jinja2 import Template

    chatml = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    rendered = Template(chatml).render(messages=ds[0]["messages"])
    assert rendered.count("<|im_start|>") == 3 and "Recall:" in rendered
