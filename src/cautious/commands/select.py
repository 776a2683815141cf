"""`cautious select`: a probe model × tasks × strategies → score matrix and strategy map."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from cautious import progress as live
from cautious.commands import PROGRESS_OPTION
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
        cache: Path = typer.Option(None, "--cache", help="SQLite request cache for the probe's replies: a rerun asks only what is new."),
        max_tokens: int = typer.Option(256, help="Max new tokens per probe answer."),
        batch_size: int = typer.Option(32),
        tie_tolerance: float = typer.Option(0.0, help="Accuracy gap treated as a tie (then fewer tokens wins)."),
        intervals: bool = typer.Option(True, help="Also treat as a tie a gap whose paired bootstrap 95% interval includes 0."),
        instructions: str = typer.Option("full", help="What the probe reads per strategy: `full` (the teacher instruction) or "
                                                       "`card` (its one-line card, as a probe trained on cards needs)."),
        score: str = typer.Option("strict", help="Which accuracy decides: `strict` (the `Final answer:` line) or `flexible` "
                                                 "(the answer found in prose — for a pretrained probe prompted zero-shot). "
                                                 "Both are written to scores.json."),
        progress: bool = PROGRESS_OPTION,
    ) -> None:
        """Measure the probe on every task × strategy and write the best strategy per task."""
        from cautious.flags import from_flags
        from cautious.select import SelectJob, run_select_job

        live.configure(progress)
        job = from_flags(SelectJob, locals())
        with live.bar("select", unit="answers") as bar:
            result = run_select_job(job, bar.advance, bar.set_total)
        console.print(matrix_table(result.cells, result.chosen, job.score))
        console.print(f"strategy map → {result.strategy_map}")
