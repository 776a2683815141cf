"""The one small interface every model sits behind: teacher, probe, judge and student.

A chat model takes a batch of conversations (lists of `Message`) and sampling settings and
returns one `Completion` per conversation, with token counts. That is all the rest of cautious
knows about models, so a program, a local checkpoint and a remote server are interchangeable
everywhere. The backends (`lab`, `hf`, `openai`) implement it; `cautious.models.base` names them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from cautious.records import Message


class SamplingParams(BaseModel):
    """Generation settings; part of every request hash, so changing one re-generates."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 1024
    seed: int | None = None
    stop: tuple[str, ...] = ()


class Completion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = "stop"
    model: str = ""


class ChatModel(ABC):
    """A model that answers batches of chats. `name` identifies it in every record it makes."""

    name: str = "model"
    #: Lines about how the model ran that reports show (e.g. a system message it cannot take);
    #: a model that has some sets its own list.
    notes: Sequence[str] = ()

    @abstractmethod
    def chat(self, batch: list[list[Message]], params: SamplingParams) -> list[Completion]:
        """Answer each conversation in `batch`; the result has the same length and order."""

    def close(self) -> None:
        """Release resources (connections, GPU memory). Default: nothing to release."""
