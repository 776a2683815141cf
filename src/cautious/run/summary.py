"""The run's answer to the paper's question, as numbers, a verdict, tables and plots.

Per student and system condition: average held-out accuracy over tasks (strict extraction;
flexible beside it), tokens per answer, and how often the student's answer had the shape of
the strategy `select` chose for that task ("agreement"). The verdict checks the paper's claim
in miniature and says plainly when it does not hold.
"""

from __future__ import annotations

import base64
from collections import Counter
from pathlib import Path
from typing import Any

from cautious.jsonl import atomic_writer


def _records(eval_dir: Path):
    from cautious.evaluate import load_records

    return load_records(eval_dir / "records.jsonl")


def summarize(p) -> dict[str, Any]:
    """Numbers for every student × condition, from the eval records on disk."""
    selected = p.selected_map()
    tasks = [t.name for t in p.tasks]
    students: dict[str, Any] = {}
    for s in p.cfg.students:
        by_cond: dict[str, Any] = {}
        rows = _records(p.out / f"eval-{s.name}")
        for cond in p.cfg.systems:
            rs = [r for r in rows if r.condition == cond]
            per_task = {}
            for task in tasks:
                tr = [r for r in rs if r.task == task]
                if not tr:
                    continue
                # Only an exact shape match counts: a heuristic guess about a broken output
                # ("Step" and nothing else) must not pass for choosing a strategy.
                used = Counter(r.strategy if r.strategy_method == "shape" else f"{r.strategy} (guess)" for r in tr)
                per_task[task] = {
                    "n": len(tr),
                    "accuracy": sum(r.correct for r in tr) / len(tr),
                    "accuracy_flexible": sum(r.correct_flexible for r in tr) / len(tr),
                    "tokens": sum(r.completion_tokens for r in tr) / len(tr),
                    "agreement": used.get(selected.get(task, ""), 0) / len(tr),
                    "strategy_used": used.most_common(1)[0][0],
                    "strategy_usage": {k: v / len(tr) for k, v in used.most_common()},
                }
            n = len(per_task) or 1
            by_cond[cond] = {
                "accuracy": sum(v["accuracy"] for v in per_task.values()) / n,
                "accuracy_flexible": sum(v["accuracy_flexible"] for v in per_task.values()) / n,
                "tokens": sum(v["tokens"] for v in per_task.values()) / n,
                "agreement": sum(v["agreement"] * v["n"] for v in per_task.values()) / max(1, sum(v["n"] for v in per_task.values())),
                "tasks": per_task,
            }
        students[s.name] = {"strategy": s.strategy, "erase": s.erase, "conditions": by_cond}
    return {"preset": p.cfg.preset, "tasks": tasks, "selected": selected, "students": students, "verdict": verdict(students, p.cfg.systems)}


def verdict(students: dict[str, Any], systems: list[str]) -> dict[str, Any]:
    """The paper's claim in miniature, checked per system condition."""
    out: dict[str, Any] = {}
    if "cautious" not in students:
        return out
    singles = [n for n, s in students.items() if s["strategy"] != "selected"]
    for cond in systems:
        c = students["cautious"]["conditions"].get(cond)
        if not c:
            continue
        beats = {n: c["accuracy"] > students[n]["conditions"][cond]["accuracy"] for n in singles}
        sbs = next((n for n in singles if students[n]["strategy"] == "step-by-step"), None)
        fewer = c["tokens"] < students[sbs]["conditions"][cond]["tokens"] if sbs else None
        out[cond] = {
            "beats_every_single_strategy_student": all(beats.values()),
            "beats": beats,
            "fewer_tokens_than_step_by_step": fewer,
            "agreement": c["agreement"],
            "agreement_at_least_95": c["agreement"] >= 0.95,
        }
        out[cond]["claim_holds"] = bool(out[cond]["beats_every_single_strategy_student"] and fewer and out[cond]["agreement_at_least_95"])
    return out


# ---------------------------------------------------------------------- report


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def tables(summary: dict[str, Any]) -> dict[str, tuple[list[str], list[list[str]]]]:
    students = summary["students"]
    conds = list(next(iter(students.values()))["conditions"]) if students else []
    overall = (["student", "taught", "erased"] + [f"{h} [{c}]" for c in conds for h in ("acc %", "tok", "agree %")], [])
    for name, s in students.items():
        row = [name, s["strategy"], "yes" if s["erase"] else "no"]
        for c in conds:
            v = s["conditions"][c]
            row += [_pct(v["accuracy"]), f"{v['tokens']:.0f}", _pct(v["agreement"])]
        overall[1].append(row)
    out = {"Held-out accuracy, tokens per answer, agreement with the selected strategy": overall}
    for c in conds:
        per = (["task", "selected"] + list(students), [])
        for task in summary["tasks"]:
            cells = []
            for s in students.values():
                v = s["conditions"][c]["tasks"].get(task)
                cells.append(f"{_pct(v['accuracy'])} ({v['tokens']:.0f} tok, {v['strategy_used']})" if v else "-")
            per[1].append([task, summary["selected"].get(task, "-")] + cells)
        out[f"Accuracy % per task, system message `{c}` (tokens per answer, strategy used most)"] = per
    return out


