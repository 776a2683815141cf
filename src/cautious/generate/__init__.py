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
from cautious.generate.config import GenerateConfig
from cautious.generate.driver import run
from cautious.generate.verify import Filters, TaskSummary, verify
from cautious.models.base import ChatModel
from cautious.records import Example, Strategy


def generate(
    model: ChatModel,
    work: list[tuple[Strategy, list[Example]]],
    cfg: GenerateConfig,
    *,
    on_progress: Callable[[int], None] | None = None,
    on_start: Callable[[int, int], None] | None = None,
) -> GenerateResult:
    """Answer every (strategy, examples) group into `cfg.out`, resuming what is there.

    `on_progress(k)` is called as answers are written, `on_start(items, already_done)` once
    the resume point is known.
    """
    return run(
        model, work, str(cfg.out), cfg.params, batch_size=cfg.batch_size, on_progress=on_progress, cache_path=cfg.cache,
        concurrency=cfg.concurrency, samples=cfg.samples, filters=cfg.filters, shard=cfg.shard, max_cost=cfg.max_cost,
        prices=cfg.prices, on_start=on_start,
    )


def group_by_strategy(
    examples: list[Example], mapping: dict[str, str], catalog: dict[str, Strategy]
) -> list[tuple[Strategy, list[Example]]]:
    """The work of one `generate` call: each example under its task's strategy (`mapping`)."""
    groups: dict[str, list[Example]] = {}
    for ex in examples:
        groups.setdefault(mapping[ex.task], []).append(ex)
    return [(catalog[name], exs) for name, exs in groups.items()]


__all__ = [
    "Filters",
    "GenerateConfig",
    "GenerateResult",
    "TaskSummary",
    "answer_examples",
    "build_answer",
    "generate",
    "group_by_strategy",
    "in_shard",
    "item_hash",
    "logical_messages",
    "parse_shard",
    "request_hash",
    "sample_params",
    "verify",
]
