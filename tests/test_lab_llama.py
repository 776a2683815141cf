"""lab-tiny's token shift: the same numbers packed or alone, cached or not, padded or not, saved or not."""

from __future__ import annotations

import pytest
import torch

from _train_helpers import one_thread  # noqa: F401 (autouse)

from cautious.train.config import LabTinyConfig
from cautious.train.data import Sample, collate, pack_bfd
from cautious.train.lab_llama import MODEL_TYPE, LabLlamaConfig, LabLlamaForCausalLM
from cautious.train.recipe import to_device

PAD = 0


def shifted_llama(token_shift: int = 4, attn: str = "sdpa") -> LabLlamaForCausalLM:
    torch.manual_seed(0)
    cfg = LabLlamaConfig(token_shift=token_shift, vocab_size=61, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, max_position_embeddings=256, pad_token_id=PAD, eos_token_id=1,
                         bos_token_id=None)  # fmt: skip
    model = LabLlamaForCausalLM(cfg).eval()
    with torch.no_grad():  # make the earlier tokens count as much as the token itself
        for layer in model.token_shift:
            layer.weight.normal_(std=0.5)
    model.set_attn_implementation(attn)
    return model


def test_the_shift_reads_earlier_tokens_and_nothing_later():
    model = shifted_llama()
    ids = torch.tensor([[5, 6, 7, 8, 9, 10]])
    base = model.shifted_embeddings(ids, None)
    changed = ids.clone()
    changed[0, 2] = 40  # positions 2..5 see it (itself and 3 tokens on); 0, 1 do not
    after = model.shifted_embeddings(changed, None)
    moved = [not torch.allclose(base[0, t], after[0, t]) for t in range(6)]
    assert moved == [False, False, True, True, True, True]


def test_token_shift_1_is_a_plain_llama():
    model = shifted_llama(token_shift=1)
    ids = torch.tensor([[5, 6, 7]])
    assert len(model.token_shift) == 0
    assert torch.equal(model.shifted_embeddings(ids, None), model.model.embed_tokens(ids))


@pytest.mark.parametrize("attn", ["sdpa", "cautious_varlen_sdpa"])
def test_packed_rows_never_shift_across_examples(attn):
    """An example packed after another computes exactly what it computes alone."""
    from cautious.train import attention

    attention.register()
    model = shifted_llama(attn=attn)
    samples = [Sample([3 + (7 * k + i) % 50 for i in range(n)], [True] * n, f"s{k}") for k, n in enumerate([9, 5, 12, 7])]
    bins = pack_bfd(list(range(4)), [len(s) for s in samples], 40)
    batch = collate([[samples[i] for i in b] for b in bins], pad_id=PAD, attn_implementation=attn)
    with torch.no_grad():
        packed = model(**to_device(batch, "cpu")).logits
        model.set_attn_implementation("sdpa")
        for r, row in enumerate(bins):
            t = 0
            for i in row:
                n = len(samples[i])
                want = model(input_ids=torch.tensor([samples[i].input_ids])).logits[0]
                torch.testing.assert_close(packed[r, t : t + n], want, atol=1e-4, rtol=1e-4)
                t += n


def test_cached_generation_equals_uncached_and_padding_changes_nothing(monkeypatch):
    model = shifted_llama()
    prompts = [[5, 9, 14, 3, 22, 8, 17], [30, 31, 12]]
    width = max(map(len, prompts))
    ids = torch.tensor([[PAD] * (width - len(p)) + p for p in prompts])
    mask = (ids != PAD).long()
    kw = {"max_new_tokens": 8, "do_sample": False, "pad_token_id": PAD, "eos_token_id": None}
    with torch.no_grad():
        cached = model.generate(input_ids=ids, attention_mask=mask, **kw)[:, width:]
        uncached = model.generate(input_ids=ids, attention_mask=mask, use_cache=False, **kw)[:, width:]
        alone = [model.generate(input_ids=torch.tensor([p]), **kw)[0, len(p) :] for p in prompts]
    assert torch.equal(cached, uncached)
    for row, want in zip(cached, alone):
        assert torch.equal(row, want)
    # the check can fail: without the history, cached steps see padding where the earlier tokens were
    from transformers import LlamaForCausalLM

    monkeypatch.setattr(LabLlamaForCausalLM, "prepare_inputs_for_generation", LlamaForCausalLM.prepare_inputs_for_generation)
    with torch.no_grad():
        forgetful = model.generate(input_ids=ids, attention_mask=mask, **kw)[:, width:]
    assert not torch.equal(forgetful, cached)


def test_checkpoint_round_trip_through_auto_classes(tmp_path):
    from transformers import AutoModelForCausalLM

    model = shifted_llama()
    model.save_pretrained(tmp_path)
    loaded = AutoModelForCausalLM.from_pretrained(tmp_path).eval()
    assert loaded.config.model_type == MODEL_TYPE and loaded.config.token_shift == 4
    ids = torch.tensor([[4, 8, 15, 16, 23, 42]])
    with torch.no_grad():
        torch.testing.assert_close(loaded(input_ids=ids).logits, model(input_ids=ids).logits)


def test_lab_tiny_config_defaults_to_the_shift_and_bounds_it():
    assert LabTinyConfig().token_shift == 4
    with pytest.raises(ValueError):
        LabTinyConfig(token_shift=0)
