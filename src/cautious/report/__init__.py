"""`cautious report`: eval run folders → report.md, a self-contained report.html, and PNG plots.

    from cautious.report import build_report
    paths = build_report(["runs/student-direct/eval", "runs/student-orca2/eval"], "runs/report")

Several folders are compared side by side: every table and figure has one column / bar per
run × system condition. Numbers are recomputed from the per-sample records, so a report of a
partial run is honest about what was measured (n per cell).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cautious.evaluate.runner import TaskScore
from cautious.report.load import RunData, load_runs
from cautious.report.render import Bullets, Code, Document, Figure, Heading, Table, Text, write_document
from cautious.report.plots import all_plots

PLOT_TITLES = {
    "accuracy": "Score per task (strict bars, flexible ticks)",
    "system_effect": "Effect of the system message",
    "tokens": "Score vs tokens per answer",
    "strategies": "Strategy usage per task",
}


@dataclass
class ReportPaths:
    out_dir: Path
    markdown: Path
    html: Path
    plots: dict[str, Path] = field(default_factory=dict)


def _fmt(v: float | None, info: dict[str, Any]) -> str:
    if v is None:
        return "–"
    return f"{100 * v:.1f}" if info.get("percent", True) else f"{v:.2f}"


def _strategies(s: TaskScore, top: int = 3) -> str:
    return ", ".join(f"{k} {100 * v:.0f}%" for k, v in list(s.strategies.items())[:top]) or "–"


def _tables(runs: list[RunData]) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Every table of the report as (header, rows), shared by the markdown and HTML writers."""
    tasks = list(dict.fromkeys(s.task for r in runs for s in r.scores))
    series = [(r, c) for r in runs for c in dict.fromkeys(s.condition for s in r.scores)]
    lookup = {(r.label, s.condition, s.task): s for r in runs for s in r.scores}

    runs_rows = []
    for r in runs:
        conds = r.run.conditions
        shown = ", ".join(f"{k} ({'empty' if not v else str(len(v)) + ' chars'})" for k, v in conds.items()) or "–"
        runs_rows.append([r.label, r.model, str(r.path), r.run.split, shown, r.run.created or "–"])

    pivot_header = ["task", "metric"] + [f"{r.label} · {c}" for r, c in series]
    pivot_rows = []
    for t in tasks:
        info = next((lookup[(r.label, c, t)].info for r, c in series if (r.label, c, t) in lookup), {})
        arrow = "" if info.get("higher_is_better", True) else " ↓"
        row = [t, info.get("label", "accuracy") + arrow]
        for r, c in series:
            s = lookup.get((r.label, c, t))
            row.append("–" if s is None else f"{_fmt(s.strict, s.info)} / {_fmt(s.flexible, s.info)}")
        pivot_rows.append(row)
    percent_tasks = [t for t in tasks if all(s.info.get("percent", True) and s.info.get("higher_is_better", True)
                                             for r in runs for s in r.scores if s.task == t)]
    if len(percent_tasks) > 1:
        row = ["**average**", f"{len(percent_tasks)} tasks"]
        for r, c in series:
            vals = [lookup[(r.label, c, t)] for t in percent_tasks if (r.label, c, t) in lookup]
            st = [v.strict for v in vals if v.strict is not None]
            fl = [v.flexible for v in vals if v.flexible is not None]
            row.append(f"{100 * sum(st) / len(st):.1f} / {100 * sum(fl) / len(fl):.1f}" if st and fl else "–")
        pivot_rows.append(row)

    detail_header = ["task", "run", "system", "n", "strict", "flexible", "parsed %", "parsed % (flex)", "tokens", "truncated", "failed"]
    detail_rows = []
    for t in tasks:
        for r, c in series:
            s = lookup.get((r.label, c, t))
            if s is None:
                continue
            detail_rows.append([t, r.label, c, str(s.n), _fmt(s.strict, s.info), _fmt(s.flexible, s.info),
                                f"{100 * s.parse_rate:.0f}", f"{100 * s.parse_rate_flexible:.0f}",
                                f"{s.mean_output_tokens:.1f}", str(s.truncated), str(s.errors)])

    strat_header = ["task", "run · system", "strategies used", "detected by"]
    strat_rows = []
    for t in tasks:
        for r, c in series:
            s = lookup.get((r.label, c, t))
            if s is None:
                continue
            method = ", ".join(f"{k} {v}" for k, v in s.strategy_method.items()) or "–"
            strat_rows.append([t, f"{r.label} · {c}", _strategies(s, top=4), method])
    return {
        "runs": (["run", "model", "folder", "split", "system conditions", "created"], runs_rows),
        "pivot": (pivot_header, pivot_rows),
        "detail": (detail_header, detail_rows),
        "strategies": (strat_header, strat_rows),
    }


