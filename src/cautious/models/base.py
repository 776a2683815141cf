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
    "BACKENDS", "Backend", "BackendFactory", "ChatModel", "Completion", "SamplingParams", "backend_names", "is_free",
    "load_model", "register_backend",
]

BackendFactory = Callable[..., ChatModel]


@dataclass(frozen=True)
class Backend:
    """A factory for specs `prefix` or `prefix:ARG` (ARG is passed to it), or its import path;
    `hint` says how to install what it needs when that is missing."""

    factory: BackendFactory | Lazy
    hint: str = ""
    #: Whether the factory takes the strategy catalog (`strategies=`): the lab teacher answers
    #: under the run's strategies, including a user's own; a real model needs no catalog.
    takes_catalog: bool = False
    #: Answers cost nothing and come back the same every time (the solver-backed lab teacher):
    #: no price, and no request cache by default.
    free: bool = False

    def load(self) -> BackendFactory:
        return self.factory.load() if isinstance(self.factory, Lazy) else self.factory  # type: ignore[return-value]


BACKENDS: Registry[Backend] = Registry("model backend")
BACKENDS.register("lab", Backend(Lazy("cautious.models.lab:lab_backend"), "built in", takes_catalog=True, free=True))
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


def is_free(spec: str) -> bool:
    """Whether the model `spec` names costs nothing to ask (see `Backend.free`)."""
    prefix = spec.partition(":")[0]
    return prefix in BACKENDS and BACKENDS.get(prefix).free


def load_model(spec: str, catalog: dict | None = None, **options) -> ChatModel:
    """Build a chat model from `prefix[:arg]`, e.g. `lab`, `hf:./ckpt`, `openai:gpt-4o-mini`.

    `catalog` (strategy name -> Strategy) goes to the backends that answer under strategies
    (the lab teacher); every caller can pass it without knowing which backend the spec names."""
    prefix, _, arg = spec.partition(":")
    backend = BACKENDS.get(prefix)
    if catalog is not None and backend.takes_catalog:
        options["strategies"] = catalog
    try:
        factory = backend.load()
        return factory(arg, **options) if options else factory(arg)
    except ImportError as exc:
        if exc.name and exc.name.startswith("cautious"):
            raise  # a bug in cautious, not a missing optional dependency
        raise UserError(f"backend {prefix!r} needs an optional dependency ({exc.name}): {backend.hint}") from None
