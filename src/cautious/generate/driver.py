"""The generate loop: workers pulling items, a cache in front of the teacher, a budget, append.

Shape, and why:
- One *item* is one example under its strategy. A worker takes an item, makes its calls in
  order (a multi-call strategy feeds each reply into the next call), verifies the answer and
  appends it to the output at once. Many workers run concurrently on one event loop, so a
  slow or failing request holds up only its own item — never a batch.
- Every request goes through `request()`: the cache first (free, instant), then the budget
  (reserve the worst cost, or stop), then the teacher; the reply is committed to the cache
  *before* the answer is written, so a kill between the two costs nothing on resume.
- Bookkeeping (cache commit, building and verifying the record, appending it) goes to a
  *sink* task that runs the jobs in order, one per event-loop turn, while the worker goes
  straight on to its next request. At high concurrency this keeps ~0.4 ms of CPU per
  answer off the path between a reply arriving and the next request leaving, which is what
  lets one Python process keep a server's whole concurrency busy.
- Async teachers (`openai`) expose `achat` and get `concurrency` workers. Synchronous,
  batched teachers (`lab`, `hf`) get a micro-batcher: workers queue their requests and the
  batch goes to `chat()` (in a thread) once every live worker is waiting, so batched local
  generation keeps its batch size and multi-call strategies still work item by item.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cautious.errors import UserError
from cautious.generate.build import GenerateResult, build_answer, in_shard, item_hash, request_hash, sample_params, teacher_call
from cautious.request_cache import RequestCache
from cautious.generate.cost import Budget, BudgetExceeded, Price, PriceTable
from cautious.generate.output import AnswerLog
from cautious.generate.verify import Filters
from cautious.locks import exclusive
from cautious.models.aio import run_sync
from cautious.models.base import ChatModel, Completion, SamplingParams
from cautious.records import Example, Message, Strategy, TeacherAnswer, TeacherCall


class RequestFailed(Exception):
    """Fallback when the openai backend (which defines its own) is not importable."""


try:
    from cautious.models.openai import RequestFailed as _OpenAIRequestFailed
except ImportError:  # aiohttp/tenacity/aiolimiter not installed: only local teachers
    _OpenAIRequestFailed = RequestFailed
FAILURES = (RequestFailed, _OpenAIRequestFailed)


@dataclass
class Item:
    position: int
    example: Example
    strategy: Strategy
    key: str  # item_hash: the record's request_hash


def plan_items(model_name: str, work: list[tuple[Strategy, list[Example]]], params: SamplingParams, shard: tuple[int, int]) -> list[Item]:
    """Every (example, strategy) of the job in work order, restricted to this shard."""
    items = []
    for strategy, examples in work:
        for ex in examples:
            key = item_hash(model_name, strategy, ex, params, 0)
            if in_shard(key, shard):
                items.append(Item(len(items), ex, strategy, key))
    return items


def resolve_price(model_name: str, prices: str | Path | None, max_cost: float | None) -> Price | None:
    """An explicit table or a budget needs the model's price; otherwise it is best effort."""
    table = PriceTable.load(prices)
    if prices is not None or max_cost is not None:
        return table.require(model_name)
    return table.find(model_name)


class _Batcher:
    """Collects single requests from workers into `chat()` batches for synchronous models."""

    def __init__(self, model: ChatModel, batch_size: int, workers: int) -> None:
        self.model, self.batch_size, self.live = model, batch_size, workers
        self.pending: list[tuple[list[Message], SamplingParams, asyncio.Future]] = []
        self.busy = False

    async def submit(self, messages: list[Message], params: SamplingParams) -> Completion:
        fut = asyncio.get_running_loop().create_future()
        self.pending.append((messages, params, fut))
        self._maybe_flush()
        return await fut

    def worker_done(self) -> None:
        self.live -= 1
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        if not self.busy and self.pending and len(self.pending) >= min(self.batch_size, max(self.live, 1)):
            self.busy = True
            asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        params = self.pending[0][1]
        batch = [p for p in self.pending if p[1] == params][: self.batch_size]
        self.pending = [p for p in self.pending if p not in batch]
        try:
            completions = await asyncio.to_thread(self.model.chat, [m for m, _, _ in batch], params)
            for (_, _, fut), comp in zip(batch, completions):
                fut.set_result(comp)
        except BaseException as exc:
            for _, _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
        finally:
            self.busy = False
            self._maybe_flush()


