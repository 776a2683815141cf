"""`cautious train`: fine-tune a student on erased chats; flags override the config file.

Runs as is on one process, or distributed with `accelerate launch -m cautious train ...`.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console


console = Console()


def preview(cfg, count: int) -> None:
    """Print `count` rendered examples with the trained text marked; train nothing."""
    from cautious.train.recipe import preview_labels

    shown, stats = preview_labels(cfg, count)
    for block in shown:
        console.print(block, highlight=False, soft_wrap=True)
        console.print()
    console.print(
        f"{stats.samples} samples · {stats.tokens:,} tokens · {stats.trained_tokens:,} trained "
        f"({100 * stats.trained_tokens / max(1, stats.tokens):.1f}%) · {stats.truncated} truncated · "
        "«marked» text is trained, the rest is masked",
        highlight=False,
    )


def one_writer(cfg):
    """The output folder's write lock, held by one process: a second `cautious train` into the
    same folder, under any name, is refused. Under `accelerate launch` only rank 0 takes it (every
    rank runs this command on the same folder). First, the cheap checks a lock must not hide."""
    from contextlib import nullcontext

    from cautious.locks import exclusive
    from cautious.models.folder import check_model_folder
    from cautious.paths import check_output_dir, same_file
    from cautious.train.config import LAB_TINY

    if cfg.model != LAB_TINY and not same_file(cfg.model, cfg.output_dir):  # (training into its own model: train() says so)
        check_model_folder(cfg.model)  # an empty or half-copied folder: which part is missing, not a tokenizer error
    check_output_dir(cfg.output_dir, "--output-dir")  # a file there is one line, not a failed lock
    return exclusive(cfg.output_dir, "train") if os.environ.get("RANK", "0") == "0" else nullcontext()


def register(app: typer.Typer) -> None:
    @app.command()
    def train(
        config: Path = typer.Option(None, "--config", "-c", help="Training config YAML (see docs/train.md)."),
        data: list[Path] = typer.Option(None, "--data", "-d", help="Training file(s); replaces the config's stages with one stage."),
        model: str = typer.Option(None, help="`lab-tiny`, a local HF folder, a hub id, or a .gguf file."),
        output_dir: Path = typer.Option(None, "--output-dir", "-o", help="Where the checkpoint, metrics and resume points go."),
        epochs: float = typer.Option(None, help="Epochs per stage (stages may set their own)."),
        max_steps: int = typer.Option(None, help="Optimizer steps per stage (overrides epochs)."),
        lr: float = typer.Option(None, help="Peak learning rate."),
        max_len: int = typer.Option(None, help="Tokens per training sequence."),
        batch_size: int = typer.Option(None, help="Sequences per optimizer step, over all processes."),
        micro_batch_size: int = typer.Option(None, help="Sequences per forward pass on one process."),
        seed: int = typer.Option(None, help="Seed for weights init and data order."),
        lora: bool = typer.Option(None, "--lora/--no-lora", help="Train LoRA adapters (merged into the export)."),
        packing: bool = typer.Option(None, "--packing/--no-packing", help="Pack examples into rows (default on)."),
        precision: str = typer.Option(None, help="auto (bf16 on GPU, fp32 on CPU), fp32 or bf16."),
        save_every: int = typer.Option(None, help="Checkpoint every N steps (0: stage ends only)."),
        system_message: str = typer.Option(None, help="Replace every system message with this text ('' removes them)."),
        set_: list[str] = typer.Option(None, "--set", help="Override any config key: --set stages.0.lr=1e-3 (repeatable)."),
        resume: bool = typer.Option(False, "--resume", help="Continue from the newest checkpoint in the output folder."),
        overwrite: bool = typer.Option(False, "--overwrite", help="Start over in an output folder that holds a run."),
        stop_after: int = typer.Option(None, help="Stop (resumably, with a checkpoint) after N steps of this run."),
        show_labels: int = typer.Option(None, "--show-labels", help="Print N rendered examples with trained «text» marked; train nothing."),
        progress: bool = typer.Option(None, "--progress/--no-progress", help="Live progress: step/total, loss, tokens/s, ETA "
                                                                            "(a line every ~30 s when not in a terminal)."),
    ) -> None:
        """Fine-tune a student: assistant-only loss, packing, progressive stages, LoRA, exact resume."""
        from cautious import progress as live
        from cautious.train.config import config_from_cli

        live.configure(progress is not False)

        cfg = config_from_cli(config, locals(), set_, data, lora)
        if show_labels is not None:
            return preview(cfg, show_labels)
        from cautious.train.recipe import train as run_train

        with one_writer(cfg):
            run_train(cfg, resume=resume, overwrite=overwrite, stop_after=stop_after, log=lambda m: console.print(m, highlight=False))
