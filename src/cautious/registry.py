"""One small typed registry: a name -> object map that refuses a name already taken.

Every extension point of cautious (tasks, lab families, metrics, extractors, model backends,
judges) is a `Registry` filled from an explicit list of built-ins where it is defined; users add
to it with `register` (or the decorator its module offers, e.g. `register_metric`):

    FAMILIES: Registry[LabFamily] = Registry("lab family")
    FAMILIES.register("arithmetic", Arithmetic())
    FAMILIES.get("arithmetic")

An entry is either the object itself or, for a built-in whose module is heavy to import
(torch, an HTTP client), `Lazy("package.module:attribute")`, imported on first `get`.
Asking for a name that is not there is a `UserError` that lists the valid names.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Generic, TypeVar

from cautious.errors import unknown_name

T = TypeVar("T")


class Lazy:
    """An import path `"package.module:attribute"`, resolved when its entry is first asked for."""

    def __init__(self, path: str) -> None:
        module, sep, attr = path.partition(":")
        if not sep or not module or not attr:
            raise ValueError(f"lazy registry entry {path!r}: expected 'package.module:attribute'")
        self.module, self.attr = module, attr

    def load(self) -> object:
        return getattr(importlib.import_module(self.module), self.attr)

    def __repr__(self) -> str:
        return f"Lazy({self.module}:{self.attr})"


class Registry(Generic[T]):
    """Names of one kind (`kind` is how errors name it, e.g. "metric"), in registration order."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T | Lazy] = {}

    def register(self, name: str, obj: T | Lazy) -> T | Lazy:
        """Add `obj` under `name`; a name already taken is an error, never a silent overwrite."""
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = obj
        return obj

    def get(self, name: str) -> T:
        """The object under `name` (importing a lazy entry); an unknown name is a `UserError`."""
        if name not in self._entries:
            raise unknown_name(self.kind, name, list(self._entries))
        obj = self._entries[name]
        if isinstance(obj, Lazy):
            obj = self._entries[name] = obj.load()  # type: ignore[assignment]
        return obj  # type: ignore[return-value]

    def names(self) -> list[str]:
        return list(self._entries)

    def items(self) -> list[tuple[str, T]]:
        """Every entry, lazy ones imported, in registration order."""
        return [(name, self.get(name)) for name in self._entries]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)
