"""`cautious generate`: tasks × strategy map × teacher → verified `TeacherAnswer` JSONL.

For each example the teacher answers under its task's strategy instruction (several calls
for multi-call strategies, each call's output available to the next by step name). The
final answer is extracted and checked against gold; wrong answers are kept and flagged so
nothing is lost, and `erase` drops them by default.

At scale (a teacher behind an API, hundreds of thousands of requests) three rules hold:
answers are appended to the output as they arrive (`output.AnswerLog`), every paid reply is
kept in a request cache (`cache.RequestCache`), and a rerun sends only what is missing. The
concurrent machinery lives in `driver.py`, what one answer is made of in `build.py`; this
module is the small API the rest of cautious calls.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cautious.generate.build import (
    GenerateResult,
    answer_examples,
    build_answer,
    in_shard,
    item_hash,
    logical_messages,
    parse_shard,
    request_hash,
    sample_params,
)
from cautious.generate.driver import run
from cautious.generate.verify import Filters, TaskSummary, verify
from cautious.models.base import ChatModel, SamplingParams
from cautious.records import Example, Strategy


def generate(
    model: ChatModel,
    work: list[tuple[Strategy, list[Example]]],
    out_path: str,
    params: SamplingParams,
    batch_size: int = 32,
    on_progress: Callable[[int], None] | None = None,
    *,
    cache: str | Path | None = None,
    concurrency: int | None = None,
    samples: int = 1,
    filters: Filters | None = None,
    shard: tuple[int, int] = (0, 1),
    max_cost: float | None = None,
    prices: str | Path | None = None,
    on_start: Callable[[int, int], None] | None = None,
) -> GenerateResult:
    """Answer every (strategy, examples) group into `out_path`, resuming what is there.

    `cache` is a SQLite request cache (None: no cache — fine for the free lab teacher).
    `samples` > 1 draws up to that many samples per example and keeps the first accepted one.
    `max_cost` (USD, needs a price for the model) stops cleanly before it would be exceeded.
    `on_start(items, already_done)` is called once the resume point is known.
    """
    return run(
        model,
        work,
        out_path,
        params,
        batch_size=batch_size,
        on_progress=on_progress,
        cache_path=cache,
        concurrency=concurrency,
        samples=samples,
        filters=filters or Filters(),
        shard=shard,
        max_cost=max_cost,
        prices=prices,
        on_start=on_start,
    )


__all__ = [
    "Filters",
    "GenerateResult",
    "TaskSummary",
    "answer_examples",
    "build_answer",
    "generate",
    "in_shard",
    "item_hash",
    "logical_messages",
    "parse_shard",
    "request_hash",
    "sample_params",
    "verify",
]
