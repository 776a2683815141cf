"""`cautious report`: one or several eval run folders → report.md, report.html and PNG plots."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from cautious.paths import check_output_dir

console = Console()


def register(app: typer.Typer) -> None:
    @app.command()
    def report(
        runs: list[Path] = typer.Argument(..., help="Eval run folders (written by `cautious eval --out`); several are compared side by side."),
        out: Path = typer.Option(None, "--out", "-o", help="Where to write the report (default: RUN/report for one run, ./report for several)."),
    ) -> None:
        """Turn eval runs into report.md, a self-contained report.html and PNG plots."""
        from cautious.report import build_report

        target = out or (runs[0] / "report" if len(runs) == 1 else Path("report"))
        check_output_dir(target)
        paths = build_report(runs, target)
        console.print(f"report: {paths.markdown}  ·  {paths.html}", highlight=False)
        for name, path in paths.plots.items():
            console.print(f"  {name}: {path}", highlight=False)
