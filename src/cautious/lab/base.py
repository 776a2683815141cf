"""The lab: procedurally generated task families with exact solvers.

A family samples problems from a seeded RNG, renders them as user text, parses that text
back (so the solver-backed teacher answers *any* input in the family's format, not just the
ones it generated) and solves them. `solve` returns a `Solution` holding the material for
every strategy's response shape; `cautious.lab.render` turns it into text for one strategy.

Splits are disjoint by construction: a problem belongs to train/dev/test by a hash of its
`split_key` (by default the input text; 80/10/10), and each split only keeps problems from
its own bucket.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from cautious.errors import UserError
from cautious.records import AnswerType, Example
from cautious.task import SPLITS, Task, content_id, split_of

Problem = dict[str, Any]


@dataclass
class Guess:
    """One round of guess-and-check: the candidate, how it was checked, and the verdict."""

    value: str
    check: str
    ok: bool


@dataclass
class Solution:
    """Everything a solver knows about one problem, in the pieces the strategy shapes use.

    - `steps`: the worked procedure, one line per step (step-by-step).
    - `explanation`: what the problem asks and how to approach it (explain-then-answer).
    - `recall`: facts or rules that the answer rests on (recall-then-generate, recall-reason-generate).
    - `reasoning`: how the recalled facts combine into the answer (recall-reason-generate).
    - `extract`: the spans of the input that matter, copied verbatim (extract-generate).
    - `guesses`: candidates tried and checked, the last one correct (guess-and-check).
    """

    answer: str
    steps: list[str]
    explanation: str
    recall: list[str]
    reasoning: list[str]
    extract: list[str]
    guesses: list[Guess] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.guesses or not self.guesses[-1].ok or self.guesses[-1].value != self.answer:
            raise ValueError("guess-and-check material must end with the correct answer")


class LabFamily(ABC):
    """A procedurally generated task family. Subclasses fill in the five abstract methods."""

    name: str
    description: str
    answer_type: AnswerType
    #: Difficulty knobs and their defaults; `sample` receives all of them as keyword arguments.
    knobs: dict[str, Any] = {}
    #: The strategy we expect to suit a tiny student; documentation only — `select` measures it.
    expected_strategy: str = ""

    @abstractmethod
    def sample(self, rng: random.Random, **knobs: Any) -> Problem:
        """Draw one problem (a JSON-able dict)."""

    @abstractmethod
    def render(self, problem: Problem) -> str:
        """The user-facing question text."""

    @abstractmethod
    def parse(self, text: str) -> Problem | None:
        """Inverse of `render`; None when `text` is not a question of this family."""

    @abstractmethod
    def solve(self, problem: Problem) -> Solution:
        """Solve exactly, with material for every strategy shape."""

    def choices(self, problem: Problem) -> list[str] | None:
        """Answer options for multiple-choice families (the answer must be one of them)."""
        return None

    def split_key(self, problem: Problem) -> str:
        """What decides a problem's split. Default: its question text. A family whose
        questions paraphrase one underlying fact (kb_recall) returns that fact's key, so a
        test question is never a rewording of a training question."""
        return self.render(problem)

    def corpus(self, **knobs: Any) -> list[str]:
        """Text the student should learn before the strategy data (e.g. knowledge-base facts),
        for the family at these knob settings (all of them given)."""
        return []

    def examples(self, split: str, n: int, seed: int = 0, **knobs: Any) -> list[Example]:
        """`n` distinct examples of `split`, deterministic for (seed, knobs)."""
        if split not in SPLITS:
            raise UserError(f"lab family {self.name!r} has no split {split!r}; splits: {', '.join(SPLITS)}")
        unknown = set(knobs) - set(self.knobs)
        if unknown:
            raise UserError(f"lab family {self.name!r} has no knob {sorted(unknown)[0]!r}; knobs: {', '.join(self.knobs)}")
        settings = {**self.knobs, **knobs}
        # A knob left unset (None) stays out of the stream's seed, so adding a knob with a None
        # default keeps every existing seed's examples what they were.
        seeded = sorted((k, v) for k, v in settings.items() if v is not None)
        rng = random.Random(f"{self.name}|{seed}|{split}|{seeded}")
        out: list[Example] = []
        seen: set[str] = set()
        tries = 0
        while len(out) < n:
            tries += 1
            if tries > 200 * n + 1000:
                raise UserError(
                    f"lab family {self.name!r} cannot make {n} distinct {split} examples with knobs {settings}; "
                    f"got {len(out)} — ask for fewer or raise the difficulty"
                )
            problem = self.sample(rng, **settings)
            text = self.render(problem)
            if text in seen or split_of(self.split_key(problem)) != split:
                continue
            seen.add(text)
            solution = self.solve(problem)
            choices = self.choices(problem)
            if choices is not None and solution.answer not in choices:
                raise ValueError(f"{self.name}: answer {solution.answer!r} is not one of the choices {choices}")
            common = dict(
                id=content_id(self.name, text),
                task=self.name,
                input=text,
                answer_type=self.answer_type,
                meta={"source": "lab", "split": split, "seed": seed, "knobs": settings, "problem": problem},
            )
            if choices is not None:
                out.append(Example(**common, choices=choices, label=choices.index(solution.answer)))
            else:
                out.append(Example(**common, target=solution.answer))
        return out


class LabTask(Task):
    """A lab family exposed as a task (the registry's view of it)."""

    source = "lab"

    def __init__(self, family: LabFamily, **knobs: Any) -> None:
        self.family = family
        self.knobs = knobs
        self.name = family.name
        self.description = family.description
        self.answer_type = family.answer_type

    @property
    def settings(self) -> dict[str, Any]:
        """Every knob's value: the family's defaults with this task's own on top."""
        return {**self.family.knobs, **self.knobs}

    def examples(self, split: str = "test", n: int | None = None, seed: int = 0) -> list[Example]:
        self.check_split(split)
        return self.family.examples(split, 200 if n is None else n, seed, **self.knobs)


def with_knobs(tasks: list[Task], knobs: dict[str, dict[str, Any]], where: str = "run config: task_knobs") -> list[Task]:
    """`tasks` with the named lab families set to `knobs`; a name that is not a lab task of the
    list, an unknown knob or a value the family cannot sample with is one line naming it."""
    names = {t.name: t for t in tasks}
    for name, settings in knobs.items():
        task = names.get(name)
        if not isinstance(task, LabTask):
            lab = ", ".join(t.name for t in tasks if isinstance(t, LabTask)) or "none"
            raise UserError(f"{where}: {name!r} is not one of the run's lab tasks ({lab})")
        unknown = sorted(set(settings) - set(task.family.knobs))
        if unknown:
            raise UserError(f"{where}.{name}: unknown knob {unknown[0]!r}; knobs: {', '.join(task.family.knobs)}")
        try:
            task.family.examples("dev", 1, 0, **settings)
        except UserError:
            raise
        except Exception as exc:  # noqa: BLE001 - a knob value the sampler cannot use is the user's
            raise UserError(f"{where}.{name}: cannot sample with {settings} ({type(exc).__name__}: {exc})") from None
    return [LabTask(t.family, **{**t.knobs, **knobs[t.name]}) if t.name in knobs else t for t in tasks]
