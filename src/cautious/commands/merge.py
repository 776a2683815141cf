"""`cautious merge`: join the outputs of `cautious generate --shard i/n` into one file."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from cautious.paths import check_output_file, refuse_overwriting_inputs

console = Console()


def register(app: typer.Typer) -> None:
    @app.command()
    def merge(
        inputs: list[Path] = typer.Argument(..., help="TeacherAnswer JSONL files (shard outputs)."),
        out: Path = typer.Option(..., "--out", "-o", help="Merged JSONL (written atomically)."),
    ) -> None:
        """Join shard outputs by request hash: each answer once, a failed one replaced by a
        successful one, in a stable order (task, strategy, example, sample)."""
        from cautious.generate.output import merge_files

        check_output_file(out)
        refuse_overwriting_inputs([out], inputs)
        stats = merge_files(list(inputs), out)
        console.print(
            f"merged {len(inputs)} files: {stats.read} records read, {stats.written} written to {out}; "
            f"{stats.duplicates} duplicates dropped ({stats.failed_replaced} failed ones replaced), {stats.conflicts} conflicts",
            highlight=False,
        )
        if stats.conflicts:
            console.print("[yellow]conflicts: the same request answered differently in two files; the first was kept[/]")