def _md(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def verdict_lines(summary: dict[str, Any]) -> list[str]:
    lines = []
    for cond, v in summary["verdict"].items():
        lost = [n for n, ok in v["beats"].items() if not ok]
        lines.append(
            f"- System message `{cond}`: the erased cautious student "
            + ("**beats every single-strategy student**" if not lost else f"**does not beat** {' or '.join(lost)}")
            + (", uses **fewer tokens** than the step-by-step student" if v["fewer_tokens_than_step_by_step"] else ", does **not** use fewer tokens than the step-by-step student")
            + f", and answers in the selected strategy's shape {_pct(v['agreement'])}% of the time"
            + (" (≥ 95%)." if v["agreement_at_least_95"] else " (**below the 95% target**).")
            + (" The paper's claim holds here." if v["claim_holds"] else " The paper's claim does **not** fully hold here.")
        )
    chosen = set(summary["selected"].values())
    same = [n for n, s in summary["students"].items() if s["erase"] and {s["strategy"]} == chosen]
    if len(chosen) == 1 and same:
        lines.append(
            f"- Selection chose `{next(iter(chosen))}` for every task, so the cautious student was taught exactly "
            f"what {' and '.join(same)} was taught; any difference between them is not the method's. "
            "(Where the probe scores a task's strategies alike, the tie-break — fewest tokens — decides; see the score matrix.)"
        )
    return lines


def plots(summary: dict[str, Any], out: Path) -> dict[str, Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    students = summary["students"]
    cond = next(iter(next(iter(students.values()))["conditions"]))
    tasks = summary["tasks"]
    paths: dict[str, Path] = {}

    fig, ax = plt.subplots(figsize=(max(8, 1.3 * len(tasks) + 2), 4.2))
    width = 0.8 / max(1, len(students))
    for i, (name, s) in enumerate(students.items()):
        vals = [100 * s["conditions"][cond]["tasks"].get(t, {}).get("accuracy", 0) for t in tasks + []]
        xs = [j + (i - (len(students) - 1) / 2) * width for j in range(len(tasks))]
        ax.bar(xs, vals, width, label=name)
    ax.set_xticks(range(len(tasks)), [t.replace("_", "\n") for t in tasks], fontsize=8)
    ax.set_ylabel("held-out accuracy %")
    ax.set_ylim(0, 105)
    ax.set_title(f"Accuracy per task and student (system message: {cond})")
    ax.legend(fontsize=8, ncol=len(students), loc="upper center", bbox_to_anchor=(0.5, -0.18))
    fig.tight_layout()
    paths["accuracy_per_task"] = out / "accuracy_per_task.png"
    fig.savefig(paths["accuracy_per_task"], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4.2))
    for name, s in students.items():
        for c, marker in zip(s["conditions"], "os^D"):
            v = s["conditions"][c]
            ax.scatter(v["tokens"], 100 * v["accuracy"], marker=marker, s=60)
            ax.annotate(f"{name} ({c})", (v["tokens"], 100 * v["accuracy"]), fontsize=7, xytext=(4, 3), textcoords="offset points")
    ax.set_xlabel("tokens per answer (mean over tasks)")
    ax.set_ylabel("average held-out accuracy %")
    ax.set_title("Accuracy vs cost")
    fig.tight_layout()
    paths["accuracy_vs_tokens"] = out / "accuracy_vs_tokens.png"
    fig.savefig(paths["accuracy_vs_tokens"], dpi=110)
    plt.close(fig)
    return paths


def write_report(p, summary: dict[str, Any], out: Path) -> None:
    """report.md + self-contained report.html + PNGs, and the per-student eval report beside them."""
    from cautious.report import build_report

    pngs = plots(summary, out)
    detail = build_report([p.out / f"eval-{s.name}" for s in p.cfg.students], out / "eval")
    sections = [f"# cautious run — preset `{summary['preset']}`", "", "## Verdict", "", *verdict_lines(summary), ""]
    for title, (header, rows) in tables(summary).items():
        sections += [f"## {title}", "", _md(header, rows), ""]
    sel = p.out / "select" / "strategy_map.yaml"
    sections += ["## Plots", ""] + [f"![{k}]({v.name})" for k, v in pngs.items()] + [""]
    sections += [f"Strategy map and probe scores: `{sel}`. Per-student evaluation report: `{Path(detail.markdown).relative_to(out) if hasattr(detail, 'markdown') else 'eval/'}`.", ""]
    md = "\n".join(sections)
    with atomic_writer(out / "report.md") as fh:
        fh.write(md)
    html_body = []
    for line in sections:
        if line.startswith("# "):
            html_body.append(f"<h1>{line[2:]}</h1>")
        elif line.startswith("## "):
            html_body.append(f"<h2>{line[3:]}</h2>")
        elif line.startswith("- "):
            html_body.append(f"<p>{_inline(line[2:])}</p>")
    for title, (header, rows) in tables(summary).items():
        html_body.append(f"<h3>{title}</h3><table><tr>" + "".join(f"<th>{h}</th>" for h in header) + "</tr>"
                         + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows) + "</table>")
    for k, v in pngs.items():
        html_body.append(f'<img alt="{k}" src="data:image/png;base64,{base64.b64encode(v.read_bytes()).decode()}">')
    style = "body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px}img{max-width:100%}"
    with atomic_writer(out / "report.html") as fh:
        fh.write(f"<!doctype html><html><head><meta charset='utf-8'><title>cautious run</title><style>{style}</style></head><body>{''.join(html_body)}</body></html>")


def _inline(text: str) -> str:
    import html
    import re

    text = html.escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)

