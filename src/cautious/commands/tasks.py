"""`cautious tasks list|show`: what tasks exist and what their examples look like."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from cautious.errors import UserError

console = Console()
#: Characters of one input (or gold answer) shown; the rest is counted, not printed. Laying
#: out a 50 MB line takes a terminal library minutes, and nobody reads it there.
SHOW_CHARS = 4000


def clip(text: str) -> str:
    if len(text) <= SHOW_CHARS:
        return text
    return f"{text[:SHOW_CHARS]} … ({len(text) - SHOW_CHARS:,} more characters not shown)"


def register(app: typer.Typer) -> None:
    tasks_app = typer.Typer(help="List tasks and preview their examples.", no_args_is_help=True)
    app.add_typer(tasks_app, name="tasks")

    @tasks_app.command("list")
    def list_tasks() -> None:
        """List registered tasks: the lab families and the benchmark loaders. Files (JSONL, BIG-bench JSON) are tasks too: pass their path wherever a task name goes."""
        from cautious.tasks import registered

        table = Table(title="tasks")
        table.add_column("name", no_wrap=True)
        for col in ("group", "needs", "description"):
            table.add_column(col, overflow="fold")
        for entry in sorted(registered().values(), key=lambda e: (e.group != "lab", e.group, e.name)):
            table.add_row(entry.name, entry.group, ", ".join(entry.needs) or "-", entry.description)
        console.print(table)

    @tasks_app.command("show")
    def show(
        name: str = typer.Argument(..., help="A task name, a JSONL file, or a BIG-bench task.json / folder."),
        n: int = typer.Option(3, "-n", help="How many examples to show."),
        split: str = typer.Option("train", help="Which split."),
        seed: int = typer.Option(0, help="Sampling seed."),
        knob: list[str] = typer.Option([], "--knob", help="A lab family's knob as KEY=VALUE (repeatable), as a run config's "
                                       "task_knobs sets it, e.g. --knob digits=6 --knob equal_prefix=1.0 (the lab preset's comparison)."),
    ) -> None:
        """Show a task's examples with their gold answers."""
        from rich.markup import escape
        from cautious.tasks import get_task

        if n < 0:
            raise UserError(f"-n {n}: expected how many examples to show (0 or more)")
        tasks = get_task(name)
        if knob:
            tasks = _with_knobs(tasks, knob)
        for task in tasks:
            console.rule(f"{task.name} · {task.source} · answer type {task.answer_type} · split {split}")
            if task.description:
                console.print(task.description, style="dim")
            for ex in task.examples(split, n=n, seed=seed):
                console.print(f"[bold]{ex.id}[/]", highlight=False)
                console.print(clip(ex.input), highlight=False, markup=False)
                gold = f"{clip(ex.gold)}  (option {ex.label} of {len(ex.choices)})" if ex.choices else clip(ex.gold)
                console.print("[green]gold:[/] " + escape(gold), highlight=False)
                console.print()


def _with_knobs(tasks: list, pairs: list[str]) -> list:
    """The lab families of `tasks` set to `--knob KEY=VALUE` pairs (values read as YAML scalars,
    so `6` is a number and `+` a string), checked as a run config's task_knobs are."""
    import yaml

    from cautious.lab.base import LabTask, with_knobs

    knobs: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--knob {pair!r}: expected KEY=VALUE, e.g. --knob digits=6")
        try:
            knobs[key.strip()] = yaml.safe_load(value) if value.strip() else None
        except yaml.YAMLError:
            knobs[key.strip()] = value
    for task in tasks:
        if not isinstance(task, LabTask):
            raise UserError(f"--knob: only lab families have knobs; {task.name!r} is a {task.source} task")
    return with_knobs(tasks, {t.name: knobs for t in tasks}, where="--knob")
