"""Eval's greedy decoding: a row that has finished leaves the batch, and every row still gets
exactly the tokens plain `generate` gives it (a tiny Llama, lab-tiny's token shift, the records
`cautious eval` writes). Sampling and logit-processing settings stay on `generate`."""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest

from _train_helpers import one_thread  # noqa: F401 (autouse)
from tiny_hf import make_tiny_llama

pytest.importorskip("transformers")

import torch  # noqa: E402
from transformers import GenerationConfig  # noqa: E402

from cautious.evaluate.conditions import parse_conditions  # noqa: E402
from cautious.evaluate.runner import run_eval  # noqa: E402
from cautious.models import decode  # noqa: E402
from cautious.models.base import SamplingParams, load_model  # noqa: E402
from cautious.records import Message  # noqa: E402
from cautious.tasks import resolve_tasks  # noqa: E402
from cautious.train.lab_llama import LabLlamaConfig, LabLlamaForCausalLM  # noqa: E402

QUESTIONS = ["What is 12 + 34?", "Evaluate: not True and ( False or True )", "Which number is larger: 4821 or 4812?",
             "How many fruits are in this list: apple, pear, saw?", "hi", "Step 1: ones: 2 + 4 = 6."]  # fmt: skip


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny_llama(tmp_path_factory.mktemp("tiny") / "llama", seed=3)


@contextmanager
def rows_per_step(model):
    """How many rows each decoding step computed: the prompt pass (however many forward calls it
    took) is step 0, and each later forward computes one new token per row still in the batch."""
    seen: list[int] = []
    prompt_pass = [False]  # whether the last forward read prompts

    def count(module, args, kwargs):
        rows, width = kwargs["input_ids"].shape
        if width > 1 and prompt_pass[0] and len(seen) == 1:
            seen[0] += rows  # another group of the prompt pass
        else:
            seen.append(rows)
        prompt_pass[0] = width > 1

    handle = model.register_forward_pre_hook(count, with_kwargs=True)
    try:
        yield seen
    finally:
        handle.remove()


def plain_generate(model, ids, mask, max_new: int, stops: list[int], **kw) -> list[list[int]]:
    """`model.generate`, greedy, each row cut after its first stop token (generate pads after it)."""
    config = GenerationConfig(max_new_tokens=max_new, do_sample=False, eos_token_id=stops, pad_token_id=0, **kw)
    with torch.no_grad():
        rows = model.generate(input_ids=ids, attention_mask=mask, generation_config=config)[:, ids.shape[1] :].tolist()
    return [row[: next((k + 1 for k, t in enumerate(row) if t in stops), len(row))] for row in rows]


def splitting_stop(rows: list[list[int]]) -> int:
    """A token that ends the rows at the most different steps (some early, some late or never)."""
    def ends(t):
        return [row.index(t) if t in row else len(row) for row in rows]
    return max(sorted({t for row in rows for t in row}), key=lambda t: (len(set(ends(t))), -min(ends(t))))


def chats(system: str = "") -> list[list[Message]]:
    return [[Message(role="system", content=system), Message(role="user", content=q)] for q in QUESTIONS]


def stop_mid_answer(model, max_tokens: int) -> None:
    """Make the random tiny model's rows end at different steps: stop at a token it emits mid-answer."""
    enc = model.tokenizer([model.render(c) for c in chats()], return_tensors="pt", padding=True, add_special_tokens=False)
    free = plain_generate(model.model, enc["input_ids"], enc["attention_mask"], max_tokens, [model.tokenizer.eos_token_id])
    model.stop_ids = [splitting_stop(free)]


def test_a_finished_row_is_no_longer_computed(tiny):
    model = load_model(f"hf:{tiny}")
    stop_mid_answer(model, 12)
    with rows_per_step(model.model) as rows:
        outs = model.chat(chats(), SamplingParams(max_tokens=12))
    steps = [o.completion_tokens + (o.finish_reason == "stop") for o in outs]  # forward passes each row took part in
    assert len(set(steps)) > 1, "the test needs rows that end at different steps"
    assert rows == [sum(s > k for s in steps) for k in range(max(steps))]
    assert sum(rows) < len(outs) * max(steps)  # static-batch generate computes every row at every step


