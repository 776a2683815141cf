"""`cautious eval`: zero-shot greedy evaluation per task × system condition, with a scores table."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from cautious.errors import UserError
from cautious.paths import check_output_dir, refuse_overwriting_inputs

console = Console()


def fmt_value(value: float | None, info: dict) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.1f}" if info.get("percent", True) else f"{value:.2f}"


def fmt_strategies(strategies: dict[str, float], top: int = 3) -> str:
    items = list(strategies.items())[:top]
    return "\n".join(f"{name} {100 * share:.0f}%" for name, share in items) or "-"


def scores_table(scores, title: str) -> Table:
    """Compact enough for an 80-column terminal: the metric column only when tasks differ."""
    from rich import box

    labels = {(s.info or {}).get("label", "accuracy") for s in scores}
    show_metric = labels != {"accuracy"}
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True, caption="strict / flex: score by the final-answer phrase / "
                  "by looser extraction · parsed: outputs with a final-answer phrase · tokens: mean per answer")
    columns = [("task", "left", True), ("system", "left", True), ("n", "right", True)]
    columns += [("metric", "left", True)] if show_metric else []
    columns += [("strict", "right", True), ("flex", "right", True), ("parsed", "right", True), ("tokens", "right", True),
                ("strategies used", "left", False)]
    for col, justify, no_wrap in columns:
        table.add_column(col, justify=justify, no_wrap=no_wrap, overflow="fold")
    for s in scores:
        info = s.info or {}
        n = f"{s.n}" + (f" (+{s.errors} failed)" if s.errors else "")
        row = [s.task, s.condition, n] + ([info.get("label", "accuracy")] if show_metric else [])
        row += [fmt_value(s.strict, info), fmt_value(s.flexible, info), f"{100 * s.parse_rate:.0f}%",
                f"{s.mean_output_tokens:.1f}", fmt_strategies(s.strategies)]
        table.add_row(*row)
    return table


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def eval_(
        model: str = typer.Option(..., "--model", "-m", help="Model: `hf:PATH|HUB_ID|FILE.gguf`, `lab[:STRATEGY]`, `openai:MODEL`."),
        tasks: str = typer.Option(..., "--tasks", "-t", help="Comma-separated task names or paths; `lab` = every lab family."),
        out: Path = typer.Option(..., "--out", "-o", help="Run folder: run.json, records.jsonl, scores.json. Reruns resume."),
        system: list[str] = typer.Option(
            ["empty"], "--system", "-s",
            help="System-message conditions: presets `empty,cautious,orca2`, `@file.txt`, or literal text (repeatable).",
        ),
        split: str = typer.Option("test", help="Which split of each task."),
        n: int = typer.Option(None, "-n", help="Examples per task (default: the task's whole split; lab tasks: 200)."),
        seed: int = typer.Option(0, help="Example sampling seed."),
        batch_size: int = typer.Option(16, "--batch-size", help="Conversations per generation batch."),
        max_new_tokens: int = typer.Option(None, "--max-new-tokens", help="Override every task's generation limit (default: the task's, else 512)."),
        judge: str = typer.Option(None, "--judge", help="Judge model for judge-scored tasks (e.g. openai:gpt-4o)."),
        judge_n: int = typer.Option(3, "--judge-n", help="Times the judge grades each output; the median counts."),
        answer_regex: str = typer.Option(None, "--answer-regex", help="Strict extraction by this regex instead (lm-eval `regex` filter: first group)."),
        regex_select: int = typer.Option(0, "--regex-select", help="Which regex match: 0 = first, -1 = last."),
        strategies_file: list[Path] = typer.Option(None, "--strategies-file", help="YAML file(s) of extra strategies to detect."),
        label: str = typer.Option(None, "--label", help="Name of this run in reports (default: the folder name)."),
    ) -> None:
        """Evaluate a model zero-shot (greedy) on tasks under each system-message condition.

        Writes one record per sample as it goes and a scores table (strict and flexible answer
        extraction, parse rate, output tokens, which strategy the outputs show). Run it again
        with the same --out to resume.
        """
        import re

        from cautious.evaluate.conditions import parse_conditions
        from cautious.evaluate.metrics import ScoringContext
        from cautious.evaluate.runner import run_eval
        from cautious.evaluate.runner import RUN_FILES
        from cautious.models.base import load_model
        from cautious.strategies import load_catalog
        from cautious.tasks import resolve_tasks

        if n is not None and n <= 0:
            raise UserError("-n must be at least 1 (empty selection)")
        if batch_size < 1:
            raise UserError("--batch-size must be at least 1")
        if max_new_tokens is not None and max_new_tokens < 1:
            raise UserError("--max-new-tokens must be at least 1")
        if judge_n < 1:
            raise UserError("--judge-n must be at least 1")
        if answer_regex is not None:
            try:
                re.compile(answer_regex)
            except re.error as exc:
                raise UserError(f"--answer-regex: not a valid regular expression ({exc})") from None
        check_output_dir(out)  # before the model is loaded
        conditions = parse_conditions(system)
        catalog = load_catalog(strategies_file)
        task_list = resolve_tasks(tasks)
        inputs = [t.path for t in task_list if getattr(t, "path", None)] + list(strategies_file or [])
        inputs += [Path(s.strip()[1:]) for spec in system for s in spec.split(",") if s.strip().startswith("@")]
        refuse_overwriting_inputs([out / name for name in RUN_FILES], inputs)
        needs_judge = [t.name for t in task_list if "judge" in getattr(t, "needs", ())]
        if needs_judge and not judge:
            raise UserError(f"task(s) {', '.join(needs_judge)} are scored by an LLM judge: pass --judge MODEL (e.g. openai:gpt-4o)")
        selected = {}
        for task in task_list:
            task.check_split(split)
            exs = task.examples(split, n=n, seed=seed)
            if not exs:
                raise UserError(f"task {task.name!r} has no {split} examples (empty selection)")
            selected[task.name] = exs
        ctx = ScoringContext(
            judge=judge, judge_options={"n": judge_n} if judge else {}, answer_regex=answer_regex,
            regex_group_select=regex_select,
        )
        chat_model = load_model(model, strategies=catalog) if model.split(":")[0] == "lab" else load_model(model)
        total = sum(len(v) for v in selected.values()) * len(conditions)
        try:
            with Progress(TextColumn("eval"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console, transient=True) as bar:
                job = bar.add_task("eval", total=total)
                result = run_eval(
                    chat_model, task_list, conditions, out, split=split, n=n, seed=seed, batch_size=batch_size,
                    max_new_tokens=max_new_tokens, ctx=ctx, catalog=catalog, label=label or out.name,
                    on_progress=lambda k: bar.advance(job, k), examples_by_task=selected,
                )
        finally:
            chat_model.close()
        wanted = {(t.name, c.name) for t in task_list for c in conditions}
        shown = [s for s in result.scores if (s.task, s.condition) in wanted]
        console.print(scores_table(shown, title=f"{chat_model.name} · {split} · zero-shot greedy"))
        note = f"{result.new_records} new samples, {result.skipped} resumed from {out}, {result.seconds:.1f}s"
        for line in getattr(chat_model, "notes", []):
            console.print(f"[yellow]note:[/] {line}", highlight=False)
        console.print(f"{note}; records and scores in {out}/ (`cautious report {out}`)", highlight=False)
