"""`cautious select`: a probe model × tasks × strategies → score matrix and strategy map."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from cautious.errors import UserError
from cautious.paths import check_output_dir, refuse_overwriting_inputs
from cautious.shapes import PAPER_STRATEGIES

console = Console()


def matrix_table(cells, chosen, score: str = "strict") -> Table:
    strategies = list(dict.fromkeys(c.strategy for c in cells))
    table = Table(title=f"probe {score} accuracy % [Wilson 95% CI] (tokens per answer) strict/flexible parse %; * = selected")
    table.add_column("task", no_wrap=True)
    for s in strategies:
        table.add_column(s.replace("-", "-\n"), justify="right")
    for task in chosen:
        row = {c.strategy: c for c in cells if c.task == task}
        shown = {s: row[s].scored(score) for s in strategies}
        table.add_row(task, *[f"{'*' if chosen[task] == s else ''}{100 * shown[s].accuracy:.0f} [{100 * shown[s].interval[0]:.0f}–"
                              f"{100 * shown[s].interval[1]:.0f}] ({row[s].mean_tokens:.0f}) "
                              f"{100 * row[s].parse_rate:.0f}/{100 * row[s].parse_rate_flexible:.0f}" for s in strategies])
    return table


def register(app: typer.Typer) -> None:
    @app.command()
    def select(
        probe: str = typer.Option(..., help="The probe model: `hf:PATH`, `openai:MODEL`, `lab`, ..."),
        tasks: str = typer.Option("lab", "--tasks", "-t", help="Comma-separated task names or paths; `lab` = every lab family."),
        strategies: str = typer.Option(",".join(PAPER_STRATEGIES), help="Comma-separated candidate strategies."),
        out: Path = typer.Option(..., "--out", "-o", help="Folder for strategy_map.yaml and scores.json."),
        split: str = typer.Option("dev", help="Split to measure on (never the test split you report)."),
        n: int = typer.Option(50, "-n", help="Examples per task."),
        seed: int = typer.Option(0),
        strategies_file: list[Path] = typer.Option(None, "--strategies-file", help="YAML file(s) of extra strategies."),
        max_tokens: int = typer.Option(256, help="Max new tokens per probe answer."),
        batch_size: int = typer.Option(32),
        tie_tolerance: float = typer.Option(0.0, help="Accuracy gap treated as a tie (then fewer tokens wins)."),
        intervals: bool = typer.Option(True, help="Also treat as a tie a gap whose paired bootstrap 95% interval includes 0."),
        instructions: str = typer.Option("full", help="What the probe reads per strategy: `full` (the teacher instruction) or "
                                                       "`card` (its one-line card, as a probe trained on cards needs)."),
        score: str = typer.Option("strict", help="Which accuracy decides: `strict` (the `Final answer:` line) or `flexible` "
                                                 "(the answer found in prose — for a pretrained probe prompted zero-shot). "
                                                 "Both are written to scores.json."),
    ) -> None:
        """Measure the probe on every task × strategy and write the best strategy per task."""
        from cautious.models.base import SamplingParams, load_model
        from cautious.select import choose, measure, write_selection
        from cautious.strategies import get_strategy, load_catalog
        from cautious.tasks import resolve_tasks

        if n <= 0:
            raise UserError("-n must be at least 1 (empty selection)")
        if instructions not in ("full", "card"):
            raise UserError(f"--instructions {instructions!r}: expected `full` or `card`")
        if score not in ("strict", "flexible"):
            raise UserError(f"--score {score!r}: expected `strict` or `flexible`")
        if split == "test":
            raise UserError("--split test: selection must not see the test split it is reported on; use dev (or train)")
        if not 0 <= tie_tolerance <= 1:
            raise UserError(f"--tie-tolerance {tie_tolerance:g}: expected an accuracy gap between 0 and 1 (e.g. 0.02)")
        check_output_dir(out)  # before the probe is measured, which is the expensive part
        catalog = load_catalog(strategies_file)
        candidates = [get_strategy(s.strip(), catalog) for s in strategies.split(",") if s.strip()]
        if instructions == "card":
            candidates = [c.as_card() for c in candidates]
        if not candidates:
            raise UserError("no strategies selected")
        task_list = resolve_tasks(tasks)
        inputs = [t.path for t in task_list if getattr(t, "path", None)] + list(strategies_file or [])
        refuse_overwriting_inputs([out / "strategy_map.yaml", out / "scores.json"], inputs)
        for task in task_list:
            task.check_split(split)
        model = load_model(probe, strategies=catalog) if probe.split(":")[0] == "lab" else load_model(probe)
        total = len(task_list) * len(candidates) * n
        with Progress(TextColumn("select"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console, transient=True) as bar:
            job = bar.add_task("select", total=total)
            cells = measure(model, task_list, candidates, split, n, seed, SamplingParams(max_tokens=max_tokens), batch_size,
                            on_progress=lambda k: bar.advance(job, k))
        model.close()
        chosen = choose(cells, tie_tolerance, intervals, score)  # type: ignore[arg-type]
        path = write_selection(out, cells, chosen, model.name, split, score)  # type: ignore[arg-type]
        console.print(matrix_table(cells, chosen, score))
        console.print(f"strategy map → {path}")
