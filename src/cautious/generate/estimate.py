"""`--dry-run`: what a generate run would send and cost, computed without sending anything.

It walks exactly the items the run would (same shard, same resume rule), asks the request
cache which calls are already paid for, and prices the rest. Prompt tokens are estimated
from text length (4 characters per token, no tokenizer download); reply lengths come from
replies already seen for the same strategy step when there are any, else `max_tokens` — so
with nothing seen yet the estimate is an upper bound, and `--max-cost` is the hard cap.
Nothing is written: not the output, not the cache, and the teacher is never contacted.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from cautious.generate.build import request_hash, sample_params
from cautious.request_cache import RequestCache
from cautious.generate.cost import Estimate
from cautious.generate.driver import plan_items, resolve_price
from cautious.models.base import SamplingParams
from cautious.records import Example, Message, Strategy, upgrade_answer


def estimate_tokens(text: str) -> int:
    return max(1, (len(text) + 3) // 4)


def _done_keys_and_lengths(path: Path) -> tuple[set[tuple[str, str]], dict[tuple[str, str], list[int]]]:
    """Identities already answered (failed ones excepted), and reply lengths per (strategy, step)."""
    keys: set[tuple[str, str]] = set()
    lengths: dict[tuple[str, str], list[int]] = defaultdict(list)
    if not path.exists():
        return keys, lengths
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                obj = upgrade_answer(json.loads(line))
            except ValueError:
                continue  # a torn last line (the real run repairs it) or a bad record (the real run names it)
            if obj.get("status") == "request_failed":
                continue
            keys.add((obj.get("example_id"), obj.get("request_hash")))
            for call in obj.get("calls") or []:
                lengths[(obj.get("strategy"), call.get("step"))].append(int(call.get("completion_tokens") or 0))
    return keys, lengths


def estimate(
    model_name: str,
    work: list[tuple[Strategy, list[Example]]],
    out_path: str | Path,
    params: SamplingParams,
    *,
    samples: int = 1,
    shard: tuple[int, int] = (0, 1),
    cache_path: str | Path | None = None,
    prices: str | Path | None = None,
) -> Estimate:
    est = Estimate(price=resolve_price(model_name, prices, None))
    items = plan_items(model_name, work, params, shard)
    done, lengths = _done_keys_and_lengths(Path(out_path))
    cache = RequestCache(cache_path) if cache_path and Path(cache_path).exists() else None
    try:
        for item in items:
            if (item.example.id, item.key) in done:
                est.items_done += 1
                continue
            est.items += 1
            outputs: dict[str, str] | None = {}
            sp = sample_params(params, 0)
            for step in item.strategy.calls():
                expected = lengths.get((item.strategy.name, step.name))
                mean = round(sum(expected) / len(expected)) if expected else params.max_tokens
                if outputs is not None:
                    user = step.user.format(input=item.example.input, **outputs)
                    msgs = [Message(role="system", content=step.system), Message(role="user", content=user)]
                    hit = cache.peek(request_hash(model_name, msgs, sp, 0)) if cache else None
                    if hit is not None:
                        est.requests_cached += 1
                        outputs[step.name] = hit.text.strip()
                        lengths.setdefault((item.strategy.name, step.name), []).append(hit.completion_tokens)
                        continue
                    prompt = estimate_tokens(step.system) + estimate_tokens(user)
                    outputs = None  # later calls depend on a reply we do not have
                else:
                    blank = {s.name: "" for s in item.strategy.calls()}
                    prompt = estimate_tokens(step.system) + estimate_tokens(step.user.format(input=item.example.input, **blank))
                    prompt += mean * sum(1 for s in item.strategy.calls() if "{" + s.name + "}" in step.user)
                est.requests += 1
                est.max_requests += samples
                est.prompt_tokens += prompt
                est.completion_tokens += mean
                est.max_completion_tokens += params.max_tokens * samples
        est.observed_calls = sum(len(v) for v in lengths.values())
    finally:
        if cache is not None:
            cache.close()
    return est
