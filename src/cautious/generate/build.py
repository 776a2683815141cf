"""One answer, built: request hashes, the calls of a strategy, verification, shards, the result.

Everything here is a pure function of its inputs (no I/O, no concurrency), so the driver
(`driver.py`, which runs many items at once) and the estimator (`estimate.py`) share it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cautious.errors import UserError
from cautious.generate.verify import Filters, TaskSummary, verify
from cautious.models.base import ChatModel, Completion, SamplingParams
from cautious.records import Example, Message, Strategy, TeacherAnswer, TeacherCall
from cautious.request_cache import request_hash


def logical_messages(strategy: Strategy, example: Example) -> list[Message]:
    """The conversation a training example is made from: strategy instruction + the question."""
    return [Message(role="system", content=strategy.teacher_instruction), Message(role="user", content=example.input)]


def item_hash(model: str, strategy: Strategy, example: Example, params: SamplingParams, sample_index: int = 0) -> str:
    """The `request_hash` of a whole answer: for a single-call strategy exactly its one request."""
    steps = None
    if strategy.steps:
        steps = [s.model_dump() for s in strategy.steps] + [{"response_template": strategy.response_template}]
    return request_hash(model, logical_messages(strategy, example), params, sample_index, steps=steps)


def sample_params(params: SamplingParams, sample_index: int) -> SamplingParams:
    """Sample k of self-consistency: a different seed, or servers honouring seeds repeat themselves."""
    if sample_index == 0 or params.seed is None:
        return params
    return params.model_copy(update={"seed": params.seed + sample_index})


def teacher_call(step: str, messages: list[Message], comp: Completion, request: str) -> TeacherCall:
    """The record of one model call of a strategy step (batched and streaming generation alike)."""
    return TeacherCall(
        step=step,
        messages=messages,
        response=comp.text,
        prompt_tokens=comp.prompt_tokens,
        completion_tokens=comp.completion_tokens,
        finish_reason=comp.finish_reason,
        request_hash=request,
    )


def build_answer(
    model_name: str,
    strategy: Strategy,
    example: Example,
    params: SamplingParams,
    calls: list[TeacherCall],
    outputs: dict[str, str],
    filters: Filters,
    price=None,
    sample_index: int = 0,
    failure: str | None = None,
    item_index: int | None = None,
    key: str | None = None,
) -> TeacherAnswer:
    """Join the calls into one checked answer. Nothing here depends on whether a reply came
    from the cache, so a resumed run writes exactly the records an uninterrupted one does.
    `item_index` is the sample index the record's identity uses (self-consistency keeps
    sample k of item 0); by default the sample's own index. `key`, when the caller already
    computed that identity (`item_hash`), saves hashing it again. `failure` (`STEP: DETAIL`)
    makes it a failed request's record, to be asked again by the next run."""
    prompt_tokens = sum(c.prompt_tokens for c in calls)
    completion_tokens = sum(c.completion_tokens for c in calls)
    common = dict(
        example_id=example.id,
        task=example.task,
        strategy=strategy.name,
        model=model_name,
        sample_index=sample_index,
        messages=logical_messages(strategy, example),
        calls=calls,
        gold=example.gold,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=None if price is None else round(price.cost(prompt_tokens, completion_tokens), 8),
        request_hash=key or item_hash(model_name, strategy, example, params, sample_index if item_index is None else item_index),
    )
    if failure is not None:
        return TeacherAnswer(response="", extracted=None, correct=False, finish_reason="error", status="request_failed",
                             reason=failure, **common)
    last = strategy.calls()[-1].name
    response = strategy.response_template.format(**outputs) if strategy.response_template else outputs[last]
    finish = next((c.finish_reason for c in calls if c.finish_reason == "length"), calls[-1].finish_reason)
    verdict = verify(example, response, completion_tokens, finish, filters)
    return TeacherAnswer(
        response=response,
        extracted=verdict.extracted,
        correct=verdict.correct,
        finish_reason=finish,
        status=verdict.status,
        reason=verdict.reason,
        **common,
    )


def answer_examples(
    model: ChatModel,
    strategy: Strategy,
    examples: list[Example],
    params: SamplingParams,
    sample_index: int = 0,
    filters: Filters | None = None,
) -> list[TeacherAnswer]:
    """Run every call of `strategy` for a batch of examples and check the final answers
    (in memory, no cache: the quick path for probes and tests)."""
    filters = filters or Filters()
    sp = sample_params(params, sample_index)
    outputs: list[dict[str, str]] = [{} for _ in examples]
    calls: list[list[TeacherCall]] = [[] for _ in examples]
    for step in strategy.calls():
        batch = []
        for ex, prev in zip(examples, outputs):
            user = step.user.format(input=ex.input, **prev)
            batch.append([Message(role="system", content=step.system), Message(role="user", content=user)])
        for i, (msgs, comp) in enumerate(zip(batch, model.chat(batch, sp))):
            outputs[i][step.name] = comp.text.strip()
            calls[i].append(teacher_call(step.name, msgs, comp, request_hash(model.name, msgs, sp, sample_index)))
    return [
        build_answer(model.name, strategy, ex, params, c, o, filters, sample_index=sample_index)
        for ex, c, o in zip(examples, calls, outputs)
    ]


@dataclass
class GenerateResult:
    """What a run did: per-task statistics over its items, and what it sent and spent."""

    path: str
    summaries: list[TaskSummary] = field(default_factory=list)
    items: int = 0
    already_done: int = 0
    written: int = 0
    remaining: int = 0
    requests_sent: int = 0
    cache_hits: int = 0
    retries: int = 0
    failed_requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    stopped: str | None = None
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(s.n for s in self.summaries)

    def as_dict(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k != "summaries"}
        out["tasks"] = [s.as_dict() for s in self.summaries]
        return out


def parse_shard(spec: str | None) -> tuple[int, int]:
    """`i/n` (0-based) → (i, n); None → the whole job."""
    if not spec:
        return 0, 1
    try:
        i, n = (int(x) for x in spec.split("/"))
    except ValueError:
        raise UserError(f"--shard {spec!r}: expected i/n, e.g. 0/4 (shards are numbered from 0)") from None
    if n < 1 or not 0 <= i < n:
        raise UserError(f"--shard {spec!r}: need 0 <= i < n (shards are numbered from 0)")
    return i, n


def in_shard(key: str, shard: tuple[int, int]) -> bool:
    """Shards split by request hash, not position: adding a task does not reshuffle them."""
    i, n = shard
    return n == 1 or int(key[:15], 16) % n == i
