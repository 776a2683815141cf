"""`cautious run`'s report: report.md and a self-contained report.html beside the figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cautious.report import build_report
from cautious.report.render import Bullets, Document, Figure, Heading, Table, Text, write_document
from cautious.run.config import RunConfig
from cautious.run.figures import all_figures
from cautious.run.summary import tables, verdict_lines


def write_report(cfg: RunConfig, run_dir: Path, summary: dict[str, Any], out: Path) -> None:
    """report.md + report.html + PNGs, and the per-student eval report beside them."""
    pngs = all_figures(summary, out)
    build_report([run_dir / f"eval-{s.name}" for s in cfg.students], out / "eval")
    doc = Document(f"cautious run — preset `{summary['preset']}`")
    doc.add(Heading("Verdict"), Bullets([line.removeprefix("- ") for line in verdict_lines(summary)]))
    for title, (header, rows) in tables(summary).items():
        doc.add(Heading(title), Table(header, rows))
    doc.add(Heading("Figures"), *[Figure(path) for path in pngs.values()])
    doc.add(Text(f"Strategy map and probe scores: `{run_dir / 'select' / 'strategy_map.yaml'}`. "
                 "Per-student evaluation report: `eval/report.md`."))
    write_document(doc, out)
