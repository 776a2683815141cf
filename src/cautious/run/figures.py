"""The figures of `cautious run`'s report (matplotlib, Agg): each readable at a glance.

- `accuracy_per_task.png`: held-out accuracy per task and student, one panel per system
  message, with Wilson 95% error bars;
- `accuracy_vs_tokens.png`: average accuracy (stratified bootstrap 95% interval) against
  tokens per answer, one marker per student and condition, named in a legend;
- `score_matrix.png`: the probe's dev accuracy per task × strategy as a heat map, the
  selected strategy outlined;
- `probe_curve.png`: the probe's dev accuracy per task × strategy over its training steps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cautious.report.plots import STRATEGY_COLORS, _plt

_STUDENT_COLORS = ["#2f6db5", "#d9822b", "#3a9a5b", "#8d5fb3", "#b94a48", "#6b6b6b"]


def _err(v: dict[str, Any]) -> tuple[float, float]:
    low, high = v["interval"]
    return max(0.0, 100 * (v["accuracy"] - low)), max(0.0, 100 * (high - v["accuracy"]))


def accuracy_per_task(summary: dict[str, Any], path: Path) -> Path:
    plt = _plt()
    students, tasks = summary["students"], summary["tasks"]
    conds = list(next(iter(students.values()))["conditions"])
    fig, axes = plt.subplots(1, len(conds), figsize=(max(5.5, 1.9 * len(tasks)) * len(conds), 4.6), squeeze=False, sharey=True)
    width = 0.8 / max(1, len(students))
    for ax, cond in zip(axes[0], conds):
        for i, (name, s) in enumerate(students.items()):
            vs = [s["conditions"][cond]["tasks"].get(t) for t in tasks]
            xs = [j + (i - (len(students) - 1) / 2) * width for j in range(len(tasks))]
            ys = [100 * v["accuracy"] if v else 0 for v in vs]
            errs = list(zip(*[_err(v) if v else (0, 0) for v in vs]))
            ax.bar(xs, ys, width, yerr=errs, capsize=2, label=name, color=_STUDENT_COLORS[i % len(_STUDENT_COLORS)], error_kw={"lw": 0.8})
        ax.set_xticks(range(len(tasks)), [f"{t}\nselected:\n{summary['selected'].get(t, '-')}" for t in tasks], fontsize=8)
        ax.set_ylim(0, 105)
        ax.set_title(f"system message: {cond}")
    axes[0][0].set_ylabel("held-out accuracy % (95% CI)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, ncol=len(students), loc="lower center")
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path)
    plt.close(fig)
    return path


def accuracy_vs_tokens(summary: dict[str, Any], path: Path) -> Path:
    plt = _plt()
    students = summary["students"]
    fig, ax = plt.subplots(figsize=(7, 4.6))
    for i, (name, s) in enumerate(students.items()):
        for cond, marker in zip(s["conditions"], "os^D"):
            v = s["conditions"][cond]
            lo, hi = _err(v)
            ax.errorbar(v["tokens"], 100 * v["accuracy"], yerr=[[lo], [hi]], fmt=marker, ms=7, capsize=3,
                        color=_STUDENT_COLORS[i % len(_STUDENT_COLORS)], mfc="white" if marker != "o" else None,
                        label=f"{name} · {cond}")
    ax.set_xlabel("tokens per answer (mean over tasks)")
    ax.set_ylabel("average held-out accuracy % (95% CI)")
    ax.set_ylim(0, 105)
    ax.set_title("Accuracy vs cost")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def score_matrix(summary: dict[str, Any], path: Path) -> Path | None:
    matrix = summary.get("score_matrix") or {}
    if not matrix:
        return None
    plt = _plt()
    tasks = list(matrix)
    strategies = list(dict.fromkeys(s for row in matrix.values() for s in row))
    fig, ax = plt.subplots(figsize=(1.9 * len(strategies) + 2, 0.8 * len(tasks) + 1.6))
    by = summary.get("select_score", "strict")
    cells = {(t, s): deciding_score(v, by) for t, row in matrix.items() for s, v in row.items()}
    grid = [[100 * cells[t, s][0] if s in matrix[t] else float("nan") for s in strategies] for t in tasks]
    ax.imshow(grid, cmap="viridis", vmin=0, vmax=100, aspect="auto")
    for r, t in enumerate(tasks):
        for c, s in enumerate(strategies):
            if s not in matrix[t]:
                continue
            acc, (low, high) = cells[t, s]
            ax.text(c, r, f"{100 * acc:.0f}%\n[{100 * low:.0f}–{100 * high:.0f}]\n{matrix[t][s]['tokens']:.0f} tok", ha="center", va="center",
                    fontsize=8, color="white" if acc < 0.6 else "black")
            if summary["selected"].get(t) == s:
                ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, lw=2.5, ec="#e8453c"))
    ax.set_xticks(range(len(strategies)), strategies, fontsize=8)
    ax.set_yticks(range(len(tasks)), tasks, fontsize=9)
    n = next(iter(next(iter(matrix.values())).values()))["n"]
    ax.set_title(f"Probe's dev accuracy, {by} scoring (n = {n} per cell); red: selected")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def deciding_score(cell: dict[str, Any], by: str) -> tuple[float, tuple[float, float]]:
    """A score-matrix cell's accuracy and Wilson interval under the score that made the
    selection: a zero-shot pretrained probe is ~0% strictly everywhere, so showing the strict
    matrix when the flexible one decided would outline a choice among zeros."""
    if by != "flexible" or cell.get("accuracy_flexible") is None:
        return cell["accuracy"], tuple(cell["interval"])
    from cautious.stats import wilson

    acc = cell["accuracy_flexible"]
    return acc, wilson(round(acc * cell["n"]), cell["n"])


def probe_curve(summary: dict[str, Any], path: Path) -> Path | None:
    points = summary.get("probe_curve") or []
    if not points:
        return None
    plt = _plt()
    tasks = list(dict.fromkeys(p["task"] for p in points))
    fig, axes = plt.subplots(1, len(tasks), figsize=(3.6 * len(tasks), 3.4), squeeze=False, sharey=True)
    for ax, task in zip(axes[0], tasks):
        for strategy in dict.fromkeys(p["strategy"] for p in points if p["task"] == task):
            pts = sorted((p["step"], 100 * p["accuracy"]) for p in points if p["task"] == task and p["strategy"] == strategy)
            ax.plot(*zip(*pts), marker="o", label=strategy, color=STRATEGY_COLORS.get(strategy))
        ax.set_title(task)
        ax.set_xlabel("probe training step")
        ax.set_ylim(0, 105)
    axes[0][0].set_ylabel("dev accuracy %")
    axes[0][-1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def all_figures(summary: dict[str, Any], out: Path) -> dict[str, Path]:
    made = {
        "accuracy_per_task": accuracy_per_task(summary, out / "accuracy_per_task.png"),
        "accuracy_vs_tokens": accuracy_vs_tokens(summary, out / "accuracy_vs_tokens.png"),
        "score_matrix": score_matrix(summary, out / "score_matrix.png"),
        "probe_curve": probe_curve(summary, out / "probe_curve.png"),
    }
    return {k: v for k, v in made.items() if v is not None}
