"""Local Hugging Face models (backend `hf`): `hf:PATH_OR_HUB_ID`, or `hf:path/to/model.gguf`.

Generation is what zero-shot evaluation (and a local teacher) needs, done the way the
reference harnesses do it:
- the model's own chat template, with the generation prompt (`add_generation_prompt=True`);
  the rendered text is tokenized without adding special tokens again (the template has them);
- an empty system message is sent as an empty system turn — the paper's "empty system
  message" — because leaving it out lets some templates insert a default system prompt of
  their own. A template that rejects the system role (it raises) gets the conversation without
  it, and the model says so once (`notes`, also recorded in eval run folders);
- batches are left-padded and decoded with the KV cache; greedy batches drop each row from the
  batch as it finishes (`cautious.models.decode`), instead of computing it until the longest
  row ends as `generate` does; each row stops at the end of its turn
  (the tokenizer's eos, the generation config's eos ids, and the end-of-turn tokens of common
  chat formats present in the vocabulary, e.g. ChatML's `<|im_end|>`) or at `max_tokens`;
- greedy unless `temperature > 0`; fp32 on CPU (bf16 on a GPU that supports it);
- token counts come from the tokenizer: prompt tokens without padding, completion tokens up to
  (not including) the stop token; `finish_reason` is "stop" or "length".

GGUF files are dequantized by transformers (`gguf_file=`, needs the `gguf` package); the
tokenizer and its chat template come from the file's metadata. `trust_remote_code` stays off
unless asked for (`load_model("hf:x", trust_remote_code=True)`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from cautious.errors import UserError
from cautious.models.chat import ChatModel, Completion, SamplingParams
from cautious.models.folder import check_model_folder
from cautious.models.packaged import PREFIX, dequantized_folder, resolve_packaged
from cautious.records import Message

log = logging.getLogger("cautious.models.hf")

#: End-of-turn tokens of common chat formats; each one present in a vocabulary stops generation.
END_OF_TURN_TOKENS = ("<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|end_of_text|>")


def split_spec(spec: str) -> tuple[str, str | None]:
    """(directory or hub id, GGUF file name or None) for `from_pretrained`; `pkg:DIST` is the
    GGUF file an installed package ships (`cautious.models.packaged`)."""
    spec = resolve_packaged(spec)
    if spec.lower().endswith(".gguf"):
        path = Path(spec)
        if not path.is_file():
            raise UserError(f"{spec}: GGUF file not found")
        return str(path.resolve().parent), path.name
    return spec, None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class HFChatModel(ChatModel):
    def __init__(
        self,
        spec: str,
        *,
        device: str | None = None,
        dtype: str | None = None,
        batch_size: int | None = None,
        trust_remote_code: bool = False,
        revision: str | None = None,
    ) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        from cautious.train.lab_llama import register as register_lab_llama

        hf_logging.disable_progress_bar()  # no "Loading weights" bars between a command's lines
        if not spec:
            raise UserError("the hf backend needs a model: `hf:PATH` (a checkpoint folder or .gguf file) or `hf:HUB_ID`")
        self.name = f"hf:{spec}"
        self.notes: list[str] = []
        self.batch_size = batch_size
        source, gguf = split_spec(spec)
        if gguf and spec.startswith(PREFIX):  # a packaged GGUF: dequantized once, then a plain folder
            source, gguf = str(dequantized_folder(Path(source) / gguf)), None
        local = Path(source).exists()
        if not local and not gguf and (spec.startswith((".", "/", "~")) or spec.count("/") > 1):
            raise UserError(f"{spec}: model folder not found")
        if local and not gguf:
            check_model_folder(source)  # an empty or half-copied folder: which part is missing, not a tokenizer error
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if dtype is None:
            torch_dtype = torch.float32
            if self.device.type == "cuda" and torch.cuda.is_bf16_supported():
                torch_dtype = torch.bfloat16
        else:
            torch_dtype = getattr(torch, dtype)
        kwargs: dict[str, Any] = {"trust_remote_code": trust_remote_code}
        if revision:
            kwargs["revision"] = revision
        if gguf:
            kwargs["gguf_file"] = gguf
        register_lab_llama()  # lab-tiny checkpoints (model_type cautious_lab_llama) load like any Llama
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
            self.model = AutoModelForCausalLM.from_pretrained(source, dtype=torch_dtype, **kwargs)
        except ImportError:
            raise
        except Exception as exc:  # noqa: BLE001 - any loading failure is the user's model, say which
            raise UserError(f"cannot load model {spec!r}: {_first_line(exc)}") from None
        self.model.to(self.device).eval()
        tok = self.tokenizer
        if not getattr(tok, "chat_template", None):
            raise UserError(f"model {spec!r} has no chat template (tokenizer chat_template); cautious evaluates chat models")
        tok.padding_side = "left"
        if tok.pad_token_id is None:
            tok.pad_token = tok.eos_token if tok.eos_token is not None else tok.unk_token
        self.pad_id = tok.pad_token_id
        self.stop_ids = sorted(self._stop_ids())
        if not self.stop_ids:
            raise UserError(f"model {spec!r}: its tokenizer has no end-of-turn or eos token to stop at")
        self._system_ok: bool | None = None

    def _stop_ids(self) -> set[int]:
        tok = self.tokenizer
        ids: set[int] = set()
        if tok.eos_token_id is not None:
            ids.add(int(tok.eos_token_id))
        gen_eos = getattr(getattr(self.model, "generation_config", None), "eos_token_id", None)
        if isinstance(gen_eos, int):
            ids.add(gen_eos)
        elif isinstance(gen_eos, (list, tuple)):
            ids.update(int(i) for i in gen_eos)
        vocab = tok.get_vocab()
        for token in END_OF_TURN_TOKENS:
            if token in vocab:
                ids.add(int(vocab[token]))
        return ids

    # -- prompts ----------------------------------------------------------------------------
    def render(self, messages: list[Message]) -> str:
        """The conversation as the model sees it: chat template plus the generation prompt."""
        from jinja2.exceptions import TemplateError

        chat = [{"role": m.role, "content": m.content} for m in messages]
        if self._system_ok is not False:
            try:
                text = self.tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
                if any(m.role == "system" for m in messages):
                    self._system_ok = True
                return text
            except TemplateError as exc:
                if not any(m.role == "system" for m in messages):
                    raise UserError(f"{self.name}: its chat template failed on this conversation ({exc})") from None
                self._system_ok = False
                note = f"{self.name}: the chat template rejects a system message; system messages are dropped"
                self.notes.append(note)
                log.warning(note)
        chat = [c for c in chat if c["role"] != "system"]
        try:
            return self.tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
        except TemplateError as exc:
            raise UserError(f"{self.name}: its chat template failed on this conversation ({exc})") from None

    # -- generation -------------------------------------------------------------------------
    def chat(self, batch: list[list[Message]], params: SamplingParams) -> list[Completion]:
        if not batch:
            return []
        texts = [self.render(m) for m in batch]
        size = self.batch_size or len(texts)
        # Longest first, so each micro-batch pads little and memory peaks early.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out: list[Completion | None] = [None] * len(texts)
        for start in range(0, len(order), size):
            idx = order[start : start + size]
            for i, comp in zip(idx, self._generate([texts[i] for i in idx], params)):
                out[i] = comp
        return out  # type: ignore[return-value]

    def _generate(self, texts: list[str], params: SamplingParams) -> list[Completion]:
        import torch
        from transformers import GenerationConfig

        from cautious.models.decode import fast_greedy_applies, greedy_generate  # torch: imported when a model runs

        enc = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.device)
        sample = params.temperature > 0
        config = GenerationConfig(
            max_new_tokens=params.max_tokens,
            do_sample=sample,
            temperature=params.temperature if sample else None,
            top_p=params.top_p if sample else None,
            top_k=None,
            eos_token_id=self.stop_ids,
            pad_token_id=self.pad_id,
            use_cache=True,
        )
        extra: dict[str, Any] = {}
        if params.stop:
            config.stop_strings = list(params.stop)
            extra["tokenizer"] = self.tokenizer
        if sample and params.seed is not None:
            torch.manual_seed(params.seed)
        if fast_greedy_applies(self.model, config):  # finished rows leave the batch (cautious.models.decode)
            new = greedy_generate(self.model, enc["input_ids"], enc["attention_mask"], params.max_tokens, self.stop_ids)
        else:
            with torch.inference_mode():
                generated = self.model.generate(**enc, generation_config=config, **extra)
            new = generated[:, enc["input_ids"].shape[1] :].tolist()
        prompt_lens = enc["attention_mask"].sum(dim=1).tolist()
        stops = set(self.stop_ids)
        out = []
        for row, plen in zip(new, prompt_lens):
            end = next((k for k, t in enumerate(row) if t in stops), None)
            tokens = row if end is None else row[:end]
            finish = "length" if end is None else "stop"
            text = self.tokenizer.decode(tokens, skip_special_tokens=True)
            for s in params.stop:
                if s in text:
                    text, finish = text[: text.index(s)], "stop"
            out.append(Completion(text=text.strip(), prompt_tokens=int(plen), completion_tokens=len(tokens), finish_reason=finish, model=self.name))
        return out

    def close(self) -> None:
        self.model = None  # type: ignore[assignment]


def hf_backend(arg: str, **options: Any) -> ChatModel:
    return HFChatModel(arg, **options)