def test_greedy_outputs_are_those_of_plain_generate(tiny, monkeypatch):
    model = load_model(f"hf:{tiny}")
    stop_mid_answer(model, 12)
    fast = model.chat(chats("You are a careful assistant."), SamplingParams(max_tokens=12))
    monkeypatch.setattr(decode, "fast_greedy_applies", lambda *a: False)  # today's path: model.generate
    with rows_per_step(model.model) as rows:
        plain = model.chat(chats("You are a careful assistant."), SamplingParams(max_tokens=12))
    assert len(set(rows)) == 1  # the reference really ran the static batch
    assert [(o.text, o.completion_tokens, o.finish_reason, o.prompt_tokens) for o in fast] == \
           [(o.text, o.completion_tokens, o.finish_reason, o.prompt_tokens) for o in plain]  # fmt: skip
    assert {o.finish_reason for o in fast} == {"stop", "length"}


def test_prompts_are_prefilled_in_groups_of_similar_length(tiny):
    """A batch's prompts are not all padded to its longest: each group of similar length pads to its own."""
    model = load_model(f"hf:{tiny}")
    convs = chats()
    lengths = sorted((len(model.tokenizer(model.render(c), add_special_tokens=False)["input_ids"]) for c in convs), reverse=True)
    shapes: list[tuple[int, int]] = []
    handle = model.model.model.embed_tokens.register_forward_hook(lambda m, args, out: shapes.append(tuple(args[0].shape)))
    try:
        model.chat(convs, SamplingParams(max_tokens=3))
    finally:
        handle.remove()
    prefill = [s for s in shapes if s[1] > 1]
    assert sum(r * w for r, w in prefill) == sum((end - start) * lengths[start] for start, end in decode.length_groups(lengths))
    assert len(prefill) > 1 and sum(r * w for r, w in prefill) < len(convs) * lengths[0]


def lab_tiny() -> LabLlamaForCausalLM:
    torch.manual_seed(0)
    cfg = LabLlamaConfig(token_shift=4, vocab_size=61, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, max_position_embeddings=256, pad_token_id=0, eos_token_id=1,
                         bos_token_id=None)  # fmt: skip
    model = LabLlamaForCausalLM(cfg).eval()
    with torch.no_grad():  # the earlier tokens count as much as the token itself
        for layer in model.token_shift:
            layer.weight.normal_(std=0.5)
    return model


def test_lab_tiny_token_shift_decodes_as_generate_when_rows_leave():
    model = lab_tiny()
    prompts = [[5, 9, 14, 3, 22, 8, 17], [30, 31, 12], [7, 7, 40, 2], [11, 50, 23, 23, 19, 4]]
    width = max(map(len, prompts))
    ids = torch.tensor([[0] * (width - len(p)) + p for p in prompts])
    mask = (ids != 0).long()
    stop = splitting_stop(plain_generate(model, ids, mask, 10, [1]))
    want = plain_generate(model, ids, mask, 10, [stop])
    uncached = plain_generate(model, ids, mask, 10, [stop], use_cache=False)
    with rows_per_step(model) as rows:
        got = decode.greedy_generate(model, ids, mask, 10, [stop])
    assert got == want == uncached
    assert len(set(map(len, got))) > 1 and rows[-1] < len(prompts)  # rows did leave, and the rest kept their history


def test_sampling_stop_strings_and_logit_settings_stay_on_generate(tiny):
    model = load_model(f"hf:{tiny}").model
    greedy = dict(max_new_tokens=4, do_sample=False, eos_token_id=[0], pad_token_id=2)
    assert decode.fast_greedy_applies(model, GenerationConfig(**greedy, temperature=None, top_p=None, top_k=None))
    assert not decode.fast_greedy_applies(model, GenerationConfig(**{**greedy, "do_sample": True}, temperature=0.7))
    assert not decode.fast_greedy_applies(model, GenerationConfig(**greedy, stop_strings=["Final"]))
    model.generation_config.repetition_penalty = 1.3  # the model's own config is merged in, as generate does
    assert not decode.fast_greedy_applies(model, GenerationConfig(**greedy))


def test_eval_records_match_those_of_plain_generate(tiny, tmp_path, monkeypatch):
    """`cautious eval` on an hf model writes the same records through either decoding path."""
    model = load_model(f"hf:{tiny}")
    stop_mid_answer(model, 10)
    tasks = resolve_tasks("arithmetic,counting")
    conditions = parse_conditions("empty,cautious")

    def records(out):
        run_eval(model, tasks, conditions, out, n=3, batch_size=8, max_new_tokens=10)
        return [{k: v for k, v in json.loads(line).items() if k not in ("created", "id")}
                for line in (out / "records.jsonl").read_text().splitlines()]  # fmt: skip

    fast = records(tmp_path / "fast")
    monkeypatch.setattr(decode, "fast_greedy_applies", lambda *a: False)
    plain = records(tmp_path / "plain")
    assert fast == plain and len(fast) == 12
    assert len({r["completion_tokens"] for r in fast}) > 1
