"""Reading eval run folders for a report: settings, scores and records, one `RunData` per folder."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cautious.errors import UserError
from cautious.evaluate.manifest import EvalManifest
from cautious.evaluate.runner import RECORDS_FILE, SCORES_FILE, TaskScore, aggregate, latest_records, load_records
from cautious.records import EvalRecord


@dataclass
class RunData:
    label: str
    path: Path
    run: EvalManifest
    scores: list[TaskScore]
    records: list[EvalRecord] = field(default_factory=list)

    @property
    def model(self) -> str:
        return self.run.model

    def series(self, condition: str) -> str:
        """The name of one bar group in plots: run label and system condition."""
        return f"{self.label} · {condition}"


def _score_from_dict(d: dict[str, Any]) -> TaskScore:
    known = set(TaskScore.__dataclass_fields__)
    return TaskScore(**{k: v for k, v in d.items() if k in known})


def not_an_eval_run(path: Path) -> str:
    """Why `path` cannot be reported, and what to pass instead. A `cautious run` folder (or any
    folder of eval runs) holds its eval runs one level down: telling its user to run
    `cautious eval --out` there would have them evaluate again what is already evaluated."""
    evals = sorted(p for p in path.iterdir() if p.is_dir() and ((p / RECORDS_FILE).exists() or (p / SCORES_FILE).exists()))
    if not evals:
        return f"{path}: not an eval run folder (no {RECORDS_FILE} or {SCORES_FILE}); run `cautious eval --out {path}` first"
    made = path / "report" / "report.md"
    ready = f"its report is already written: {made}; " if made.exists() else ""
    return (f"{path}: holds eval runs, it is not one itself; {ready}to report them side by side: "
            f"cautious report {' '.join(str(p) for p in evals)}")


def load_run(path: str | Path) -> RunData:
    path = Path(path)
    if not path.is_dir():
        raise UserError(f"{path}: not a folder (expected an eval run folder written by `cautious eval --out`)")
    records_path = path / RECORDS_FILE
    if not records_path.exists() and not (path / SCORES_FILE).exists():
        raise UserError(not_an_eval_run(path))
    #: A folder with only scores.json (copied without its manifest) reads as an unknown run.
    run = EvalManifest.read(path) or EvalManifest(model="?", split="?")
    records = list(latest_records(load_records(records_path)).values()) if records_path.exists() else []
    if records:
        scores = aggregate(records, run.metric_infos())
    else:
        try:
            data = json.loads((path / SCORES_FILE).read_text(encoding="utf-8"))
            scores = [_score_from_dict(d) for d in data["scores"]]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise UserError(f"{path / SCORES_FILE}: not a scores file written by `cautious eval` ({exc})") from None
    if not scores:
        raise UserError(f"{path}: the run has no records yet")
    return RunData(label=str(run.label or path.resolve().name), path=path, run=run, scores=scores, records=records)


def load_runs(paths: list[str | Path]) -> list[RunData]:
    """Load several folders; labels are made unique (folder names, then a counter)."""
    if not paths:
        raise UserError("no run folders given")
    runs = [load_run(p) for p in paths]
    seen: dict[str, int] = {}
    for r in runs:
        if [x.label for x in runs].count(r.label) > 1:
            alt = r.path.resolve().name
            r.label = alt if [x.path.resolve().name for x in runs].count(alt) == 1 else r.label
        k = seen.get(r.label, 0)
        seen[r.label] = k + 1
        if k:
            r.label = f"{r.label} ({k + 1})"
    return runs
