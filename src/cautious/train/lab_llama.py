"""`lab-tiny`'s shape: a Llama whose input embedding also sees the few tokens before it.

Why: every lab answer copies from its question (a column's digits, the next word of a list,
the larger number). A transformer copies through an *induction* circuit — one head writes
"the token before me" into each position, a later head matches it — and a from-scratch
~1M-parameter Llama forms that circuit late and abruptly, at a step that varies from run to
run (measured in the lab: no held-out copying after 600 steps of a pure copy task; 20% after
500 steps of batch 32 on random 3–8 token lists). Giving each position the embeddings of
the `token_shift - 1` tokens before it, through one learned linear map per offset, hands the
model the first half of that circuit: on the same copy task it reached 82% at step 100 and
98% at step 200. This is the "smeared key" of Olsson et al. (2022, *In-context learning and
induction heads*) and the short causal convolution of Canon layers (Allen-Zhu, 2025) and of
H3/Mamba, applied once, at the input. Everything else is `LlamaForCausalLM`, so training,
LoRA, `generate` and the KV cache work unchanged.

A shift never crosses a sequence start: the token `j` back is used only where the position
id is ≥ `j`, which is exactly the same-example condition for packed rows (position ids restart
at 0 per example) and for left-padded generation (position ids count real tokens only).
During cached generation `prepare_inputs_for_generation` passes the `token_shift - 1` tokens
before the new ones as `shift_history`, so the embeddings match the uncached forward.

The checkpoint is a normal transformers folder (`model_type: cautious_lab_llama`);
`register()` — called by every loader in cautious — makes `AutoModelForCausalLM` load it.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import AutoConfig, AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

MODEL_TYPE = "cautious_lab_llama"


class LabLlamaConfig(LlamaConfig):
    """`LlamaConfig` plus `token_shift`: how many tokens (itself included) each input embedding sees."""

    model_type = MODEL_TYPE

    def __init__(self, token_shift: int = 4, **kwargs) -> None:
        self.token_shift = token_shift
        super().__init__(**kwargs)


class LabLlamaForCausalLM(LlamaForCausalLM):
    config_class = LabLlamaConfig

    def __init__(self, config: LabLlamaConfig) -> None:
        super().__init__(config)
        width = max(int(config.token_shift), 1)
        self.token_shift = nn.ModuleList(nn.Linear(config.hidden_size, config.hidden_size, bias=False) for _ in range(width - 1))
        for layer in self.token_shift:
            nn.init.normal_(layer.weight, std=config.initializer_range)

    def shifted_embeddings(self, input_ids, position_ids, history=None):
        """Token embeddings plus, for each offset j, a learned map of the embedding j tokens back."""
        embed = self.model.embed_tokens
        x = embed(input_ids)
        back = len(self.token_shift)
        if not back:
            return x
        batch, length = input_ids.shape
        if history is None:
            history = input_ids.new_full((batch, back), self.config.pad_token_id or 0)
        ids = torch.cat([history[:, -back:], input_ids], dim=1)
        if ids.shape[1] < length + back:  # a history shorter than the window: pad on the left
            ids = torch.cat([ids.new_full((batch, length + back - ids.shape[1]), self.config.pad_token_id or 0), ids], dim=1)
        wide = embed(ids)
        if position_ids is None:
            position_ids = torch.arange(length, device=input_ids.device).expand(batch, length)
        for j, layer in enumerate(self.token_shift, start=1):
            earlier = wide[:, back - j : back - j + length]
            keep = (position_ids >= j).unsqueeze(-1).to(x.dtype)
            x = x + layer(earlier) * keep
        return x

    def forward(self, input_ids=None, attention_mask=None, position_ids=None, inputs_embeds=None, shift_history=None, **kwargs):
        if inputs_embeds is None and input_ids is not None:
            if position_ids is None and attention_mask is not None and attention_mask.ndim == 2 and shift_history is None:
                position_ids = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
            inputs_embeds = self.shifted_embeddings(input_ids, position_ids, shift_history)
            input_ids = None
        return super().forward(
            input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids, inputs_embeds=inputs_embeds, **kwargs
        )

    def prepare_inputs_for_generation(self, input_ids, *args, **kwargs):
        inputs = super().prepare_inputs_for_generation(input_ids, *args, **kwargs)
        new = inputs.get("input_ids")
        back = len(self.token_shift)
        if new is not None and back and new.shape[1] < input_ids.shape[1]:
            end = input_ids.shape[1] - new.shape[1]
            inputs["shift_history"] = input_ids[:, max(0, end - back) : end]
        return inputs


def register() -> None:
    """Let `AutoConfig` / `AutoModelForCausalLM` load lab-tiny checkpoints (idempotent)."""
    try:
        AutoConfig.register(MODEL_TYPE, LabLlamaConfig)
    except ValueError:  # already registered in this process
        pass
    try:
        AutoModelForCausalLM.register(LabLlamaConfig, LabLlamaForCausalLM)
    except ValueError:
        pass


register()
