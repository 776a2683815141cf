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

The prompt pass has the same waste in space rather than time: every prompt is padded to the
batch's longest. `_prefill` runs it in groups of similar length and stacks their caches.

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


#: A prefill group ends where a row is shorter than this share of the group's longest row.
GROUP_SHARE = 0.8


def _cache(model: Any):
    from transformers import DynamicCache

    return DynamicCache(config=model.config.get_text_config(decoder=True))  # what generate builds for a batch


def length_groups(lengths: list[int], share: float = GROUP_SHARE) -> list[tuple[int, int]]:
    """Runs [start, end) of `lengths` (sorted longest first) whose rows are each at least
    `share` of the run's first: a group pads its prompts only to its own longest one."""
    groups: list[tuple[int, int]] = []
    for i, n in enumerate(lengths):
        if not groups or n < share * lengths[groups[-1][0]]:
            groups.append((i, i))
        groups[-1] = (groups[-1][0], i + 1)
    return groups


def _prefill(model: Any, ids, mask, position_ids, lengths: list[int], extra: dict[str, Any]):
    """The prompts' cache and each row's last logits. Rows sorted longest first are run in
    groups of similar length, each padded only to its own longest prompt, and the group caches
    are left-padded to the batch's width and stacked (the mask already hides that padding).
    Why: a batch's prompts pad to its longest, and in eval's mixed batches (26-139 tokens with
    SmolLM2) that was ~40% padding; prefilling it cost about what decoding the finished rows
    did. A row's prompt pass then has fewer padding positions before it, all masked, as a
    prompt alone has none: batched and one-at-a-time generate agree on every token in the bench
    (bench/eval_vs_generate.py), and the tests compare against generate's padded batch. A cache
    whose layers are not plain growing tensors (sliding windows) is prefilled whole."""
    from transformers.cache_utils import DynamicLayer

    groups = length_groups(lengths)
    width = ids.shape[1]
    plain = all(type(layer) is DynamicLayer for layer in _cache(model).layers)
    if len(groups) == 1 or not plain:
        groups = [(0, len(lengths))]
    caches, logits = [], []
    for start, end in groups:
        keep = width if len(groups) == 1 else lengths[start]
        cache = _cache(model)
        inputs = model.prepare_inputs_for_generation(
            ids[start:end, -keep:], attention_mask=None if mask is None else mask[start:end, -keep:],
            position_ids=position_ids[start:end, -keep:], is_first_iteration=True, **{**extra, "cache": cache},
        )
        logits.append(model(**inputs, return_dict=True).logits[:, -1])
        caches.append(cache)
    if len(caches) == 1:
        return caches[0], logits[0]
    merged = _cache(model)
    for i in range(len(merged.layers)):
        def stacked(part: str):
            return torch.cat([torch.nn.functional.pad(t, (0, 0, width - t.shape[-2], 0))
                              for t in (getattr(c.layers[i], part) for c in caches)])  # fmt: skip
        merged.update(stacked("keys"), stacked("values"), i)
    return merged, torch.cat(logits)


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
    lengths = attention_mask.sum(dim=1).tolist()
    live = sorted(range(batch), key=lambda r: -lengths[r])  # the original row of each row in the batch
    order = torch.tensor(live, device=input_ids.device)
    ids, attention_mask = input_ids[order], attention_mask[order]
    position_ids = (attention_mask.long().cumsum(-1) - 1).masked_fill(attention_mask == 0, 0)
    mask = None if bool((attention_mask == 1).all()) else attention_mask  # as generate: no padding, causal mask only
    extra: dict[str, Any] = {"use_cache": True}
    if "logits_to_keep" in inspect.signature(model.forward).parameters:  # generate's test: the LM head on the last position only
        extra["logits_to_keep"] = 1
    cache, logits = _prefill(model, ids, mask, position_ids, [lengths[r] for r in live], extra)
    for step in range(max_new_tokens):
        if step:
            inputs = model.prepare_inputs_for_generation(ids, next_sequence_length=1, attention_mask=mask,
                                                         position_ids=position_ids, cache=cache, **extra)  # fmt: skip
            logits = model(**inputs, return_dict=True).logits[:, -1]
        next_tokens = logits.to(dtype=torch.float32).argmax(dim=-1)
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
            cache.batch_select_indices(keep)
    return out
