"""Typed records: the only coupling between pipeline stages.

Every stage reads and writes these as JSON Lines (one object per line, see `cautious.jsonl`),
so any stage can be replaced by another tool. Each record carries `schema_version` so a
reader can refuse (with a clear message) a file written by an incompatible version instead
of silently mis-reading it.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from cautious.shapes import FINAL_ANSWER_PREFIX

SCHEMA_VERSION = 1
#: `TeacherAnswer`'s own version. 2: a typed `status` and a `reason` replace the status that
#: version 1 kept in prefixes of `error`; version-1 files are still read.
ANSWER_SCHEMA_VERSION = 2

AnswerType = Literal["number", "choice", "yes_no", "text"]
Role = Literal["system", "user", "assistant"]


class Record(BaseModel):
    """Base for everything written to disk: strict about unknown fields, versioned."""

    model_config = ConfigDict(extra="forbid")
    #: The schema versions a reader of this record accepts (the current one last).
    READS: ClassVar[tuple[int, ...]] = (SCHEMA_VERSION,)
    schema_version: int = SCHEMA_VERSION


class Example(Record):
    """One task instance: what the user asks and the gold answer.

    Either `target` (generative) or `choices` + `label` (multiple choice) is set; `gold`
    gives the answer string in both cases so checkers need not care which.
    """

    id: str
    task: str
    input: str
    target: str | None = None
    choices: list[str] | None = None
    label: int | None = None
    answer_type: AnswerType = "text"
    metric: str = "exact_match"
    meta: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _has_gold(self) -> "Example":
        if self.target is None and (self.choices is None or self.label is None):
            raise ValueError("an example needs `target`, or `choices` and `label`")
        if self.choices is not None and self.label is not None:
            if not 0 <= self.label < len(self.choices):
                raise ValueError(f"`label` {self.label} is outside `choices` (0..{len(self.choices) - 1})")
        return self

    @property
    def gold(self) -> str:
        if self.target is not None:
            return self.target
        assert self.choices is not None and self.label is not None
        return self.choices[self.label]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    content: str


class StrategyStep(BaseModel):
    """One teacher call of a strategy.

    `system` is the instruction for this call; `user` is a template over `{input}` and the
    outputs of earlier steps by name (e.g. `{recall}`). `sections` names the parts of the
    strategy's response shape this call writes (used by the solver-backed lab teacher).
    """

    model_config = ConfigDict(extra="forbid")
    name: str
    system: str
    user: str = "{input}"
    sections: list[str] = Field(default_factory=list)


class Strategy(Record):
    """A way of answering: a detailed teacher instruction plus the response shape it yields.

    Single-call strategies leave `steps` empty: the teacher gets `teacher_instruction` as
    the system message and the task input as the user message. Multi-call strategies list
    `steps`; the training response is `response_template` filled with the step outputs.
    """

    name: str
    description: str
    teacher_instruction: str
    sections: list[str]
    answer_format: str = f"{FINAL_ANSWER_PREFIX} <answer>"
    steps: list[StrategyStep] = Field(default_factory=list)
    response_template: str | None = None
    #: A one-line instruction naming the strategy (the full instruction's short form). A probe
    #: that is taught strategies from scratch reads the card instead of the long instruction,
    #: so its tokens go to the answers (`cautious run`, `instructions: card`).
    card: str | None = None
    source: str = "builtin"

    def as_card(self) -> "Strategy":
        """This strategy with its card as the (single-call) instruction; the description's
        first sentence when it has no card."""
        card = self.card or self.description.split(". ")[0].rstrip(".") + "."
        return self.model_copy(update={"teacher_instruction": card, "steps": [], "response_template": None})

    def calls(self) -> list[StrategyStep]:
        """The calls to make, single-call strategies included, in order."""
        if self.steps:
            return self.steps
        return [StrategyStep(name="answer", system=self.teacher_instruction, user="{input}", sections=self.sections)]


class TeacherCall(BaseModel):
    """One request/response with the teacher, kept so multi-call answers are auditable."""

    model_config = ConfigDict(extra="forbid")
    step: str
    messages: list[Message]
    response: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None
    request_hash: str | None = None


#: Whether an answer may be trained on, besides being right (`correct` says that):
#: - `ok`: the teacher replied and no filter rejected the reply;
#: - `request_failed`: no reply after the backend's retries; the next run asks again;
#: - `filtered`: a reply a filter rejects (content filter, refusal, too short, too long);
#: - `truncated`: a reply cut at the token limit; not retried, the same request is cut again.
AnswerStatus = Literal["ok", "request_failed", "filtered", "truncated"]
_ERROR_PREFIX = {"request_failed": "request failed: ", "filtered": "filtered: "}


def error_text(status: AnswerStatus, reason: str | None) -> str | None:
    """The one-line `error` of a status and reason, as version 1 wrote it: `request failed:
    STEP: DETAIL`, `filtered: refusal`, `truncated (finish_reason=length)`; None when ok."""
    if status == "ok":
        return None
    if status == "truncated":
        return f"truncated ({reason})" if reason else "truncated"
    return _ERROR_PREFIX[status] + (reason or "")


def status_of_error(error: str | None) -> tuple[AnswerStatus, str | None] | None:
    """(status, reason) of a version-1 `error`; None for text no version of cautious wrote."""
    if error is None:
        return "ok", None
    for status, prefix in _ERROR_PREFIX.items():
        if error.startswith(prefix):
            return status, error[len(prefix):]  # type: ignore[return-value]
    if error == "truncated":
        return "truncated", None
    if error.startswith("truncated (") and error.endswith(")"):
        return "truncated", error[len("truncated ("):-1]
    return None


def upgrade_answer(obj: dict[str, Any]) -> dict[str, Any]:
    """A `TeacherAnswer` object as read from a file, in the current version's fields.

    Version 1 kept the status in `error`: it becomes `status` and `reason`. Version 2 still
    writes `error` (derived, for readers of version 1); it must agree with `status` and
    `reason` and is dropped, so a hand edit of one of them cannot silently disagree."""
    if "error" not in obj and obj.get("schema_version") != 1:
        return obj  # built in code: nothing to upgrade
    obj = dict(obj)
    if obj.get("schema_version") == 1:
        obj["schema_version"] = ANSWER_SCHEMA_VERSION
    if "error" not in obj:
        return obj
    error = obj.pop("error")
    if "status" in obj:
        if obj["status"] in get_args(AnswerStatus) and error_text(obj["status"], obj.get("reason")) != error:
            raise ValueError(
                f"error {error!r} disagrees with status {obj['status']!r} and reason {obj.get('reason')!r}"
                " (error is written from them; edit status and reason)"
            )
        return obj
    parsed = status_of_error(error) if error is None or isinstance(error, str) else None
    if parsed is None:
        raise ValueError(f"error {error!r} starts with none of 'request failed: ', 'filtered: ', 'truncated'")
    obj["status"], obj["reason"] = parsed
    return obj


class TeacherAnswer(Record):
    """The teacher's answer to one example under one strategy, checked against gold.

    `status` says whether it may be trained on besides being right, `reason` why not (for a
    failed request `STEP: DETAIL`, the backend's words); `error` is the two as one line."""

    READS: ClassVar[tuple[int, ...]] = (1, ANSWER_SCHEMA_VERSION)
    schema_version: int = ANSWER_SCHEMA_VERSION
    example_id: str
    task: str
    strategy: str
    model: str
    sample_index: int = 0
    messages: list[Message]
    response: str
    calls: list[TeacherCall] = Field(default_factory=list)
    gold: str
    extracted: str | None
    correct: bool
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    request_hash: str
    finish_reason: str | None = None
    status: AnswerStatus = "ok"
    reason: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        return upgrade_answer(data) if isinstance(data, dict) else data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def error(self) -> str | None:
        """Why the answer is rejected, as one line (`error_text`); None when `status` is ok.
        Written to files so that tools reading version 1's `error` keep working."""
        return error_text(self.status, self.reason)


class Provenance(BaseModel):
    model_config = ConfigDict(extra="forbid")
    example_id: str
    task: str
    strategy: str
    teacher: str
    system_message: str
    request_hash: str


class TrainExample(Record):
    """A chat in `messages` form (TRL / axolotl conversational format) plus where it came from."""

    messages: list[Message]
    provenance: Provenance


class EvalRecord(Record):
    """One model output on one example under one system-message condition, scored.

    `strict` is the answer behind an explicit final-answer phrase (or a user regex), `flexible`
    falls back to the last number / option / line (`cautious.evaluate.extract`); `score` and
    `score_flexible` are the metric's value (1.0/0.0 for exact match, token F1, a judge rating).
    """

    model: str
    task: str
    example_id: str
    split: str
    condition: str
    system: str
    messages: list[Message]
    output: str
    gold: str
    metric: str = "exact_match"
    extracted: str | None = None
    extracted_flexible: str | None = None
    parsed: bool = False
    parsed_flexible: bool = False
    score: float | None = None
    score_flexible: float | None = None
    correct: bool = False
    correct_flexible: bool = False
    strategy: str = "unknown"
    strategy_method: str = "none"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None
    error: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
