"""Students: the from-scratch `lab-tiny` Llama, or any Hugging Face causal LM.

lab-tiny gets a byte-level BPE tokenizer fitted on the training texts, with digits split one
per token (so column arithmetic sees every digit) and the ChatML tokens the paper added to
LLaMA-2 (`<|im_start|>`, `<|im_end|>`, a pad token). `<|im_end|>` is the eos token, so
`generate` stops at the end of an assistant turn with plain transformers.

A pretrained model keeps its own chat template; a base model without one gets ChatML added
(tokens + template + resized embeddings), exactly as Orca 2 did with LLaMA-2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from cautious.errors import UserError
from cautious.models.packaged import PREFIX, clear_gguf_fields, dequantized_folder, resolve_packaged
from cautious.train.config import LAB_TINY, LabTinyConfig, TrainConfig

IM_START, IM_END, PAD = "<|im_start|>", "<|im_end|>", "<|pad|>"

#: ChatML. The `{% generation %}` markers let transformers (and TRL) return assistant masks
#: too; our own labels do not depend on them (see `cautious.train.data`).
CHATML_TEMPLATE = (
    "{%- for message in messages %}"
    "{%- if message['role'] == 'assistant' %}"
    "{{ '<|im_start|>assistant\n' }}{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{{ '\n' }}"
    "{%- else %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{%- endif %}"
)


def fit_tokenizer(texts: Iterable[str], vocab_size: int):
    """A byte-level BPE fitted on `texts`: no unknown tokens, digits always split."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=[PAD, IM_START, IM_END],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    return wrap_tokenizer(tok)


def wrap_tokenizer(tok):
    """A `tokenizers.Tokenizer` (or its JSON) as a transformers tokenizer with ChatML and eos."""
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    if isinstance(tok, str):
        tok = Tokenizer.from_str(tok)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=IM_END,
        pad_token=PAD,
        extra_special_tokens=[IM_START],
        chat_template=CHATML_TEMPLATE,
        model_max_length=1_000_000,
    )


