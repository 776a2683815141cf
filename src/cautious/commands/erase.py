"""`cautious erase`: teacher answers → training chats with the strategy instruction erased."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from cautious.errors import UserError
from cautious.paths import check_output_file, refuse_overwriting_inputs

console = Console()


def register(app: typer.Typer) -> None:
    @app.command()
    def erase(
        answers: list[Path] = typer.Argument(..., help="TeacherAnswer JSONL file(s) from `cautious generate`."),
        out: Path = typer.Option(..., "--out", "-o", help="Output JSONL of TrainExample records (chat `messages`)."),
        system: str = typer.Option("cautious", help="Generic system message: `cautious`, `orca2`, `empty`, `@FILE`, or any text."),
        keep_instruction: bool = typer.Option(False, help="Keep the teacher's strategy instruction (no-erasure ablation)."),
        include_incorrect: bool = typer.Option(False, help="Keep answers that failed the gold check."),
    ) -> None:
        """Replace each strategy instruction with a generic system message (prompt erasure)."""
        from cautious.erase import erase as run_erase
        from cautious.erase import system_message
        from cautious.jsonl import read_records, write_records
        from cautious.records import TeacherAnswer

        check_output_file(out)
        system_file = [Path(system[1:])] if system.startswith("@") else []
        refuse_overwriting_inputs([out], list(answers) + system_file)
        system_message(system)  # a missing @FILE fails before the answers are read
        records = [a for path in answers for a in read_records(path, TeacherAnswer)]
        examples, stats = run_erase(records, system=system, keep_instruction=keep_instruction, include_incorrect=include_incorrect)
        if not examples:
            raise UserError(
                f"nothing to write: {stats.read} answers read, {stats.dropped_incorrect} incorrect, "
                f"{stats.dropped_errors} failed, {stats.dropped_empty} empty (use --include-incorrect to keep the incorrect)"
            )
        write_records(out, examples)
        console.print(
            f"erase: {stats.read} answers → {stats.written} training chats in {out} "
            f"(dropped {stats.dropped_incorrect} incorrect, {stats.dropped_errors} failed, {stats.dropped_duplicates} duplicate"
            + (f", {stats.dropped_empty} empty" if stats.dropped_empty else "") + ")"
        )
