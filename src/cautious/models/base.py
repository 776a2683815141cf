"""The model backends by name, and `load_model`, the one way every stage gets a model.

Every model sits behind the small interface in `cautious.models.chat` (re-exported here). A
backend is a factory under a prefix; `load_model("openai:gpt-4o")` finds `openai` and passes it
`gpt-4o`. The built-in backends are listed below as import paths, so that naming a model never
imports torch or an HTTP client it does not use; a user adds one with `register_backend`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cautious.errors import UserError
from cautious.models.chat import ChatModel, Completion, SamplingParams
from cautious.registry import Lazy, Registry

__all__ = [
    "BACKENDS", "Backend", "BackendFactory", "ChatModel", "Completion", "SamplingParams", "backend_names",
    "load_model", "register_backend",
]

BackendFactory = Callable[..., ChatModel]


@dataclass(frozen=True)
class Backend:
    """A factory for specs `prefix` or `prefix:ARG` (ARG is passed to it), or its import path;
    `hint` says how to install what it needs when that is missing."""

    factory: BackendFactory | Lazy
    hint: str = ""

    def load(self) -> BackendFactory:
        return self.factory.load() if isinstance(self.factory, Lazy) else self.factory  # type: ignore[return-value]


BACKENDS: Registry[Backend] = Registry("model backend")
BACKENDS.register("lab", Backend(Lazy("cautious.models.lab:lab_backend"), "built in"))
BACKENDS.register(
    "hf", Backend(Lazy("cautious.models.hf:hf_backend"), "pip install 'cautious[train]' (torch, transformers; gguf for .gguf files)")
)
BACKENDS.register("openai", Backend(Lazy("cautious.models.openai:openai_backend"), "pip install 'cautious[serve]'"))


def register_backend(prefix: str, hint: str = "") -> Callable[[BackendFactory], BackendFactory]:
    """Decorator: register a factory for specs `prefix` or `prefix:ARG` (a prefix is taken once)."""

    def deco(factory: BackendFactory) -> BackendFactory:
        BACKENDS.register(prefix, Backend(factory, hint))
        return factory

    return deco


def backend_names() -> list[str]:
    return sorted(BACKENDS)


def load_model(spec: str, **options) -> ChatModel:
    """Build a chat model from `prefix[:arg]`, e.g. `lab`, `hf:./ckpt`, `openai:gpt-4o-mini`."""
    prefix, _, arg = spec.partition(":")
    backend = BACKENDS.get(prefix)
    try:
        factory = backend.load()
        return factory(arg, **options) if options else factory(arg)
    except ImportError as exc:
        if exc.name and exc.name.startswith("cautious"):
            raise  # a bug in cautious, not a missing optional dependency
        raise UserError(f"backend {prefix!r} needs an optional dependency ({exc.name}): {backend.hint}") from None