def build_lab_tiny(cfg: LabTinyConfig, tokenizer, max_len: int, attn_implementation: str | None):
    """A freshly initialised Llama sized by `cfg` (with its token shift, `cautious.train.lab_llama`,
    unless `token_shift` is 1); call after seeding for reproducible weights."""
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    from cautious.train.lab_llama import LabLlamaConfig, LabLlamaForCausalLM

    shifted = cfg.token_shift > 1
    config_class, model_class = (LabLlamaConfig, LabLlamaForCausalLM) if shifted else (LlamaConfig, LlamaForCausalLM)
    extra = {"token_shift": cfg.token_shift} if shifted else {}
    config = config_class(
        **extra,
        vocab_size=len(tokenizer),
        hidden_size=cfg.hidden_size,
        intermediate_size=cfg.intermediate_size,
        num_hidden_layers=cfg.num_layers,
        num_attention_heads=cfg.num_heads,
        num_key_value_heads=cfg.num_kv_heads or cfg.num_heads,
        max_position_embeddings=max(2048, max_len),
        rope_theta=cfg.rope_theta,
        tie_word_embeddings=cfg.tie_embeddings,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = model_class(config)
    if attn_implementation:
        model.set_attn_implementation(attn_implementation)
    model.generation_config = GenerationConfig(
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, do_sample=False
    )
    return model


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _source(cfg: TrainConfig) -> tuple[str, dict[str, Any]]:
    """(folder or hub id, from_pretrained kwargs) for `cfg.model`."""
    source = resolve_packaged(cfg.model)
    kwargs: dict[str, Any] = {"trust_remote_code": cfg.trust_remote_code}
    path = Path(source).expanduser()
    if cfg.model.startswith(PREFIX):  # a packaged GGUF: dequantized once, then a plain folder
        return str(dequantized_folder(path)), kwargs
    if source.endswith(".gguf"):
        if not path.is_file():
            raise UserError(f"model {source}: GGUF file not found")
        kwargs["gguf_file"] = path.name
        return str(path.parent), kwargs
    if source.startswith((".", "/", "~")) and not path.exists():
        raise UserError(f"model {source}: folder not found")
    return (str(path) if path.exists() else source), kwargs


def load_pretrained(cfg: TrainConfig):
    """A local folder, a hub id, or a `.gguf` file (dequantised by transformers)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from cautious.train.lab_llama import register

    register()  # a lab-tiny checkpoint (the probe a student starts from) loads like any Llama
    source, kwargs = _source(cfg)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(
            source, dtype=torch.float32, attn_implementation=cfg.attn_implementation, **kwargs
        )
    except (OSError, ValueError) as exc:
        raise UserError(f"model {cfg.model}: cannot load ({_first_line(exc)})") from None
    if "gguf_file" in kwargs:
        clear_gguf_fields(model)
    if not getattr(tokenizer, "is_fast", False):
        raise UserError(f"model {cfg.model}: needs a fast tokenizer (character offsets are used to place the labels)")
    add_chatml_if_missing(model, tokenizer)
    return model, tokenizer


def add_chatml_tokens(tokenizer) -> list[str]:
    """Give a template-less (base) tokenizer ChatML turns, as Orca 2 did for LLaMA-2."""
    added = []
    if tokenizer.pad_token is None:
        tokenizer.add_special_tokens({"pad_token": PAD})
        added.append(PAD)
    if not tokenizer.chat_template:
        tokenizer.add_special_tokens({"additional_special_tokens": [IM_START, IM_END]})
        tokenizer.chat_template = CHATML_TEMPLATE
        tokenizer.eos_token = IM_END
        added += [IM_START, IM_END]
    return added


def add_chatml_if_missing(model, tokenizer) -> None:
    """`add_chatml_tokens`, plus the new embedding rows and eos/pad ids on the model."""
    added = add_chatml_tokens(tokenizer)
    if added and len(tokenizer) > model.get_input_embeddings().weight.shape[0]:
        model.resize_token_embeddings(len(tokenizer), mean_resizing=True)
    model.config.pad_token_id = tokenizer.pad_token_id
    if IM_END in added:
        model.config.eos_token_id = tokenizer.eos_token_id
        model.generation_config.eos_token_id = tokenizer.eos_token_id
    if model.generation_config.pad_token_id is None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id


def load_tokenizer(cfg: TrainConfig, texts: Iterable[str] | None):
    """Only the tokenizer (for `--show-labels`): fitted for lab-tiny, loaded otherwise."""
    if cfg.model == LAB_TINY:
        return fit_tokenizer(texts or [], cfg.lab_tiny.vocab_size)
    from transformers import AutoTokenizer

    source, kwargs = _source(cfg)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
    except (OSError, ValueError) as exc:
        raise UserError(f"model {cfg.model}: cannot load its tokenizer ({_first_line(exc)})") from None
    add_chatml_tokens(tokenizer)
    return tokenizer


def load_student(cfg: TrainConfig, tokenizer=None, checkpoint: Path | None = None):
    """(model, tokenizer) for `cfg.model`.

    lab-tiny is built fresh around `tokenizer` (fitted by the caller), or, on resume, around
    the tokenizer saved in `checkpoint` — weights then come from the resume state.
    """
    if cfg.model != LAB_TINY:
        return load_pretrained(cfg)
    if checkpoint is not None:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    if tokenizer is None:
        raise ValueError("lab-tiny needs a fitted tokenizer or a checkpoint")
    return build_lab_tiny(cfg.lab_tiny, tokenizer, cfg.max_len, cfg.attn_implementation), tokenizer


# --------------------------------------------------------------------------- LoRA and export


def wrap_lora(model, lora):
    """Add LoRA adapters (peft); only the adapters train."""
    try:
        from peft import LoraConfig, get_peft_model
    except ImportError:  # pragma: no cover - peft is in the train extra
        raise UserError("LoRA needs peft: pip install 'cautious[train]'") from None
    config = LoraConfig(
        r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout, target_modules=lora.target_modules, task_type="CAUSAL_LM"
    )
    return get_peft_model(model, config)


def merged_state_dict(model) -> tuple[Any, dict]:
    """(base model, its state dict with LoRA deltas folded in) — adapters left untouched.

    Computing W + ΔW into a new dict, instead of merge/unmerge in place, leaves the training
    weights bit-identical, so exporting mid-run cannot perturb the loss curve.
    """
    from peft.tuners.lora import LoraLayer

    base = model.get_base_model()
    state: dict[str, Any] = {}
    for name, tensor in base.state_dict().items():
        if "lora_" in name or ".modules_to_save." in name:
            continue
        state[name.replace(".base_layer.", ".")] = tensor.detach()
    for name, module in base.named_modules():
        if isinstance(module, LoraLayer) and module.active_adapters:
            weight = module.get_base_layer().weight.detach().clone()
            for adapter in module.active_adapters:
                if adapter in module.lora_A:
                    weight += module.get_delta_weight(adapter).detach().to(weight.dtype)
            state[f"{name}.weight"] = weight
    return base, state


def save_hf(model, tokenizer, path: Path, state_dict: dict | None = None) -> None:
    """A checkpoint that `AutoModelForCausalLM.from_pretrained` + `generate` load as is."""
    path.mkdir(parents=True, exist_ok=True)
    if hasattr(model, "get_base_model"):
        model, state_dict = merged_state_dict(model)
    model.save_pretrained(path, state_dict=state_dict, safe_serialization=True)
    tokenizer.save_pretrained(path)
    # safetensors creates its files private (0600); a checkpoint is shared like any output.
    from cautious.paths import umask

    mode = 0o666 & ~umask()
    for weights in path.glob("*.safetensors"):
        if weights.stat().st_mode & 0o777 == 0o600 and mode != 0o600:
            weights.chmod(mode)


def count_params(model) -> dict[str, int]:
    """Total parameters, and those that do matmuls per token (all but the embedding lookup)."""
    total = sum(p.numel() for p in model.parameters())
    emb = model.get_input_embeddings().weight
    out = model.get_output_embeddings()
    tied = out is not None and out.weight is emb
    matmul = total - emb.numel() + (emb.numel() if tied else 0)
    return {"total": total, "matmul": matmul, "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad)}
