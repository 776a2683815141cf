"""`cautious run`'s report: report.md and a self-contained report.html beside the figures."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path
from typing import Any

from cautious.jsonl import atomic_writer
from cautious.run.figures import all_figures
from cautious.run.summary import tables, verdict_lines


def _md(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def write_report(p, summary: dict[str, Any], out: Path) -> None:
    """report.md + report.html + PNGs, and the per-student eval report beside them."""
    from cautious.report import build_report

    pngs = all_figures(summary, out)
    build_report([p.out / f"eval-{s.name}" for s in p.cfg.students], out / "eval")
    sections = [f"# cautious run — preset `{summary['preset']}`", "", "## Verdict", "", *verdict_lines(summary), ""]
    for title, (header, rows) in tables(summary).items():
        sections += [f"## {title}", "", _md(header, rows), ""]
    sections += ["## Figures", ""] + [f"![{k}]({v.name})" for k, v in pngs.items()] + [""]
    sections += [f"Strategy map and probe scores: `{p.out / 'select' / 'strategy_map.yaml'}`. Per-student evaluation report: `eval/report.md`.", ""]
    with atomic_writer(out / "report.md") as fh:
        fh.write("\n".join(sections))
    body = []
    for line in sections:
        if line.startswith("# "):
            body.append(f"<h1>{html.escape(line[2:])}</h1>")
        elif line.startswith("## ") and not line.startswith("## Figures"):
            title = line[3:]
            if title in (tbl := tables(summary)):
                header, rows = tbl[title]
                body.append(f"<h2>{_inline(title)}</h2><table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>"
                            + "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in rows) + "</table>")
            else:
                body.append(f"<h2>{_inline(title)}</h2>")
        elif line.startswith("- "):
            body.append(f"<p>{_inline(line[2:])}</p>")
    body.append("<h2>Figures</h2>")
    for k, v in pngs.items():
        body.append(f'<img alt="{k}" src="data:image/png;base64,{base64.b64encode(v.read_bytes()).decode()}">')
    style = "body{font-family:sans-serif;max-width:1200px;margin:2em auto}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px}img{max-width:100%;display:block;margin:1em 0}"
    with atomic_writer(out / "report.html") as fh:
        fh.write(f"<!doctype html><html><head><meta charset='utf-8'><title>cautious run</title><style>{style}</style></head><body>{''.join(body)}</body></html>")


def _inline(text: str) -> str:
    text = html.escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)
