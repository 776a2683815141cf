"""bench/eval_vs_generate.py's agreement check can fail: a planted difference between cautious's
output and plain generate's is counted and explained (where it diverges, the logit margin there);
identical outputs count as agreeing. Its smoke run is in tests/test_bench_smoke.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bench():
    spec = importlib.util.spec_from_file_location("eval_vs_generate_bench", ROOT / "bench" / "eval_vs_generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_planted_mismatch_is_counted_and_shown(tmp_path):
    b = bench()
    spec = b.tiny_model(tmp_path / "tiny")
    model, tokenizer = b.load_plain(spec)
    records = [{"task": "arithmetic", "condition": "empty", "example_id": f"a/{i}", "output": text}
               for i, text in enumerate(["Step 1: 3 + 4 = 7", "Final answer: 12", "same"])]  # fmt: skip
    plain = ["Step 1: 3 + 4 = 8", "Final answer: 12", "same"]
    prompts = ["<|im_start|>user\nWhat is 3 + 4?<|im_end|>\n<|im_start|>assistant\n"] * 3
    got = b.compare(records, plain, model, tokenizer, prompts, show=5)
    assert got["mismatches"] == 1 and got["agree"] == 2
    (shown,) = got["examples"]
    assert shown["example_id"] == "a/0" and shown["diverges_at_char"] == len("Step 1: 3 + 4 = ")
    assert shown["cautious"].endswith("7") and shown["plain"].endswith("8") and shown["batch1_margin_near_divergence"] >= 0


def test_plain_generate_stops_where_cautious_does(tmp_path):
    b = bench()
    model, tokenizer = b.load_plain(b.tiny_model(tmp_path / "tiny"))
    stops = b.stop_ids(model, tokenizer)
    assert tokenizer.convert_tokens_to_ids("<|im_end|>") in stops
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "What is 3 + 4?"}], tokenize=False, add_generation_prompt=True)
    (alone,), _ = b.plain_generate(model, tokenizer, [prompt], 1, 6, stops)
    batched, _ = b.plain_generate(model, tokenizer, [prompt, prompt + "x"], 2, 6, stops)
    assert batched[0] == alone and not set(alone) & set(stops)  # cut before the stop token, padding changes nothing here
