"""The `hf` backend: chat template, empty system turn, batched greedy decoding, stops, token counts."""

from __future__ import annotations

import logging

import pytest

from cautious.errors import UserError
from cautious.models.base import SamplingParams, load_model
from cautious.records import Message
from tiny_hf import NO_SYSTEM, make_tiny_llama

pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny_llama(tmp_path_factory.mktemp("tiny") / "llama")


def chat(system: str | None, user: str) -> list[Message]:
    msgs = [Message(role="system", content=system)] if system is not None else []
    return msgs + [Message(role="user", content=user)]


def test_empty_system_message_is_an_empty_system_turn(tiny):
    model = load_model(f"hf:{tiny}")
    prompt = model.render(chat("", "What is 12 + 34?"))
    assert prompt == "<|im_start|>system\n<|im_end|>\n<|im_start|>user\nWhat is 12 + 34?<|im_end|>\n<|im_start|>assistant\n"
    assert model.notes == []


def test_template_without_system_role_drops_it_and_says_so_once(tmp_path, caplog):
    path = make_tiny_llama(tmp_path / "nosys", template=NO_SYSTEM)
    model = load_model(f"hf:{path}")
    with caplog.at_level(logging.WARNING, logger="cautious.models.hf"):
        outs = model.chat([chat("", "hi"), chat("You are careful.", "hello")], SamplingParams(max_tokens=3))
        model.chat([chat("", "again")], SamplingParams(max_tokens=3))
    assert len(outs) == 2 and "<|im_start|>system" not in model.render(chat("x y", "hi"))
    assert len(model.notes) == 1 and "rejects a system message" in model.notes[0]
    assert sum("rejects a system message" in r.message for r in caplog.records) == 1


def test_batched_left_padded_greedy_equals_one_at_a_time(tiny):
    model = load_model(f"hf:{tiny}")
    convs = [chat("", "What is 12 + 34?"), chat("You are a careful assistant.", "Evaluate: not True and ( False or True )"),
             chat("", "Which number is larger: 4821 or 4812? Options: (A) grey book (B) yellow book")]
    params = SamplingParams(max_tokens=6)
    batched = model.chat(convs, params)
    single = [model.chat([c], params)[0] for c in convs]
    assert [b.text for b in batched] == [s.text for s in single]
    assert [b.prompt_tokens for b in batched] == [s.prompt_tokens for s in single]
    lens = [len(model.tokenizer(model.render(c), add_special_tokens=False)["input_ids"]) for c in convs]
    assert [b.prompt_tokens for b in batched] == lens  # padding is not counted
    assert all(b.completion_tokens == 6 and b.finish_reason == "length" for b in batched)


def test_stops_at_end_of_turn(tmp_path):
    path = make_tiny_llama(tmp_path / "eos", always_eos=True)
    model = load_model(f"hf:{path}")
    [out] = model.chat([chat("", "hi")], SamplingParams(max_tokens=20))
    assert (out.text, out.completion_tokens, out.finish_reason) == ("", 0, "stop")
    assert model.tokenizer.convert_tokens_to_ids("<|im_end|>") in model.stop_ids


def test_bad_model_paths_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="model folder not found"):
        load_model(f"hf:{tmp_path}/missing/model")
    with pytest.raises(UserError, match="GGUF file not found"):
        load_model(f"hf:{tmp_path}/m.gguf")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="empty: is empty: it has no config.json, tokenizer .* or weights"):
        load_model(f"hf:{tmp_path / 'empty'}")
    corrupt = tmp_path / "corrupt"  # every part there, but not loadable: transformers' reason, in one line
    corrupt.mkdir()
    for name in ("config.json", "tokenizer.json", "model.safetensors"):
        (corrupt / name).write_text("not what it should be")
    with pytest.raises(UserError, match="cannot load model"):
        load_model(f"hf:{corrupt}")
