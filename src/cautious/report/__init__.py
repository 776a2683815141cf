"""`cautious report`: eval run folders → report.md, a self-contained report.html, and PNG plots.

    from cautious.report import build_report
    paths = build_report(["runs/student-direct/eval", "runs/student-orca2/eval"], "runs/report")

Several folders are compared side by side: every table and figure has one column / bar per
run × system condition. Numbers are recomputed from the per-sample records, so a report of a
partial run is honest about what was measured (n per cell).
"""

from __future__ import annotations

import base64
import html
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cautious.evaluate.runner import TaskScore
from cautious.jsonl import atomic_writer
from cautious.report.load import RunData, load_runs
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
        conds = r.run.get("conditions", {})
        shown = ", ".join(f"{k} ({'empty' if not v else str(len(v)) + ' chars'})" for k, v in conds.items()) or "–"
        runs_rows.append([r.label, r.model, str(r.path), str(r.run.get("split", "?")), shown, str(r.run.get("created", "–"))])

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


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    def cell(x: str) -> str:
        return x.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(x) for x in row) + " |" for row in rows]
    return "\n".join(lines)


def _notes(runs: list[RunData]) -> list[str]:
    notes = []
    for r in runs:
        for line in r.run.get("model_notes", []):
            notes.append(f"{r.label}: {line}")
        if r.run.get("answer_regex"):
            notes.append(f"{r.label}: strict extraction by the regex `{r.run['answer_regex']}` (match {r.run.get('regex_group_select', 0)})")
        if r.run.get("judge"):
            notes.append(f"{r.label}: judge {r.run['judge']} {r.run.get('judge_options', {})}")
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


def write_markdown(runs: list[RunData], tables, plots: dict[str, Path], samples, out: Path) -> Path:
    parts = [f"# Evaluation report\n\n_{time.strftime('%Y-%m-%d %H:%M')} · {len(runs)} run(s)_\n", EXPLAIN + "\n"]
    parts += ["## Runs\n", _md_table(*tables["runs"]) + "\n"]
    parts += ["## Scores (strict / flexible)\n", _md_table(*tables["pivot"]) + "\n"]
    for key, path in plots.items():
        parts.append(f"### {PLOT_TITLES.get(key, key)}\n\n![{key}]({path.name})\n")
    parts += ["## Details\n", _md_table(*tables["detail"]) + "\n"]
    parts += ["## Strategy usage\n", _md_table(*tables["strategies"]) + "\n"]
    notes = _notes(runs)
    if notes:
        parts += ["## Notes\n", "\n".join(f"- {n}" for n in notes) + "\n"]
    if samples:
        parts.append("## Sample outputs\n")
        for s in samples:
            parts.append(f"**{s['task']}** · {s['series']} · {s['verdict']} (gold `{s['gold']}`, extracted `{s['extracted']}`, "
                         f"strategy {s['strategy']})\n\n```text\n{s['prompt']}\n---\n{s['output']}\n```\n")
    path = out / "report.md"
    with atomic_writer(path) as fh:
        fh.write("\n".join(parts))
    return path


CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em} th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left}
th{background:#f4f4f4} tr:nth-child(even) td{background:#fafafa} td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1em 0} figure img{max-width:100%;border:1px solid #eee} figcaption{font-weight:bold;margin-bottom:.3em}
pre{background:#f7f7f7;padding:.6em;white-space:pre-wrap;font-size:.85em} .meta{color:#666} code{background:#f2f2f2;padding:0 .2em}
"""


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    def td(x: str) -> str:
        bold = x.startswith("**") and x.endswith("**")
        x = x.strip("*") if bold else x
        num = x.replace(".", "", 1).replace(" / ", "").replace("–", "").replace("-", "").strip().isdigit()
        inner = f"<b>{html.escape(x)}</b>" if bold else html.escape(x)
        return f"<td class=num>{inner}</td>" if num else f"<td>{inner}</td>"

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(td(x) for x in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _inline_md(text: str) -> str:
    """The few markdown bits EXPLAIN uses (**bold**, `code`, _italic_) as HTML."""
    import re

    t = html.escape(text)
    t = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", t)
    t = re.sub(r"`(.+?)`", r"<code>\1</code>", t)
    return re.sub(r"(?<!\w)\*(.+?)\*(?!\w)", r"<i>\1</i>", t)


def write_html(runs: list[RunData], tables, plots: dict[str, Path], samples, out: Path) -> Path:
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>cautious · evaluation report</title><style>{CSS}</style></head><body>",
             "<h1>Evaluation report</h1>", f"<p class=meta>{time.strftime('%Y-%m-%d %H:%M')} · {len(runs)} run(s)</p>",
             f"<p>{_inline_md(EXPLAIN)}</p>", "<h2>Runs</h2>", _html_table(*tables["runs"]),
             "<h2>Scores (strict / flexible)</h2>", _html_table(*tables["pivot"])]
    for key, path in plots.items():
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        parts.append(f"<figure><figcaption>{html.escape(PLOT_TITLES.get(key, key))}</figcaption>"
                     f"<img alt='{key}' src='data:image/png;base64,{data}'></figure>")
    parts += ["<h2>Details</h2>", _html_table(*tables["detail"]), "<h2>Strategy usage</h2>", _html_table(*tables["strategies"])]
    notes = _notes(runs)
    if notes:
        parts += ["<h2>Notes</h2><ul>"] + [f"<li>{html.escape(n)}</li>" for n in notes] + ["</ul>"]
    if samples:
        parts.append("<h2>Sample outputs</h2>")
        for s in samples:
            parts.append(f"<p><b>{html.escape(s['task'])}</b> · {html.escape(s['series'])} · {s['verdict']} "
                         f"(gold <code>{html.escape(s['gold'])}</code>, extracted <code>{html.escape(s['extracted'])}</code>, "
                         f"strategy {html.escape(s['strategy'])})</p><pre>{html.escape(s['prompt'])}\n---\n{html.escape(s['output'])}</pre>")
    parts.append("</body></html>")
    path = out / "report.html"
    with atomic_writer(path) as fh:
        fh.write("\n".join(parts))
    return path


def build_report(run_dirs: list[str | Path], out_dir: str | Path) -> ReportPaths:
    runs = load_runs(list(run_dirs))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plots = all_plots(runs, out)
    tables = _tables(runs)
    samples = _samples(runs)
    md = write_markdown(runs, tables, plots, samples, out)
    page = write_html(runs, tables, plots, samples, out)
    return ReportPaths(out_dir=out, markdown=md, html=page, plots=plots)


__all__ = ["ReportPaths", "RunData", "build_report", "load_runs"]
