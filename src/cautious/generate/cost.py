"""Cost accounting: a price table, estimates before spending, and a budget that cannot be overrun.

Users of peer tools ask for an estimate *before* a run spends money and for a cap; both need the same three things — token counts per call, a price per model,
and a running total — so they live together here.

The budget is conservative on purpose: before a request is sent its *worst* cost (prompt
estimate plus `max_tokens` of output) is reserved, and the reservation is replaced by the
real cost when the reply's usage arrives. So concurrent requests can never jointly overshoot
`--max-cost`; a run stops cleanly, slightly under the cap, and a rerun with a higher cap
continues from the cache.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

from cautious import yamlfile
from cautious.errors import UserError
from cautious.models.base import is_free
from cautious.paths import read_text

DEFAULT_PRICES = Path(__file__).with_name("prices.yaml")


@dataclass(frozen=True)
class Price:
    input: float  # USD per million prompt tokens
    output: float  # USD per million completion tokens

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input + completion_tokens * self.output) / 1e6


@dataclass
class PriceTable:
    path: Path
    entries: list[tuple[str, Price]] = field(default_factory=list)

    @classmethod
    def load(cls, path: str | Path | None = None) -> "PriceTable":
        path = Path(path) if path is not None else DEFAULT_PRICES
        data = yamlfile.parse(read_text(path, "price table"), path)
        models = data.get("models") if isinstance(data, dict) else None
        if not isinstance(models, dict) or not models:
            raise UserError(f"{path}: expected `models:` mapping model id -> {{input: USD/1M tokens, output: USD/1M tokens}}")
        table = cls(path)
        for name, entry in models.items():
            if not isinstance(entry, dict) or not {"input", "output"} <= set(entry):
                raise UserError(f"{path}:models.{name}: expected {{input: <USD per 1M tokens>, output: <USD per 1M tokens>}}")
            try:
                table.entries.append((str(name), Price(float(entry["input"]), float(entry["output"]))))
            except (TypeError, ValueError):
                raise UserError(f"{path}:models.{name}: prices must be numbers (USD per 1M tokens)") from None
        return table

    def find(self, model_name: str) -> Price | None:
        """The price of `openai:gpt-4o` or `gpt-4o`; the lab teacher is free."""
        if is_free(model_name):
            return Price(0.0, 0.0)
        bare = model_name.split(":", 1)[1] if model_name.startswith(("openai:", "hf:")) else model_name
        for pattern, price in self.entries:
            if fnmatch.fnmatchcase(bare, pattern) or fnmatch.fnmatchcase(model_name, pattern):
                return price
        return None

    def require(self, model_name: str) -> Price:
        price = self.find(model_name)
        if price is None:
            raise UserError(
                f"{self.path}: no price for model {model_name!r}; add `{model_name.split(':', 1)[-1]}: "
                f"{{input: USD, output: USD}}` (per 1M tokens) under `models:`, or pass --prices FILE"
            )
        return price


class BudgetExceeded(Exception):
    """Raised to a worker when the next request could push spending past `--max-cost`."""


@dataclass
class Budget:
    """Spent + reserved never exceeds `limit` (None = no limit, accounting only)."""

    limit: float | None
    spent: float = 0.0
    reserved: float = 0.0
    exhausted: bool = False

    def reserve(self, worst: float) -> float:
        if self.limit is not None and self.spent + self.reserved + worst > self.limit:
            self.exhausted = True
            raise BudgetExceeded
        self.reserved += worst
        return worst

    def settle(self, reserved: float, actual: float) -> None:
        self.reserved -= reserved
        self.spent += actual


@dataclass
class Estimate:
    """What a run will send: requests, tokens and dollars, expected and worst case."""

    items: int = 0
    items_done: int = 0
    requests: int = 0
    requests_cached: int = 0
    max_requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    max_completion_tokens: int = 0
    observed_calls: int = 0
    price: Price | None = None

    @property
    def cost(self) -> float | None:
        return None if self.price is None else self.price.cost(self.prompt_tokens, self.completion_tokens)

    @property
    def max_cost(self) -> float | None:
        if self.price is None or not self.requests:
            return None if self.price is None else 0.0
        per_request_prompt = self.prompt_tokens / self.requests
        return self.price.cost(int(per_request_prompt * self.max_requests), self.max_completion_tokens)

    def lines(self, model: str) -> list[str]:
        def money(x: float | None) -> str:
            return "unknown (model not in the price table; pass --prices)" if x is None else f"${x:,.4f}"

        basis = (
            f"mean reply length of {self.observed_calls} replies already cached"
            if self.observed_calls
            else "every reply at max_tokens: no replies seen yet"
        )
        return [
            f"teacher: {model}",
            f"items: {self.items} to generate, {self.items_done} already in the output",
            f"requests: {self.requests} to send ({self.requests_cached} more answered from the cache)"
            + (f", up to {self.max_requests} with self-consistency resampling" if self.max_requests > self.requests else ""),
            f"tokens: ~{self.prompt_tokens:,} prompt + ~{self.completion_tokens:,} completion ({basis}; 4 characters per token)",
            f"cost: ~{money(self.cost)}, at most {money(self.max_cost)}",
        ]
