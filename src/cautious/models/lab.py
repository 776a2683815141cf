"""The solver-backed lab teacher (backend `lab`).

It is a *tool-using teacher*: a program that reads the question, solves it exactly with the
family's solver, and writes the answer in the shape the system message asks for. It sits
behind the same `ChatModel` interface as any LLM, so generate, eval and select never know
it is a program. It recognises a strategy by its instruction text or its one-line card (any
strategy of the catalog it was given, user strategies included); under any other system message (empty, a
generic one) it answers in its default shape, `direct-answer` unless told otherwise.
"""

from __future__ import annotations

from cautious.answers import count_tokens
from cautious.errors import UserError
from cautious.lab import families
from cautious.lab.base import LabFamily, Problem
from cautious.lab.render import render_response
from cautious.models.chat import ChatModel, Completion, SamplingParams
from cautious.records import Message, Strategy
from cautious.shapes import DIRECT_ANSWER
from cautious.strategies import load_catalog

NOT_A_LAB_QUESTION = "I can only answer questions from the cautious lab task families."


class LabTeacher(ChatModel):
    def __init__(self, default_strategy: str = DIRECT_ANSWER, strategies: dict[str, Strategy] | None = None) -> None:
        catalog = strategies if strategies is not None else load_catalog()
        if default_strategy not in catalog:
            raise UserError(f"lab teacher: unknown default strategy {default_strategy!r}; valid: {', '.join(catalog)}")
        self.name = "lab" if default_strategy == DIRECT_ANSWER else f"lab:{default_strategy}"
        self.default_sections = catalog[default_strategy].sections
        # Each call's instruction text identifies the sections to write (multi-call steps included).
        self.sections_by_instruction: dict[str, list[str]] = {}
        for strategy in catalog.values():
            for step in strategy.calls() + strategy.as_card().calls():
                self.sections_by_instruction[step.system.strip()] = step.sections
        self.families: list[LabFamily] = list(families().values())

    def find(self, user_text: str) -> tuple[LabFamily, Problem] | None:
        """The family whose format the question has. Later calls of a multi-call strategy
        append material after a blank line, so shorter prefixes are tried too."""
        parts = user_text.strip().split("\n\n")
        for end in range(len(parts), 0, -1):
            candidate = "\n\n".join(parts[:end]).strip()
            for family in self.families:
                problem = family.parse(candidate)
                if problem is not None:
                    return family, problem
        return None

    def answer(self, messages: list[Message]) -> str:
        system = next((m.content for m in messages if m.role == "system"), "").strip()
        user = next((m.content for m in reversed(messages) if m.role == "user"), "")
        sections = self.sections_by_instruction.get(system, self.default_sections)
        found = self.find(user)
        if found is None:
            return NOT_A_LAB_QUESTION
        family, problem = found
        return render_response(sections, family.solve(problem))

    def chat(self, batch: list[list[Message]], params: SamplingParams) -> list[Completion]:
        out = []
        for messages in batch:
            text = self.answer(messages)
            prompt_tokens = sum(count_tokens(m.content) for m in messages)
            out.append(Completion(text=text, prompt_tokens=prompt_tokens, completion_tokens=count_tokens(text), model=self.name))
        return out


def lab_backend(arg: str, strategies: dict[str, Strategy] | None = None) -> ChatModel:
    return LabTeacher(arg or DIRECT_ANSWER, strategies=strategies)
