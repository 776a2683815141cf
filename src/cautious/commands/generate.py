"""`cautious generate`: teacher answers for tasks under their strategies, checked against gold.

Parses options and calls `cautious.generate`; all behaviour lives there. Exit codes: 0 every
answer arrived, 2 user error, 3 stopped at the `--max-cost` budget (rerun with a higher cap to
continue from the cache), 4 some answers failed after their retries (they are recorded, and a
rerun of the same command retries only those), 130 interrupted (Ctrl-C; what arrived is kept).
A script must not mistake a run whose requests failed for a finished one, hence 4, not 0.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from cautious import progress as live
from cautious.commands import PROGRESS_OPTION


console = Console()
err_console = Console(stderr=True)
BUDGET_EXIT = 3
FAILED_EXIT = 4
INTERRUPTED_EXIT = 130


def summary_table(result) -> Table:
    """Per-task acceptance: correct against gold, accepted (correct and not filtered), why not."""
    table = Table(title=f"teacher answers → {result.path}")
    priced = bool(result.cost_usd)
    cols = ["task", "strategy", "n", "correct%", "accepted%", "rejected", "tokens"] + (["cost $"] if priced else [])
    for col in cols:
        left = col in ("task", "strategy", "rejected")
        table.add_column(col, justify="left" if left else "right", no_wrap=col != "rejected", min_width=8 if col == "rejected" else None)
    for s in result.summaries:
        rejected = ", ".join(f"{k} {v}" for k, v in sorted(s.reasons.items())) or "-"
        row = [s.task, s.strategy, str(s.n), f"{100 * s.accuracy:.1f}", f"{100 * s.acceptance:.1f}", rejected, f"{s.mean_tokens:.1f}"]
        table.add_row(*row, *([f"{s.cost_usd:.4f}"] if priced else []))
    return table


def failures_table(result) -> Table | None:
    """Why answers failed after their retries, by reason (HTTP status, malformed reply, ...)."""
    from collections import Counter

    reasons: Counter = Counter()
    for s in result.summaries:
        reasons.update(s.failures)
    if not reasons:
        return None
    table = Table(title="failed answers by reason")
    table.add_column("reason", min_width=28)
    table.add_column("answers", justify="right")
    for reason, count in reasons.most_common():
        table.add_row(reason, str(count))
    return table


def run_line(r) -> str:
    cost = "" if not r.cost_usd else f", ${r.cost_usd:.4f} spent"
    return (
        f"{r.written} answers written ({r.already_done} already there, {r.remaining} left); "
        f"{r.requests_sent} requests sent, {r.cache_hits} from cache, {r.retries} retries, {r.failed_requests} failed; "
        f"{r.prompt_tokens:,} prompt + {r.completion_tokens:,} completion tokens{cost}; {r.seconds:.1f}s"
    )


def show_estimate(prepared) -> None:
    """What the run would send and spend; nothing is sent or written."""
    from cautious.generate.estimate import estimate

    model, cfg = prepared.model, prepared.config
    est = estimate(model.name, prepared.work, cfg.out, cfg.params, samples=cfg.samples, shard=cfg.shard, cache_path=cfg.cache,
                   prices=cfg.prices)
    console.print("[bold]dry run[/] — nothing sent, nothing written")
    for line in est.lines(model.name):
        console.print(f"  {line}", highlight=False)
    if cfg.max_cost is not None and est.max_cost is not None and est.max_cost > cfg.max_cost:
        console.print(f"  --max-cost ${cfg.max_cost:g} may stop the run before the end (it never overspends)", highlight=False)
    model.close()


def run_with_progress(prepared, show: bool = True):
    """`generate()` under a progress bar; Ctrl-C keeps what arrived and says how to resume."""
    from cautious.generate import generate

    live.configure(show)
    cfg, progress = prepared.config, {"done": 0, "new": 0}
    if cfg.samples > 1 and cfg.temperature == 0:
        console.print("[yellow]warning:[/] --samples > 1 at --temperature 0 will mostly draw the same answer again")
    try:
        with live.bar("generate", unit="answers") as bar:
            return generate(
                prepared.model, prepared.work, cfg,
                on_progress=lambda k: (progress.update(new=progress["new"] + k), bar.advance(k)),
                on_start=lambda items, done: (progress.update(done=done), bar.set_total(items, done)),
            )
    except KeyboardInterrupt:
        cached = f"; every reply that arrived is also in the cache {cfg.cache}" if cfg.cache else ""
        err_console.print(
            f"interrupted: {progress['done'] + progress['new']} answers are kept in {cfg.out} ({progress['new']} new this run)"
            f"{cached}; run the same command again to resume — it sends only what is missing",
            highlight=False, soft_wrap=True,
        )
        raise typer.Exit(code=INTERRUPTED_EXIT) from None
    except OSError as exc:
        raise disk_full(exc, cfg.out) from None
    finally:
        prepared.model.close()


def disk_full(exc: OSError, out) -> Exception:
    """A full disk (or quota, or file-size limit) mid-run: the OS's line, and that the same
    command repairs the file and goes on — the last answer may be half-written, and a user who
    sees that torn line should not think the file is lost or start over (and pay again)."""
    import errno

    from cautious.errors import UserError
    from cautious.paths import os_error_line

    line = os_error_line(exc)
    if line is None or exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return exc
    return UserError(f"{line}; free some space, then run the same command again: it cuts the torn last line of {out} "
                     "and resumes, sending only what is missing")


def finish(result, prepared) -> None:
    """Tables, the stats file, and the exit code a script can trust (see the module docstring)."""
    from cautious.jsonl import atomic_writer

    console.print(summary_table(result))
    console.print(run_line(result), highlight=False)
    with atomic_writer(prepared.stats_path) as fh:
        fh.write(json.dumps(result.as_dict(), indent=2) + "\n")
    failed = sum(s.reasons.get("request failed", 0) for s in result.summaries)
    if failed:
        console.print(failures_table(result))
        first = next(s.first_failure for s in result.summaries if s.first_failure)
        console.print(f"first error: {first}", highlight=False, markup=False, soft_wrap=True)
        console.print(f"[yellow]{failed} answers failed after retries; rerun the same command to retry only those[/]")
    if result.stopped == "budget":
        console.print(
            f"[yellow]stopped at the budget: ${result.cost_usd:.4f} spent of --max-cost ${prepared.config.max_cost:g}; "
            f"{result.remaining} items left — rerun with a higher --max-cost to continue[/]"
        )
        raise typer.Exit(code=BUDGET_EXIT)
    if failed:
        raise typer.Exit(code=FAILED_EXIT)


def register(app: typer.Typer) -> None:
    @app.command()
    def generate(
        tasks: str = typer.Option("lab", "--tasks", "-t", help="Comma-separated task names or paths; `lab` = every lab family."),
        strategy: str = typer.Option(..., "--strategy", "-s", help="One strategy for all tasks, or a YAML map `task: strategy`."),
        teacher: str = typer.Option("lab", help="Teacher model: `lab`, `hf:PATH`, `openai:MODEL`."),
        out: Path = typer.Option(..., "--out", "-o", help="Output JSONL of TeacherAnswer records (appended; a rerun resumes)."),
        split: str = typer.Option("train", help="Which split of each task to answer."),
        n: int = typer.Option(100, "-n", help="Examples per task."),
        seed: int = typer.Option(0, help="Example sampling seed (also sent to the teacher as its sampling seed)."),
        strategies_file: list[Path] = typer.Option(None, "--strategies-file", help="YAML file(s) of extra strategies."),
        batch_size: int = typer.Option(32, help="Conversations per batch for local teachers (lab, hf)."),
        max_tokens: int = typer.Option(1024, help="Max new tokens per teacher call."),
        temperature: float = typer.Option(0.0, help="Teacher sampling temperature."),
        base_url: str = typer.Option(None, help="OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1 (default $OPENAI_BASE_URL or OpenAI)."),
        api_key_env: str = typer.Option("OPENAI_API_KEY", help="Environment variable holding the API key (never written anywhere)."),
        concurrency: int = typer.Option(16, help="Requests in flight at once (openai teachers)."),
        rpm: float = typer.Option(None, help="Requests-per-minute limit."),
        tpm: float = typer.Option(None, help="Tokens-per-minute limit (prompt estimate + max_tokens per request)."),
        timeout: float = typer.Option(120.0, help="Seconds before a request is abandoned and retried."),
        max_retries: int = typer.Option(6, help="Retries per request on 429/5xx/timeouts/malformed replies."),
        cache: Path = typer.Option(None, help="SQLite request cache (default OUT.cache.sqlite; none for the free lab teacher)."),
        no_cache: bool = typer.Option(False, "--no-cache", help="Do not cache replies (a rerun then re-sends what is missing)."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Print requests, tokens and cost this run would spend; send nothing."),
        max_cost: float = typer.Option(None, help="Stop cleanly before spending more than this many USD (needs a price)."),
        prices: Path = typer.Option(None, help="Price table YAML (USD per 1M tokens); default: the built-in table."),
        shard: str = typer.Option(None, help="Do shard i of n (0-based, e.g. 0/4); join shards with `cautious merge`."),
        samples: int = typer.Option(1, help="Self-consistency: draw up to this many samples per example, keep the first accepted."),
        refusal_filter: bool = typer.Option(True, "--refusal-filter/--no-refusal-filter", help="Reject answers that refuse."),
        min_tokens: int = typer.Option(0, help="Reject answers with fewer completion tokens."),
        max_answer_tokens: int = typer.Option(None, help="Reject answers with more completion tokens."),
        progress: bool = PROGRESS_OPTION,
    ) -> None:
        """Answer tasks with a teacher under each task's strategy, checked against gold (wrong ones kept, flagged); a rerun resumes."""
        from cautious.flags import from_flags
        from cautious.generate.job import GenerateJob, prepare

        job = from_flags(GenerateJob, locals())
        prepared = prepare(job)
        if job.dry_run:
            return show_estimate(prepared)
        finish(run_with_progress(prepared, progress), prepared)
