"""`cautious select`: pick each task's strategy from measured probe performance.

Orca 2 assigned strategies by hand, guided by how a student-like model did with each. Here a
*probe* (a model that can follow any strategy when told — in the lab, a student trained with
the strategy instructions kept) answers each task's dev split under each strategy's teacher
instruction. The score matrix (accuracy and tokens per answer) decides: argmax accuracy per
task, ties going to the strategy with fewer tokens, because a strategy that costs more and
gains nothing should not be taught. A tie is a strategy whose paired bootstrap 95% interval
of "best minus it" (the same dev examples under both) includes zero — a difference the dev
set cannot tell from noise — or one within `tie_tolerance` of the best.

Every answer is scored twice: strictly (the `Final answer:` line every strategy asks for — the
rule teacher answers are verified with) and flexibly (`cautious.evaluate.extract`: the last
number, the option mentioned, ...), with the parse rate of each. A probe trained on the
strategies writes the line, so strict decides by default and the lab's selection is unchanged;
a pretrained model prompted zero-shot mostly answers in prose, so strict scores it near 0%
everywhere and the choice would be noise — `score="flexible"` then decides by what it knows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from cautious.answers import extract_final_answer, is_correct
from cautious.errors import UserError
from cautious.evaluate.extract import extract
from cautious.jsonl import atomic_writer
from cautious.locks import exclusive
from cautious.models.base import ChatModel, SamplingParams, load_model
from cautious.paths import check_cache_path, check_output_dir, refuse_overwriting_inputs
from cautious.request_cache import CachingModel
from cautious.records import Example, Message, Strategy
from cautious.shapes import PAPER_STRATEGIES
from cautious.stats import bootstrap_macro, wilson
from cautious.strategies import get_strategy, load_catalog
from cautious.task import draw_examples, input_files
from cautious.tasks import resolve_tasks


Score = Literal["strict", "flexible"]
SCORES: tuple[Score, ...] = ("strict", "flexible")


@dataclass
class Cell:
    """One (task, strategy) measurement of the probe."""

    task: str
    strategy: str
    n: int
    correct: int
    tokens: int
    #: 1/0 per dev example, in the same example order for every strategy of a task (paired).
    outcomes: list[int] = field(default_factory=list)
    #: The same answers scored by flexible extraction, and how many each extractor parsed.
    correct_flexible: int = 0
    outcomes_flexible: list[int] = field(default_factory=list)
    parsed: int = 0
    parsed_flexible: int = 0

    def add(self, example: Example, text: str, tokens: int) -> None:
        """Score one probe answer, strictly and flexibly."""
        final = extract_final_answer(text)
        ok = int(is_correct(example, final))
        flex = extract(text, example, "flexible")
        ok_flex = int(is_correct(example, flex.answer))
        self.n += 1
        self.correct += ok
        self.outcomes.append(ok)
        self.correct_flexible += ok_flex
        self.outcomes_flexible.append(ok_flex)
        self.parsed += int(final is not None)
        self.parsed_flexible += int(flex.parsed)
        self.tokens += tokens

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0

    @property
    def accuracy_flexible(self) -> float:
        return self.correct_flexible / self.n if self.n else 0.0

    @property
    def parse_rate(self) -> float:
        return self.parsed / self.n if self.n else 0.0

    @property
    def parse_rate_flexible(self) -> float:
        return self.parsed_flexible / self.n if self.n else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        """Wilson 95% interval of the accuracy."""
        return wilson(self.correct, self.n)

    @property
    def interval_flexible(self) -> tuple[float, float]:
        return wilson(self.correct_flexible, self.n)

    def scored(self, score: Score) -> Cell:
        """This cell with `score`'s counts as its accuracy (what `choose` compares)."""
        if score == "strict":
            return self
        return Cell(self.task, self.strategy, self.n, self.correct_flexible, self.tokens, list(self.outcomes_flexible))

    @property
    def mean_tokens(self) -> float:
        return self.tokens / self.n if self.n else 0.0


