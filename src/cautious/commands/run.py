"""`cautious run`: the whole Orca 2 pipeline and its ablation, in one resumable command."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from cautious import progress as live
from cautious.commands import PROGRESS_OPTION
from cautious.paths import read_text

console = Console()


def summary_tables(summary: dict) -> list[Table]:
    """The per-condition student tables and the probe's score matrix (per-task tables: the report)."""
    from cautious.run.summary import tables

    out = []
    for title, (header, rows) in tables(summary).items():
        if "per task" in title:
            continue
        table = Table(title=title)
        for h in header:
            left = h in ("student", "taught", "erased", "task", "selected")
            table.add_column(h, justify="left" if left else "right", no_wrap=h == "student")
        for r in rows:
            table.add_row(*r)
        out.append(table)
    return out


def register(app: typer.Typer) -> None:
    @app.command()
    def run(
        config: Path = typer.Option(None, "--config", "-c", help="YAML run config (any RunConfig key); default: the lab."),
        preset: str = typer.Option(None, help="smoke (≤ 1 min), lab (default, ≈10–12 min on 2 AVX2-only cores; measured 12m02s–12m17s on a slow one) or large."),
        out: Path = typer.Option(None, "--out", "-o", help="Run folder (default: runs/<preset>)."),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON instead of tables."),
        progress: bool = PROGRESS_OPTION,
    ) -> None:
        """Select strategies, generate, erase, train the cautious student and its baselines, evaluate, report.

        A rerun with the same settings skips every finished stage.
        """
        from cautious.run import load_run_config
        from cautious.run import run as run_pipeline
        from cautious.run.summary import verdict_lines
        from cautious.run.validate import refuse_config_in_run

        live.configure(progress)
        if config is not None:
            read_text(config, "config file")  # a folder or non-UTF-8 bytes: one line, not a traceback
        cfg = load_run_config(config, preset)
        folder = out or Path("runs") / cfg.preset
        refuse_config_in_run(config, folder)
        summary = run_pipeline(cfg, str(folder), console=Console(stderr=True) if as_json else console)
        if as_json:
            print(json.dumps(summary, indent=2))
            return
        for table in summary_tables(summary):
            console.print(table)
        for line in verdict_lines(summary):
            console.print(line.replace("**", ""), highlight=False)
        console.print(f"report: {folder / 'report' / 'report.md'}  ·  {folder / 'report' / 'report.html'}")
