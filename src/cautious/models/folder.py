"""Is a local folder a whole Hugging Face model? Checked before transformers is asked.

Why: given an empty or half-copied folder (`hf:PATH`, `train --model PATH`), transformers
fails deep inside with "Couldn't instantiate the backend tokenizer from one of: ..." or a
missing-file error about some other name, which says neither which folder nor what to fix.
A model folder needs three things; this names the folder and each one that is missing.
"""

from __future__ import annotations

from pathlib import Path

from cautious.errors import UserError

#: Any one of these is a tokenizer transformers can load (fast JSON, sentencepiece, BPE, WordPiece).
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "spiece.model", "sentencepiece.bpe.model", "vocab.json", "vocab.txt")
#: Any one of these holds (or indexes) the weights.
WEIGHT_PATTERNS = ("*.safetensors", "pytorch_model*.bin", "model.safetensors.index.json", "tf_model.h5", "flax_model.msgpack")


def missing_parts(folder: Path) -> list[str]:
    """What a model folder lacks, in words a user can act on (empty: nothing)."""
    missing = []
    if not (folder / "config.json").is_file():
        missing.append("config.json")
    if not any((folder / name).is_file() for name in TOKENIZER_FILES):
        missing.append("tokenizer (tokenizer.json, tokenizer.model or vocab.json)")
    if not any(next(folder.glob(pattern), None) for pattern in WEIGHT_PATTERNS):
        missing.append("weights (*.safetensors or pytorch_model.bin)")
    return missing


def check_model_folder(path: str | Path, where: str = "") -> None:
    """Refuse, in one line, an existing folder that is not a whole model; anything else
    (a hub id, a .gguf file, `lab-tiny`) is left to its loader."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        return
    missing = missing_parts(folder)
    if not missing:
        return
    empty = not any(folder.iterdir())
    what = "is empty" if empty else "is not a whole model folder"
    raise UserError(f"{where}{folder}: {what}: it has no {_join(missing)} (a model folder holds config.json, a tokenizer "
                    "and the weights, as save_pretrained writes them)")


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
