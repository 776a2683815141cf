"""The LM head runs on trained positions only (`recipe.projects_only_kept`), and that changes
nothing but the work: the loss and every gradient equal the full projection's, also for a
micro-batch with no trained token (an idle rank's dummy row), and a model that cannot slice
keeps the full projection."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from _train_helpers import one_thread  # noqa: F401 (autouse)

from cautious.train import attention
from cautious.train.data import IGNORE, Sample, collate
from cautious.train.recipe import projects_only_kept, to_device

VARLEN = attention.register()


def tiny_llama(attn: str = "sdpa"):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=101, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, max_position_embeddings=256)  # fmt: skip
    model = LlamaForCausalLM(cfg)
    model.set_attn_implementation(attn)
    return model


def loss_and_grads(model, batch, kept: bool):
    model.zero_grad(set_to_none=True)
    inputs, targets = to_device(batch, "cpu"), batch["targets"]
    if kept:
        inputs["logits_to_keep"] = targets != IGNORE
        targets = targets[inputs["logits_to_keep"]]
    logits = model(**inputs, use_cache=False).logits
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE, reduction="sum")
    ce.backward()
    return ce.detach(), {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}, logits.shape


def rows(trained: bool = True) -> list[list[Sample]]:
    a = Sample(list(range(3, 15)), [i >= 5 and trained for i in range(12)], "a")
    b = Sample(list(range(20, 29)), [i >= 3 and trained for i in range(9)], "b")
    c = Sample(list(range(40, 47)), [i >= 2 and trained for i in range(7)], "c")
    return [[a, b], [c]]


@pytest.mark.parametrize("attn", ["sdpa", VARLEN])
def test_loss_and_gradients_equal_the_full_projection(attn):
    model = tiny_llama(attn)
    batch = collate(rows(), pad_id=0, attn_implementation=attn)
    full_loss, full_grads, full_shape = loss_and_grads(model, batch, kept=False)
    kept_loss, kept_grads, kept_shape = loss_and_grads(model, batch, kept=True)
    trained = int((batch["targets"] != IGNORE).sum())
    assert kept_shape == (trained, 101) and full_shape[:2] == batch["input_ids"].shape  # it did project fewer rows
    assert trained < batch["input_ids"].numel() // 2
    torch.testing.assert_close(kept_loss, full_loss, atol=1e-5, rtol=1e-5)
    assert kept_grads.keys() == full_grads.keys()
    for name in full_grads:
        torch.testing.assert_close(kept_grads[name], full_grads[name], atol=1e-6, rtol=1e-4, msg=name)


def test_a_micro_batch_without_trained_tokens_still_backpropagates_zero():
    model = tiny_llama()
    batch = collate(rows(trained=False), pad_id=0, attn_implementation="sdpa")
    loss, grads, shape = loss_and_grads(model, batch, kept=True)
    assert shape == (0, 101) and loss.item() == 0.0
    assert grads and all(float(g.abs().max()) == 0.0 for g in grads.values())


def test_the_probe_says_which_models_can_slice():
    from peft import LoraConfig, get_peft_model

    model = tiny_llama()
    assert projects_only_kept(model, "cpu")
    lora = get_peft_model(model, LoraConfig(r=2, lora_alpha=4, target_modules="all-linear", task_type="CAUSAL_LM"))
    assert projects_only_kept(lora, "cpu")  # peft passes the argument through to the base model

    class NoSlicing(torch.nn.Module):  # a forward without `logits_to_keep`: the full projection stays
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, use_cache=False):
            return self.inner(input_ids=input_ids, use_cache=use_cache)

    assert not projects_only_kept(NoSlicing(tiny_llama()), "cpu")


def test_train_takes_the_loss_on_trained_positions_only(tmp_path, monkeypatch):
    """`cautious train` itself uses the sliced head: every cross-entropy it computes has one row
    per trained token of its micro-batch, not one per position (lab-tiny, through accelerate)."""
    from _train_helpers import addition_chats, metrics, tiny_config, write_jsonl
    from cautious.train import train

    seen: list[tuple[int, int]] = []
    real = F.cross_entropy

    def spy(logits, targets, *a, **kw):
        seen.append((logits.shape[0], int((targets != IGNORE).sum())))
        return real(logits, targets, *a, **kw)

    monkeypatch.setattr(F, "cross_entropy", spy)
    data = write_jsonl(tmp_path / "train.jsonl", addition_chats(16))
    train(tiny_config(tmp_path / "out", [data], max_steps=2, precision="fp32"), log=lambda m: None)
    assert len(metrics(tmp_path / "out")) == 2 and seen
    assert all(rows == trained for rows, trained in seen), seen