def probe_messages(strategy: Strategy, text: str) -> list[Message]:
    """The probe sees a strategy the way the teacher does: its instruction as the system message.
    A multi-call strategy is probed through its single-call instruction of the same shape."""
    return [Message(role="system", content=strategy.teacher_instruction), Message(role="user", content=text)]


def measure(
    probe: ChatModel,
    examples: dict[str, list[Example]],
    strategies: dict[str, list[Strategy]] | list[Strategy],
    params: SamplingParams | None = None,
    batch_size: int = 32,
    on_progress: Callable[[int], None] | None = None,
) -> list[Cell]:
    """The score matrix: every task (its drawn dev `examples`) × each of its candidate
    `strategies` (one list for every task, or a list per task), on the same examples."""
    params = params or SamplingParams(max_tokens=256)
    cells: list[Cell] = []
    for task, exs in examples.items():
        for strategy in strategies[task] if isinstance(strategies, dict) else strategies:
            cell = Cell(task, strategy.name, 0, 0, 0)
            for start in range(0, len(exs), batch_size):
                chunk = exs[start : start + batch_size]
                outs = probe.chat([probe_messages(strategy, ex.input) for ex in chunk], params)
                for ex, out in zip(chunk, outs):
                    cell.add(ex, out.text, out.completion_tokens)
                if on_progress:
                    on_progress(len(chunk))
            cells.append(cell)
    return cells


def ties_with_best(best: Cell, other: Cell, tie_tolerance: float = 0.0, intervals: bool = True) -> bool:
    """Whether `other` is as good as `best` as far as the dev set can tell."""
    if other.accuracy >= best.accuracy - tie_tolerance - 1e-12:
        return True
    if not intervals or not best.outcomes or len(best.outcomes) != len(other.outcomes):
        return False
    diff = [b - o for b, o in zip(best.outcomes, other.outcomes)]
    _, low, _ = bootstrap_macro([diff], seed=0)
    return low <= 0


def choose(cells: list[Cell], tie_tolerance: float = 0.0, intervals: bool = True, score: Score = "strict") -> dict[str, str]:
    """Per task, the most accurate strategy by `score`; among those that tie with it
    (`ties_with_best`), the one with the fewest tokens per answer (then catalog order)."""
    if score not in SCORES:
        raise UserError(f"select score must be one of {', '.join(SCORES)}, not {score!r}")
    chosen: dict[str, str] = {}
    for task in dict.fromkeys(c.task for c in cells):
        row = [c.scored(score) for c in cells if c.task == task]
        best = max(row, key=lambda c: c.accuracy)
        contenders = [c for c in row if c is best or ties_with_best(best, c, tie_tolerance, intervals)]
        chosen[task] = min(contenders, key=lambda c: c.mean_tokens).strategy
    return chosen


def _cell_doc(c: Cell) -> dict:
    return {"accuracy": round(c.accuracy, 4), "interval": [round(x, 4) for x in c.interval],
            "accuracy_flexible": round(c.accuracy_flexible, 4), "interval_flexible": [round(x, 4) for x in c.interval_flexible],
            "parse_rate": round(c.parse_rate, 4), "parse_rate_flexible": round(c.parse_rate_flexible, 4),
            "n": c.n, "tokens": round(c.mean_tokens, 1)}


