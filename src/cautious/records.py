"""Typed records: the only coupling between pipeline stages.

Every stage reads and writes these as JSON Lines (one object per line, see `cautious.jsonl`),
so any stage can be replaced by another tool. Each record carries `schema_version` so a
reader can refuse (with a clear message) a file written by an incompatible version instead
of silently mis-reading it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = 1

AnswerType = Literal["number", "choice", "yes_no", "text"]
Role = Literal["system", "user", "assistant"]


class Record(BaseModel):
    """Base for everything written to disk: strict about unknown fields, versioned."""

    model_config = ConfigDict(extra="forbid")
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
    answer_format: str = "Final answer: <answer>"
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


class TeacherAnswer(Record):
    """The teacher's answer to one example under one strategy, checked against gold."""

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
    error: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)


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
