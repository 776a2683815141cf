"""Greedy decoding that stops computing a row once it has finished.

Why: `model.generate` decodes a static batch. A row that reaches its stop token is fed padding
and computed at every step until the batch's longest row ends. An eval batch mixes direct
answers (~7 tokens) with step-by-step ones (60-190), so most of a batch's late steps computed
rows whose output was already decided.

This loop takes the same step as generate's greedy search — the model's own
`prepare_inputs_for_generation` (so a model that needs more than the newest token, such as
lab-tiny's token shift, gets what generate gives it), a `DynamicCache`, the position ids from
the attention mask, the LM head on the last position only, argmax over fp32 logits — and then
removes the rows that just finished from the tokens, the mask, the position ids and the cache
(`Cache.batch_select_indices`). A surviving row keeps its own left padding and mask, so it
computes what it computed in the full batch and picks the same tokens.

It covers the greedy case only, and only when nothing in the model's generation config would
change generate's choice (a repetition penalty, suppressed tokens, a minimum length, ...):
`fast_greedy_applies` says when, and the caller uses `generate` otherwise. Sampling stays on
`generate` too, so a seeded sample draws the same random numbers as before.

Continuous batching (refilling the freed slots with waiting prompts) is what transformers 5.25's
`generate_batch` does. Measured on CPU (SmolLM2-135M, 16 lab prompts, 48 new tokens, 1 thread):
it gives the same tokens but took 42 s against plain batched generate's 16.5 s (its paged-cache
path is built for GPUs), and it cannot hand lab-tiny the tokens before each new one. So it is
not used; see docs/eval.md.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

import torch

#: Generation-config fields that do not change a greedy pick (sampling knobs are ignored when
#: `do_sample` is off) or that this loop reproduces itself (stops, lengths, padding, the cache).
#: Any other field set in the merged config sends the batch to `generate`.
GREEDY_NEUTRAL = frozenset({
    "max_new_tokens", "max_length", "do_sample", "temperature", "top_p", "top_k", "min_p", "typical_p", "top_h",
    "epsilon_cutoff", "eta_cutoff", "eos_token_id", "pad_token_id", "bos_token_id", "decoder_start_token_id",
    "use_cache", "num_beams", "num_return_sequences", "output_attentions", "output_hidden_states", "output_scores",
    "output_logits", "return_dict_in_generate", "transformers_version", "_from_model_config",
})  # fmt: skip


def fast_greedy_applies(model: Any, config: Any) -> bool:
    """Whether `greedy_generate` picks what `model.generate(generation_config=config)` would.

    Generate fills every field left unset (None) in `config` from the model's own generation
    config, so the check runs on that merge: greedy, one beam, one sequence, no stop strings,
    and nothing else that processes the logits or stops a row."""
    merged = copy.deepcopy(config)
    merged.update(**model.generation_config.to_dict(), defaults_only=True)
    if merged.do_sample or (merged.num_beams or 1) > 1 or (merged.num_return_sequences or 1) > 1:
        return False
    if getattr(model.config, "is_encoder_decoder", False):
        return False
    set_fields = {k for k, v in merged.to_diff_dict().items() if v is not None}
    return not (set_fields - GREEDY_NEUTRAL)


def _cache(model: Any):
    from transformers import DynamicCache

    return DynamicCache(config=model.config.get_text_config(decoder=True))  # what generate builds for a batch


@torch.inference_mode()
def greedy_generate(model: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor, max_new_tokens: int,
                    stop_ids: list[int]) -> list[list[int]]:  # fmt: skip
    """Each row's new tokens, up to and including its first stop token (or `max_new_tokens` of
    them). A row leaves the batch at the step it emits a stop token."""
    batch = input_ids.shape[0]
    out: list[list[int]] = [[] for _ in range(batch)]
    if max_new_tokens <= 0 or batch == 0:
        return out
    stops = torch.tensor(sorted(stop_ids), dtype=input_ids.dtype, device=input_ids.device)
    live = list(range(batch))  # the original row of each row still in the batch
    position_ids = (attention_mask.long().cumsum(-1) - 1).masked_fill(attention_mask == 0, 0)
    mask = None if bool((attention_mask == 1).all()) else attention_mask  # as generate: no padding, causal mask only
    extra: dict[str, Any] = {"cache": _cache(model), "use_cache": True}
    if "logits_to_keep" in inspect.signature(model.forward).parameters:  # generate's test: the LM head on the last position only
        extra["logits_to_keep"] = 1
    ids = input_ids
    for step in range(max_new_tokens):
        inputs = model.prepare_inputs_for_generation(
            ids, next_sequence_length=None if step == 0 else 1, attention_mask=mask, position_ids=position_ids,
            is_first_iteration=step == 0, **extra,
        )
        logits = model(**inputs, return_dict=True).logits
        next_tokens = logits[:, -1].to(dtype=torch.float32).argmax(dim=-1)
        for row, token in zip(live, next_tokens.tolist()):
            out[row].append(token)
        finished = torch.isin(next_tokens, stops)
        if step + 1 == max_new_tokens or bool(finished.all()):
            break
        ids = torch.cat([ids, next_tokens[:, None]], dim=-1)
        position_ids = torch.cat([position_ids, position_ids[:, -1:] + 1], dim=-1)
        if mask is not None:
            mask = torch.cat([mask, mask.new_ones((mask.shape[0], 1))], dim=-1)
        if bool(finished.any()):  # drop the finished rows: from here on they cost nothing
            keep = (~finished).nonzero().squeeze(1)
            live = [live[k] for k in keep.tolist()]
            ids, position_ids = ids[keep], position_ids[keep]
            mask = mask[keep] if mask is not None else None
            extra["cache"].batch_select_indices(keep)
    return out