def write_selection(out_dir: str | Path, cells: list[Cell], chosen: dict[str, str], probe: str, split: str,
                    score: Score = "strict", intervals: bool = True) -> Path:
    """Write `strategy_map.yaml` (readable by `generate --strategy`) and `scores.json`; both
    carry strict and flexible accuracy, parse rates, and which score decided (`decided_by`)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    doc = {
        "probe": probe,
        "split": split,
        "decided_by": score,
        "strategies": chosen,
        "scores": {task: {c.strategy: _cell_doc(c) for c in cells if c.task == task} for task in chosen},
    }
    map_path = out / "strategy_map.yaml"
    with atomic_writer(map_path) as fh:
        tie = "ties (paired 95% interval) to fewer tokens" if intervals else "exact ties to fewer tokens"
        fh.write(f"# Written by `cautious select`: argmax {score} accuracy per task; {tie}.\n")
        yaml.safe_dump(doc, fh, sort_keys=False)
    with atomic_writer(out / "scores.json") as fh:
        rows = [asdict(c) | {"accuracy": c.accuracy, "interval": list(c.interval), "accuracy_flexible": c.accuracy_flexible,
                             "interval_flexible": list(c.interval_flexible), "parse_rate": c.parse_rate,
                             "parse_rate_flexible": c.parse_rate_flexible} for c in cells]
        json.dump({"probe": probe, "split": split, "decided_by": score, "cells": rows, "chosen": chosen}, fh, indent=2)
    return map_path


class SelectConfig(BaseModel):
    """How the probe is measured and how its score matrix decides."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    out: Path
    max_tokens: int = Field(256, ge=1, description="max new tokens per probe answer")
    batch_size: int = Field(32, ge=1)
    tie_tolerance: float = Field(0.0, ge=0, le=1, description="accuracy gap treated as a tie (then fewer tokens wins)")
    intervals: bool = Field(True, description="also a tie: a gap whose paired bootstrap 95% interval includes 0")
    score: Score = "strict"
    split: str = "dev"

    @field_validator("split")
    @classmethod
    def _not_test(cls, split: str) -> str:
        if split == "test":
            raise ValueError("selection must not see the test split it is reported on; use dev (or train)")
        return split


@dataclass
class SelectResult:
    cells: list[Cell]
    chosen: dict[str, str]
    strategy_map: Path


def select_strategies(
    probe: ChatModel,
    examples: dict[str, list[Example]],
    candidates: dict[str, list[Strategy]] | list[Strategy],
    cfg: SelectConfig,
    on_progress: Callable[[int], None] | None = None,
) -> SelectResult:
    """Measure the probe on every task × candidate, choose per task, write the strategy map."""
    cells = measure(probe, examples, candidates, SamplingParams(max_tokens=cfg.max_tokens), cfg.batch_size, on_progress)
    chosen = choose(cells, cfg.tie_tolerance, cfg.intervals, cfg.score)
    return SelectResult(cells, chosen, write_selection(cfg.out, cells, chosen, probe.name, cfg.split, cfg.score, cfg.intervals))


class SelectJob(SelectConfig):
    """`cautious select` from names: a probe spec, tasks, candidate strategies."""

    probe: str
    tasks: str = "lab"
    strategies: str = ",".join(PAPER_STRATEGIES)
    n: int = Field(50, ge=1, description="dev examples per task")
    seed: int = 0
    strategies_file: list[Path] = Field(default_factory=list)
    #: What the probe reads per strategy: the teacher instruction, or its one-line card.
    instructions: Literal["full", "card"] = "full"
    cache: Path | None = Field(None, description="request cache (SQLite) for the probe's replies")


def run_select_job(job: SelectJob, on_progress: Callable[[int], None] | None = None,
                   on_start: Callable[[int], None] | None = None) -> SelectResult:
    """Check paths, resolve names, draw the dev examples, measure, choose, write."""
    check_output_dir(job.out)  # before the probe is measured, which is the expensive part
    catalog = load_catalog(job.strategies_file)
    candidates = [get_strategy(s.strip(), catalog) for s in job.strategies.split(",") if s.strip()]
    if not candidates:
        raise UserError("no strategies selected")
    candidates = [c.as_card() for c in candidates] if job.instructions == "card" else candidates
    task_list = resolve_tasks(job.tasks)
    outputs = [job.out / "strategy_map.yaml", job.out / "scores.json"]
    if job.cache is not None:
        outputs.append(check_cache_path(job.cache, outputs, folder=job.out))
    refuse_overwriting_inputs(outputs, input_files(task_list, job.strategies_file))
    examples = draw_examples(task_list, job.split, job.n, job.seed)
    if on_start:
        on_start(sum(map(len, examples.values())) * len(candidates))
    with exclusive(job.out, "select"):  # one writer per output folder, under whatever name it is reached
        probe = load_model(job.probe, catalog)
        probe = CachingModel(probe, job.cache) if job.cache is not None else probe
        try:
            return select_strategies(probe, examples, candidates, job, on_progress)
        finally:
            probe.close()