def _samples(runs: list[RunData], per_task: int = 1, max_chars: int = 500) -> list[dict[str, str]]:
    """A wrong and a right output per task and series (when there are records), shortened."""
    out = []
    for r in runs:
        by_key: dict[tuple[str, str], dict[bool, Any]] = {}
        for rec in r.records:
            if rec.error is None:
                by_key.setdefault((rec.task, rec.condition), {}).setdefault(rec.correct, rec)
        for (task, cond), picks in by_key.items():
            for correct in (False, True)[: 2 * per_task]:
                rec = picks.get(correct)
                if rec is None:
                    continue
                text = rec.output if len(rec.output) <= max_chars else rec.output[:max_chars] + " …"
                prompt = rec.messages[-1].content if rec.messages else ""
                prompt = prompt if len(prompt) <= 300 else prompt[:300] + " …"
                out.append({"task": task, "series": r.series(cond), "verdict": "right" if correct else "wrong",
                            "prompt": prompt, "output": text, "gold": rec.gold, "extracted": str(rec.extracted),
                            "strategy": rec.strategy})
    return out


def _notes(runs: list[RunData]) -> list[str]:
    notes = []
    for r in runs:
        for line in r.run.model_notes:
            notes.append(f"{r.label}: {line}")
        if r.run.answer_regex:
            notes.append(f"{r.label}: strict extraction by the regex `{r.run.answer_regex}` (match {r.run.regex_group_select or 0})")
        if r.run.judge:
            notes.append(f"{r.label}: judge {r.run.judge} {r.run.judge_options}")
        failed = sum(s.errors for s in r.scores)
        if failed:
            notes.append(f"{r.label}: {failed} requests failed and are not scored; rerun `cautious eval` with the same --out to retry them")
    return notes


EXPLAIN = (
    "Zero-shot, greedy. **strict**: the answer behind an explicit final-answer phrase (`Final answer: X`); "
    "**flexible**: falls back to the last number / the option named / the last line. "
    "**parsed %**: outputs where strict extraction found an answer (flexible in its own column). "
    "**tokens**: mean output tokens per answer. Cells of the first table read *strict / flexible*. "
    "Strategy labels come from the outputs' section headers (`shape`) or a free-text heuristic (`heuristic`); see docs/eval.md."
)


def document(runs: list[RunData], tables, plots: dict[str, Path], samples) -> Document:
    """The evaluation report as blocks (rendered to markdown and HTML by `report.render`)."""
    doc = Document("Evaluation report").add(Text(f"{time.strftime('%Y-%m-%d %H:%M')} · {len(runs)} run(s)", meta=True), Text(EXPLAIN))
    doc.add(Heading("Runs"), Table(*tables["runs"]), Heading("Scores (strict / flexible)"), Table(*tables["pivot"]))
    doc.add(*[Figure(path, PLOT_TITLES.get(key, key)) for key, path in plots.items()])
    doc.add(Heading("Details"), Table(*tables["detail"]), Heading("Strategy usage"), Table(*tables["strategies"]))
    notes = _notes(runs)
    if notes:
        doc.add(Heading("Notes"), Bullets(notes))
    if samples:
        doc.add(Heading("Sample outputs"))
        for s in samples:
            doc.add(Text(f"**{s['task']}** · {s['series']} · {s['verdict']} (gold `{s['gold']}`, extracted `{s['extracted']}`, "
                         f"strategy {s['strategy']})"), Code(f"{s['prompt']}\n---\n{s['output']}"))
    return doc


def build_report(run_dirs: list[str | Path], out_dir: str | Path) -> ReportPaths:
    runs = load_runs(list(run_dirs))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plots = all_plots(runs, out)
    tables = _tables(runs)
    samples = _samples(runs)
    md, page = write_document(document(runs, tables, plots, samples), out)
    return ReportPaths(out_dir=out, markdown=md, html=page, plots=plots)


__all__ = ["ReportPaths", "RunData", "build_report", "load_runs"]
