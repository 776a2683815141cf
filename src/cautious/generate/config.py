"""What one `generate` call needs besides the teacher and the work: `GenerateConfig`."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cautious.generate.build import parse_shard
from cautious.generate.verify import Filters
from cautious.models.chat import SamplingParams


class GenerateConfig(BaseModel):
    """Where answers go, how the teacher samples, which answers are accepted, and the limits
    of a paid run. `cautious generate` builds it from flags, `cautious run` from its config."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    out: Path
    max_tokens: int = Field(1024, ge=1, description="max new tokens per teacher call")
    temperature: float = Field(0.0, ge=0)
    seed: int = Field(0, description="example sampling seed, also the teacher's sampling seed")
    batch_size: int = Field(32, ge=1, description="conversations per batch for local teachers")
    concurrency: int | None = Field(None, ge=1, description="requests in flight (None: the model's own, else batch_size)")
    samples: int = Field(1, ge=1, description="draw up to this many samples per example, keep the first accepted")
    refusal_filter: bool = True
    min_tokens: int = Field(0, ge=0)
    max_answer_tokens: int | None = Field(None, ge=1)
    cache: Path | None = Field(None, description="SQLite request cache (None: no cache)")
    shard: tuple[int, int] = (0, 1)
    max_cost: float | None = Field(None, gt=0, description="USD; stop cleanly before spending more")
    prices: Path | None = None

    @field_validator("shard", mode="before")
    @classmethod
    def _shard(cls, value: object) -> object:
        return parse_shard(value) if value is None or isinstance(value, str) else value

    @property
    def params(self) -> SamplingParams:
        return SamplingParams(temperature=self.temperature, max_tokens=self.max_tokens, seed=self.seed)

    @property
    def filters(self) -> Filters:
        return Filters(refusals=self.refusal_filter, min_tokens=self.min_tokens, max_tokens=self.max_answer_tokens)
