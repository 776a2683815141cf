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

from cautious import progress
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


#: Stages whose pace predicts each other's: a training stage's seconds per expected second say
#: how fast the next training stage will go, not how fast an evaluation will.
_KINDS = {"probe-train": "train", "train": "train", "select": "generation", "probe-curve": "generation", "eval": "generation",
          "probe-data": "generate", "generate": "generate"}


def stage_kind(name: str) -> str:
    return _KINDS.get(name) or _KINDS.get(name.split("-")[0]) or name


@dataclass
class StageTimer:
    """Runs stages in order, printing one line per stage with elapsed time and the run's ETA.

    `weights` are each stage's expected seconds on the reference machine; they only seed the
    ETA. What was measured replaces them as soon as there is any: every stage that ran (or ran
    in an earlier, resumed invocation) gives its kind's pace — actual over expected seconds —
    and the stage running now gives its own pace through its progress bar. A kind not yet seen
    takes the pace of everything measured so far. So the ETA shown beside a live bar moves with
    the bar, instead of holding a fixed guess for the whole stage.
    """

    root: Path
    weights: dict[str, float]
    console: Console = field(default_factory=Console)
    started: float = field(default_factory=time.perf_counter)
    times: dict[str, float] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    current: str | None = None
    current_started: float = 0.0
    #: Off in a lane (`lanes.py`): it runs one student's stages and cannot see the run's ETA.
    show_eta: bool = True

    def _paces(self, bar=None) -> tuple[dict[str, float], float]:
        """Actual over expected seconds, per kind and overall, from what was measured."""
        sums: dict[str, list[float]] = {}
        for name, seconds in self.times.items():
            if self.weights.get(name, 0) > 0:
                acc = sums.setdefault(stage_kind(name), [0.0, 0.0])
                acc[0] += seconds
                acc[1] += self.weights[name]
        left = bar.eta_seconds() if bar is not None else None
        if self.current and left is not None and self.weights.get(self.current, 0) > 0:
            acc = sums.setdefault(stage_kind(self.current), [0.0, 0.0])
            acc[0] += time.perf_counter() - self.current_started + left
            acc[1] += self.weights[self.current]
        # A stage of a second or two, measured or expected, is noise: a 0.2-s guess that took 3 s
        # beside another job would multiply the whole run's ETA by 15.
        sums = {kind: (a, e) for kind, (a, e) in sums.items() if a >= 2 and e >= 2}
        paces = {kind: a / e for kind, (a, e) in sums.items()}
        actual, expected = sum(a for a, _ in sums.values()), sum(e for _, e in sums.values())
        return paces, (actual / expected if actual >= 2 and expected > 0 else 1.0)

    def eta_seconds(self, bar=None) -> float:
        """Seconds left in the run: the current stage (by its bar when it has one) and the rest."""
        paces, overall = self._paces(bar)
        left = 0.0
        for name, weight in self.weights.items():
            if name in self.times or name in self.skipped:
                continue
            expected = weight * paces.get(stage_kind(name), overall)
            if name == self.current:
                own = bar.eta_seconds() if bar is not None else None
                left += own if own is not None else max(0.0, expected - (time.perf_counter() - self.current_started))
            else:
                left += expected
        return left

    def _eta(self) -> str:
        return f", ETA {_fmt(self.eta_seconds())}" if self.show_eta else ""

    def _bar_word(self, bar) -> str:
        return f"run ETA {_fmt(self.eta_seconds(bar))}"

    def finished(self, name: str, settings: Any, inputs: list[Path]) -> bool:
        """Whether `name` is on disk, finished, under these settings and inputs (`run` would skip it)."""
        try:
            previous = json.loads((self.root / name / "stage.json").read_text())
        except (OSError, json.JSONDecodeError):
            return False
        return "seconds" in previous and previous.get("fingerprint") == fingerprint(settings, inputs)

    def run(self, name: str, settings: Any, inputs: list[Path], fn: Callable[[Path], Any], *, legacy: Any = None,
            quiet: bool = False) -> Path:
        """Run `fn(stage_dir)` unless an identical run of this stage is already on disk.

        `legacy`: the settings as an earlier version fingerprinted them; a finished stage
        marked with that fingerprint counts as identical (and is re-marked with the new one),
        so a change in what goes into a fingerprint does not rerun existing folders. `quiet`: a
        skipped stage prints nothing (the run collecting what its lanes just ran)."""
        stage_dir = self.root / name
        marker = stage_dir / "stage.json"
        fp = fingerprint(settings, inputs)
        previous: dict[str, Any] = {}
        if marker.exists():
            try:
                previous = json.loads(marker.read_text())
            except json.JSONDecodeError:
                previous = {}
        if legacy is not None and "seconds" in previous and previous.get("fingerprint") == fingerprint(legacy, inputs):
            previous["fingerprint"] = fp
            with atomic_writer(marker) as fh:
                json.dump(previous, fh)
        if previous.get("fingerprint") == fp and "seconds" in previous:
            self.skipped.append(name)
            self.times[name] = float(previous["seconds"])  # what the stage took when it ran: a resumed run's totals stay true
            if not quiet:
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
        self.console.print(f"[bold]▶ {name}[/]  (run elapsed {_fmt(time.perf_counter() - self.started)}{self._eta()})")
        t0 = self.current_started = time.perf_counter()
        self.current = name
        progress.watch(self._bar_word, scope=name)  # the stage's bars say which stage, and the run's ETA
        try:
            fn(stage_dir)
        finally:
            progress.watch(None)
            self.current = None
        seconds = time.perf_counter() - t0
        self.times[name] = seconds
        with atomic_writer(marker) as fh:
            json.dump({"stage": name, "fingerprint": fp, "seconds": round(seconds, 2)}, fh)
        self.console.print(f"[green]✓ {name:<28}[/] {_fmt(seconds)}   (run elapsed {_fmt(time.perf_counter() - self.started)}{self._eta()})")
        return stage_dir


_fmt = progress.fmt_seconds
