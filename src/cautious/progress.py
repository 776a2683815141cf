"""Live progress inside long stages, through one narrow hook.

Why: a stage can run for minutes (the lab's probe trains for 7 minutes on an ordinary 2-core
laptop, a real student's evaluation for tens of minutes); a run that prints `▶ probe-train` and
then nothing looks hung. Every long stage reports through the same three calls, and only this
module decides how that shows, so the stages never touch rich:

    with progress.bar("eval", total=400, unit="answers") as bar:
        ...
        bar.advance(16)                        # training: bar.advance(1, loss=..., tokens=...)

* In a terminal: a live rich bar — done/total, and for training loss, tokens/s — with the
  stage's ETA and, inside `cautious run`, the run's ETA (`watch`).
* Not in a terminal (CI logs, `> file`): one plain line about every 30 s, never a redraw
  (`CAUTIOUS_PROGRESS_EVERY` sets the seconds, for logs that want more or fewer).
* `configure(False)` (`--no-progress`): nothing at all.

Bars are sequential, never nested: a stage opens one, advances it, closes it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rich.console import Console


@dataclass
class _Settings:
    enabled: bool = True
    console: Console | None = None
    #: Called with the open bar to add a word about the whole job (the run's ETA).
    watcher: Callable[["Bar"], str] | None = None
    #: Prefix for bar labels (the `cautious run` stage a bar belongs to).
    scope: str = ""
    #: The bar open now, if any (the run's ETA counts what is left of it).
    active: "Bar | None" = None
    every: float = field(default_factory=lambda: float(os.environ.get("CAUTIOUS_PROGRESS_EVERY", "30")))


_settings = _Settings()


def configure(enabled: bool = True, console: Console | None = None) -> None:
    """Set by each command from `--progress/--no-progress`; progress goes to stderr."""
    _settings.enabled = enabled
    _settings.console = console
    _settings.every = float(os.environ.get("CAUTIOUS_PROGRESS_EVERY", "30"))


def watch(watcher: Callable[["Bar"], str] | None, scope: str = "") -> None:
    """Let a job (`cautious run`) label the bars of its current stage and add its own ETA."""
    _settings.watcher, _settings.scope = watcher, scope


def active() -> "Bar | None":
    """The bar open now: what is left of the current stage, by its own pace."""
    return _settings.active


def close_active() -> None:
    """Stop a bar left open by an error, so the error line is not drawn over (the CLI calls it)."""
    if _settings.active is not None:
        _settings.active.close()


def fmt_seconds(seconds: float) -> str:
    seconds = int(round(max(0.0, seconds)))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class Bar:
    """Counts one stage's work; shows it live, as a plain line now and then, or not at all."""

    def __init__(self, label: str, total: int | None = None, done: int = 0, unit: str = "examples", show: bool = True) -> None:
        self.label = f"{_settings.scope} › {label}" if _settings.scope and label != _settings.scope else label
        self.total, self.done, self.unit = total, done, unit
        self.started_at, self.first = time.monotonic(), done
        self.loss: float | None = None
        self.tokens = 0
        console = _settings.console or Console(stderr=True)
        self.mode = "off" if not (show and _settings.enabled) else ("live" if console.is_terminal else "plain")
        self._console, self._last_line, self._live, self._task = console, self.started_at, None, None
        _settings.active = self
        if self.mode == "live":
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._live = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TextColumn("{task.fields[info]}"), console=console, transient=True)
            self._live.start()
            self._task = self._live.add_task(self.label, total=total, completed=done, info=unit)

    # -- the hook --------------------------------------------------------------------------
    def set_total(self, total: int, done: int | None = None) -> None:
        """The amount of work, once known (a resumed job starts at `done`)."""
        self.total = total
        if done is not None:
            self.done = self.first = done
            self.started_at = time.monotonic()
        self._show()

    def advance(self, k: int = 1, loss: float | None = None, tokens: int | None = None) -> None:
        self.done += k
        if loss is not None:
            self.loss = loss
        if tokens:
            self.tokens += tokens
        self._show()

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
        if _settings.active is self:
            _settings.active = None

    def __enter__(self) -> "Bar":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- what it says ----------------------------------------------------------------------
    def elapsed(self) -> float:
        return time.monotonic() - self.started_at

    def eta_seconds(self) -> float | None:
        """Seconds left in this bar, from its own pace so far (None until something is done)."""
        ran, elapsed = self.done - self.first, self.elapsed()
        if self.total is None or ran <= 0 or elapsed <= 0:
            return None
        return max(0, self.total - self.done) * elapsed / ran

    def info(self) -> str:
        parts = [self.unit]
        if self.loss is not None:
            parts.append(f"loss {self.loss:.4f}")
        if self.tokens and self.elapsed() > 0:
            parts.append(f"{self.tokens / self.elapsed():,.0f} tok/s")
        eta = self.eta_seconds()
        parts.append(f"ETA {fmt_seconds(eta)}" if eta is not None else "ETA ?")
        if _settings.watcher is not None:
            extra = _settings.watcher(self)
            if extra:
                parts.append(extra)
        return " · ".join(parts)

    def line(self) -> str:
        share = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        return f"{self.label}: {self.done}/{self.total if self.total is not None else '?'}{share} {self.info()}"

    def _show(self) -> None:
        if self.mode == "live" and self._live is not None:
            self._live.update(self._task, total=self.total, completed=self.done, info=self.info())
        elif self.mode == "plain":
            now = time.monotonic()
            if now - self._last_line >= _settings.every:
                self._last_line = now
                self._console.print(self.line(), highlight=False, markup=False, soft_wrap=True)


def bar(label: str, total: int | None = None, done: int = 0, unit: str = "examples", show: bool = True) -> Bar:
    """Open a bar for one stage's work (`show=False`: count only, e.g. on a non-main process)."""
    return Bar(label, total, done, unit, show)