class Runner:
    def __init__(self, model, params, log, cache, budget, price, filters, samples, workers, batch_size, on_progress) -> None:
        self.model, self.params, self.log, self.cache = model, params, log, cache
        self.budget, self.price, self.filters, self.samples = budget, price, filters, samples
        self.workers, self.on_progress = workers, on_progress
        self.is_async = hasattr(model, "achat")
        self.batcher = None if self.is_async else _Batcher(model, batch_size, workers)
        self.sent = self.hits = self.written = self.prompt_tokens = self.completion_tokens = 0
        self.jobs: deque[Callable[[], None]] = deque()
        self.uncommitted: dict[str, Completion] = {}  # replies queued for the cache, not yet in it

    async def main(self, pending: list[Item], cache_path: str | Path | None) -> None:
        if self.is_async and hasattr(self.model, "open"):
            await self.model.open()  # a bad key or URL stops here, before any file is touched
        try:  # from here on the client is closed whatever happens (no "Unclosed connector")
            if cache_path is not None:
                self.cache = RequestCache(cache_path)
            await self.work(pending)
        finally:
            if self.is_async and hasattr(self.model, "aclose"):
                await self.model.aclose()

    async def work(self, pending: list[Item]) -> None:
        it = iter(pending)
        self.wake = asyncio.Event()
        sink = asyncio.create_task(self.sink())
        tasks = [asyncio.create_task(self.worker(it)) for _ in range(self.workers)]
        try:
            # Until every worker is done; a failure in any worker, or in the sink (which only
            # ever ends by failing, e.g. a full disk), stops the run.
            waiting = {sink, *tasks}
            while any(task in waiting for task in tasks):
                done, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if not task.cancelled() and task.exception() is not None:
                        raise task.exception()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            sink.cancel()
            await asyncio.gather(sink, return_exceptions=True)
            while self.jobs:  # whatever arrived is kept, even when the run stops on an error
                self.jobs.popleft()()

    def defer(self, job: Callable[[], None]) -> None:
        self.jobs.append(job)
        self.wake.set()

    async def sink(self) -> None:
        """Run deferred jobs in order (cache commits before the answers that use them)."""
        while True:
            if not self.jobs:
                self.wake.clear()
                await self.wake.wait()
            self.jobs.popleft()()
            await asyncio.sleep(0)  # let replies that arrived meanwhile go first

    def _commit(self, h: str, comp: Completion) -> None:
        self.cache.put(h, self.model.name, comp)
        self.uncommitted.pop(h, None)

    def _write(self, result) -> None:
        self.log.append([result() if callable(result) else result])
        self.written += 1
        if self.on_progress:
            self.on_progress(1)

    async def worker(self, it: Iterator[Item]) -> None:
        try:
            for item in it:
                try:
                    result = await self.process(item)
                except BudgetExceeded:
                    return
                self.defer(functools.partial(self._write, result))
        finally:
            if self.batcher is not None:
                self.batcher.worker_done()

    async def process(self, item: Item):
        """Up to `samples` samples; keep the first accepted one (self-consistency with gold).
        With one sample nothing needs the verdict now, so the answer is built by the sink."""
        if self.samples == 1:
            return await self.one_sample(item, 0, lazy=True)
        drawn = []
        for s in range(self.samples):
            drawn.append(await self.one_sample(item, s))
            if drawn[-1].correct and drawn[-1].status == "ok":
                break
        chosen = next((a for a in drawn if a.correct and a.status == "ok"), None)
        chosen = chosen or next((a for a in drawn if a.status == "request_failed"), drawn[-1])
        if self.samples > 1:
            chosen.meta["samples"] = len(drawn)
            chosen.meta["sample_answers"] = [a.extracted for a in drawn]
            chosen.meta["samples_cost_usd"] = None if self.price is None else round(sum(a.cost_usd or 0 for a in drawn), 8)
        return chosen

    async def one_sample(self, item: Item, s: int, lazy: bool = False):
        sp = sample_params(self.params, s)
        outputs: dict[str, str] = {}
        calls: list[TeacherCall] = []
        for step in item.strategy.calls():
            user = step.user.format(input=item.example.input, **outputs)
            msgs = [Message(role="system", content=step.system), Message(role="user", content=user)]
            h = request_hash(self.model.name, msgs, sp, s)
            try:
                comp = await self.request(h, msgs, sp)
            except FAILURES as exc:
                failure = f"{step.name}: {exc}"
                if lazy:
                    return functools.partial(self._answer, item, calls, outputs, s, failure)
                return self._answer(item, calls, outputs, s, failure=failure)
            outputs[step.name] = comp.text.strip()
            calls.append(teacher_call(step.name, msgs, comp, h))
        return functools.partial(self._answer, item, calls, outputs, s) if lazy else self._answer(item, calls, outputs, s)

    def _answer(self, item: Item, calls, outputs, s: int, failure: str | None = None) -> TeacherAnswer:
        return build_answer(
            self.model.name, item.strategy, item.example, self.params, calls, outputs, self.filters,
            price=self.price, sample_index=s, failure=failure, item_index=0, key=item.key,
        )

    async def request(self, h: str, msgs: list[Message], sp: SamplingParams) -> Completion:
        """Cache → budget → teacher → cache. The only place a request is paid for."""
        if self.cache is not None:
            hit = self.uncommitted.get(h) or self.cache.get(h)
            if hit is not None:
                self.hits += 1
                return hit
        worst = 0.0
        if self.price is not None and self.budget.limit is not None:
            # A byte-level tokenizer never makes more tokens than UTF-8 bytes: a strict bound.
            prompt_bound = sum(len(m.content.encode("utf-8")) + 8 for m in msgs)
            worst = self.price.cost(prompt_bound, sp.max_tokens)
        reserved = self.budget.reserve(worst)
        try:
            if self.is_async:
                comp = await self.model.achat(msgs, sp)
            else:
                comp = await self.batcher.submit(msgs, sp)
        except BaseException:
            self.budget.settle(reserved, 0.0)
            raise
        self.budget.settle(reserved, 0.0 if self.price is None else self.price.cost(comp.prompt_tokens, comp.completion_tokens))
        self.sent += 1
        self.prompt_tokens += comp.prompt_tokens
        self.completion_tokens += comp.completion_tokens
        if comp.finish_reason == "error":
            raise RequestFailed("the teacher returned an error")
        if self.cache is not None:
            self.uncommitted[h] = comp
            self.defer(functools.partial(self._commit, h, comp))
        return comp


