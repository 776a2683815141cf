"""`cautious eval`: zero-shot greedy evaluation per task × system condition, with a scores table."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from cautious import progress as live
from cautious.commands import PROGRESS_OPTION


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


def shown_scores(done, job) -> None:
    """The scores table of this job's tasks and conditions, and where everything is."""
    result = done.result
    shown = [s for s in result.scores if (s.task, s.condition) in done.wanted]
    console.print(scores_table(shown, title=f"{done.model_name} · {job.split} · zero-shot greedy"))
    for line in done.notes:
        console.print(f"[yellow]note:[/] {line}", highlight=False)
    console.print(f"{result.new_records} new samples, {result.skipped} resumed from {job.out}, {result.seconds:.1f}s; "
                  f"records and scores in {job.out}/ (`cautious report {job.out}`)", highlight=False)


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
        cache: Path = typer.Option(None, "--cache", help="SQLite request cache for the model's and judge's replies: a rerun asks only what is new."),
        progress: bool = PROGRESS_OPTION,
    ) -> None:
        """Evaluate a model zero-shot (greedy) on tasks under each system-message condition: one record per sample as
        it goes, then a scores table (strict/flexible, parse rate, tokens, strategies). Rerun the same --out to resume."""
        from cautious.evaluate.job import EvalJob, run_eval_job
        from cautious.flags import from_flags

        live.configure(progress)
        job = from_flags(EvalJob, locals())
        with live.bar("eval", unit="answers") as bar:
            done = run_eval_job(job, bar.advance, bar.set_total)
        shown_scores(done, job)
