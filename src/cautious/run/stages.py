"""Stage bookkeeping for `cautious run`: skip what is done, time what runs, estimate the rest.

Each stage writes `<run>/<stage>/stage.json` with a fingerprint of everything it depends on
(its settings and the contents of its input files): when it starts, and again with its time
when it finishes. A rerun skips a finished stage whose fingerprint is unchanged, resumes an
unfinished one in place (so an interrupted run continues where it was), and empties a stage
folder it made under another fingerprint before running it again — changing one knob re-runs the
stages downstream of it from scratch, never on top of their stale records or checkpoints.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from cautious.jsonl import atomic_writer


def file_digest(path: Path) -> str:
    """Content hash of a file or of every file under a folder (for checkpoints)."""
    h = hashlib.sha256()
    paths = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for p in paths:
        h.update(str(p.relative_to(path) if path.is_dir() else p.name).encode())
        with p.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def fingerprint(settings: Any, inputs: list[Path]) -> str:
    payload = {"settings": settings, "inputs": [file_digest(p) for p in inputs]}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class StageTimer:
    """Runs stages in order, printing one line per stage with elapsed time and the run's ETA.

    The ETA sums the remaining stages' expected seconds (`weights`), scaled by how fast the
    stages so far went against their expectation.
    """

    root: Path
    weights: dict[str, float]
    console: Console = field(default_factory=Console)
    started: float = field(default_factory=time.perf_counter)
    done_weight: float = 0.0
    times: dict[str, float] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def _eta(self) -> str:
        elapsed = time.perf_counter() - self.started
        remaining = sum(w for name, w in self.weights.items() if name not in self.times and name not in self.skipped)
        ran = self.done_weight
        if remaining <= 0:
            return "0s"
        # Weights are expected seconds on the reference machine; once a few seconds' worth of
        # stages ran, scale them by how fast this machine actually went (a 1 s stage is noise).
        rate = elapsed / ran if ran >= 10 else 1.0
        return _fmt(rate * remaining)

    def run(self, name: str, settings: Any, inputs: list[Path], fn: Callable[[Path], Any]) -> Path:
        """Run `fn(stage_dir)` unless an identical run of this stage is already on disk."""
        stage_dir = self.root / name
        marker = stage_dir / "stage.json"
        fp = fingerprint(settings, inputs)
        previous: dict[str, Any] = {}
        if marker.exists():
            try:
                previous = json.loads(marker.read_text())
            except json.JSONDecodeError:
                previous = {}
        if previous.get("fingerprint") == fp and "seconds" in previous:
            self.skipped.append(name)
            self.times[name] = float(previous["seconds"])  # what the stage took when it ran: a resumed run's totals stay true
            self.console.print(f"[dim]✓ {name:<28} unchanged, skipped ({_fmt(previous.get('seconds', 0))} when it ran)[/]")
            return stage_dir
        if previous.get("stage") == name and previous.get("fingerprint") != fp:
            # This stage made what is there from other settings or inputs: resuming it would
            # mix stale records or checkpoints into this run. (A folder without our marker is
            # left alone: it may not be ours.)
            shutil.rmtree(stage_dir)
        stage_dir.mkdir(parents=True, exist_ok=True)
        # Started, not finished: an interrupted stage with the same fingerprint resumes in place.
        with atomic_writer(marker) as fh:
            json.dump({"stage": name, "fingerprint": fp}, fh)
        self.console.print(f"[bold]▶ {name}[/]  (run elapsed {_fmt(time.perf_counter() - self.started)}, ETA {self._eta()})")
        t0 = time.perf_counter()
        fn(stage_dir)
        seconds = time.perf_counter() - t0
        self.times[name] = seconds
        self.done_weight += self.weights.get(name, 0.0)
        with atomic_writer(marker) as fh:
            json.dump({"stage": name, "fingerprint": fp, "seconds": round(seconds, 2)}, fh)
        self.console.print(f"[green]✓ {name:<28}[/] {_fmt(seconds)}   (run elapsed {_fmt(time.perf_counter() - self.started)}, ETA {self._eta()})")
        return stage_dir


def _fmt(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"