def run(
    model: ChatModel,
    work: list[tuple[Strategy, list[Example]]],
    out_path: str,
    params: SamplingParams,
    *,
    batch_size: int = 32,
    on_progress: Callable[[int], None] | None = None,
    cache_path: str | Path | None = None,
    concurrency: int | None = None,
    samples: int = 1,
    filters: Filters = Filters(),
    shard: tuple[int, int] = (0, 1),
    max_cost: float | None = None,
    prices: str | Path | None = None,
    on_start: Callable[[int, int], None] | None = None,
) -> GenerateResult:
    if samples < 1:
        raise UserError("--samples must be at least 1")
    started = time.monotonic()
    price = resolve_price(model.name, prices, max_cost)
    items = plan_items(model.name, work, params, shard)
    order = {(it.example.id, it.key): it.position for it in items}
    log = AnswerLog(out_path)
    with exclusive(out_path, "generate"):  # a second writer would send and append everything again
        log.load()
        pending = [it for it in items if (it.example.id, it.key) not in log]
        if on_start:
            on_start(len(items), len(items) - len(pending))
        workers = concurrency or getattr(model, "concurrency", None) or batch_size
        runner = Runner(model, params, log, None, Budget(max_cost), price, filters, samples, workers, batch_size, on_progress)
        try:
            if pending:
                run_sync(runner.main(pending, cache_path or None))
            summaries = log.summaries(order)
        finally:
            log.close()
            if runner.cache is not None:
                runner.cache.close()
    stats = getattr(model, "stats", {})
    remaining = len(pending) - runner.written
    return GenerateResult(
        path=str(out_path),
        summaries=summaries,
        items=len(items),
        already_done=len(items) - len(pending),
        written=runner.written,
        remaining=remaining,
        requests_sent=runner.sent,
        cache_hits=runner.hits,
        retries=stats.get("retries", 0),
        failed_requests=stats.get("failed", 0),
        prompt_tokens=runner.prompt_tokens,
        completion_tokens=runner.completion_tokens,
        cost_usd=None if price is None else round(runner.budget.spent, 6),
        stopped="budget" if runner.budget.exhausted and remaining else None,
        seconds=round(time.monotonic() - started, 3),
    )
