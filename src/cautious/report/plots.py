"""The report's figures (matplotlib, Agg backend): each a PNG a reader can take in at a glance.

- `accuracy.png`: strict score per task, one bar per run × system condition (the paper's
  Figure 4 layout), with the flexible score as a black tick on each bar;
- `system_effect.png`: each condition minus the run's first (baseline) condition, per task —
  the cautious message is never assumed to help;
- `tokens.png`: score vs mean output tokens per answer, one point per task × series;
- `strategies.png`: which strategy the outputs show, per task and series (100% stacked bars).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cautious.errors import UserError
from cautious.report.load import RunData
from cautious.shapes import OTHER, PAPER_STRATEGIES, UNKNOWN

#: One fixed colour per built-in strategy (in catalog order), then the detector's two non-strategies.
STRATEGY_COLORS = {
    **dict(zip(PAPER_STRATEGIES, ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3"], strict=True)),
    OTHER: "#b0b0b0",
    UNKNOWN: "#e0e0e0",
}
_EXTRA_COLORS = ["#8c8c8c", "#ccb974", "#64b5cd", "#2f4b7c", "#a05195", "#f95d6a"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p"]


def _plt():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UserError("reports need matplotlib: pip install 'cautious[report]'") from None
    plt.rcParams.update({"font.size": 10, "axes.titlesize": 12, "axes.titleweight": "bold", "axes.spines.top": False,
                         "axes.spines.right": False, "savefig.dpi": 130})
    return plt


def strategy_color(name: str, extra: dict[str, str]) -> str:
    if name in STRATEGY_COLORS:
        return STRATEGY_COLORS[name]
    if name not in extra:
        extra[name] = _EXTRA_COLORS[len(extra) % len(_EXTRA_COLORS)]
    return extra[name]


def series_colors(runs: list[RunData]) -> dict[str, Any]:
    """One hue per run, lighter to darker per condition, so a run's bars read as a family."""
    plt = _plt()
    cmaps = ["Blues", "Oranges", "Greens", "Purples", "Reds", "Greys"]
    colors: dict[str, Any] = {}
    for k, run in enumerate(runs):
        conds = list(dict.fromkeys(s.condition for s in run.scores))
        cmap = plt.get_cmap(cmaps[k % len(cmaps)])
        for j, cond in enumerate(conds):
            shade = 0.75 if len(conds) == 1 else 0.45 + 0.45 * j / (len(conds) - 1)
            colors[run.series(cond)] = cmap(shade)
    return colors


def task_order(runs: list[RunData]) -> list[str]:
    return list(dict.fromkeys(s.task for r in runs for s in r.scores))


def _task_label(task: str, info: dict[str, Any]) -> str:
    label = task if len(task) <= 22 else task[:20] + "…"
    metric = info.get("label", "accuracy")
    if metric != "accuracy" or not info.get("higher_is_better", True):
        label += f"\n({metric}{'' if info.get('higher_is_better', True) else ' ↓'})"
    return label


def _xticks(ax, labels: list[str]) -> None:
    if len(labels) <= 6:
        ax.set_xticks(range(len(labels)), labels)
    else:
        ax.set_xticks(range(len(labels)), labels, rotation=25, ha="right", rotation_mode="anchor")


def _bar_values(ax, bars, values: list[float], fmt: str) -> None:
    """Value labels inside tall bars (white) and just above short ones (dark)."""
    for bar, v in zip(bars, values):
        h = bar.get_height()
        x = bar.get_x() + bar.get_width() / 2
        if abs(h) >= 12:
            ax.text(x, h / 2, fmt.format(v), ha="center", va="center", fontsize=7.5, color="white", rotation=90 if bar.get_width() < 0.12 else 0)
        else:
            ax.text(x, h + (1 if h >= 0 else -1), fmt.format(v), ha="center", va="bottom" if h >= 0 else "top", fontsize=7.5, color="#333333")


def _value(v: float | None, info: dict[str, Any]) -> float | None:
    if v is None:
        return None
    return 100 * v if info.get("percent", True) else v


def accuracy_bars(runs: list[RunData], path: Path) -> Path | None:
    plt = _plt()
    tasks = [t for t in task_order(runs) if all(s.info.get("percent", True) for r in runs for s in r.scores if s.task == t)]
    if not tasks:
        return None
    series = [(r, c) for r in runs for c in dict.fromkeys(s.condition for s in r.scores)]
    colors = series_colors(runs)
    lookup = {(r.label, s.condition, s.task): s for r in runs for s in r.scores}
    show_avg = len(tasks) > 1 and all(s.info.get("higher_is_better", True) for r in runs for s in r.scores if s.task in tasks)
    groups = tasks + (["average"] if show_avg else [])
    width = 0.8 / len(series)
    fig_w = min(22, max(7, 1.0 + len(groups) * (0.35 + 0.28 * len(series))))
    fig, ax = plt.subplots(figsize=(fig_w, 5.2), layout="constrained")
    label_bars = len(groups) * len(series) <= 40
    for k, (run, cond) in enumerate(series):
        xs, ys, flex = [], [], []
        for g, task in enumerate(groups):
            if task == "average":
                vals = [lookup[(run.label, cond, t)] for t in tasks if (run.label, cond, t) in lookup]
                vs = [_value(v.strict, v.info) for v in vals if v.strict is not None]
                fs = [_value(v.flexible, v.info) for v in vals if v.flexible is not None]
                if not vs:
                    continue
                y, f = sum(vs) / len(vs), (sum(fs) / len(fs) if fs else None)
            else:
                s = lookup.get((run.label, cond, task))
                if s is None or s.strict is None:
                    continue
                y, f = _value(s.strict, s.info), _value(s.flexible, s.info)
            xs.append(g - 0.4 + width * (k + 0.5))
            ys.append(y)
            flex.append(f)
        bars = ax.bar(xs, ys, width * 0.92, color=colors[run.series(cond)], label=run.series(cond), edgecolor="white", linewidth=0.5)
        for x, f in zip(xs, flex):
            if f is not None:
                ax.plot([x - width * 0.42, x + width * 0.42], [f, f], color="black", linewidth=1.6, solid_capstyle="butt")
        if label_bars:
            _bar_values(ax, bars, ys, "{:.0f}")
    ax.plot([], [], color="black", linewidth=1.6, label="flexible extraction")
    _xticks(ax, [_task_label(t, _info(runs, t)) if t != "average" else "average" for t in groups])
    ax.set_ylim(0, 105)
    ax.set_ylabel("strict score (%)")
    ax.set_title("Score per task — bars: strict extraction, ticks: flexible")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    fig.legend(loc="outside lower center", ncol=min(4, len(series) + 1), frameon=False, fontsize=9)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


def _info(runs: list[RunData], task: str) -> dict[str, Any]:
    for r in runs:
        for s in r.scores:
            if s.task == task:
                return s.info
    return {}


def system_effect(runs: list[RunData], path: Path) -> Path | None:
    """Per run with 2+ conditions: each condition minus the run's first condition, per task."""
    plt = _plt()
    pairs = []
    for r in runs:
        conds = list(dict.fromkeys(s.condition for s in r.scores))
        base = "empty" if "empty" in conds else conds[0]
        pairs += [(r, base, c) for c in conds if c != base]
    if not pairs:
        return None
    tasks = task_order(runs)
    lookup = {(r.label, s.condition, s.task): s for r in runs for s in r.scores}
    colors = series_colors(runs)
    width = 0.8 / len(pairs)
    fig, ax = plt.subplots(figsize=(min(22, max(7, 1 + len(tasks) * (0.4 + 0.3 * len(pairs)))), 4.6), layout="constrained")
    for k, (run, base, cond) in enumerate(pairs):
        xs, ys = [], []
        for g, task in enumerate(tasks):
            a, b = lookup.get((run.label, cond, task)), lookup.get((run.label, base, task))
            if a is None or b is None or a.strict is None or b.strict is None:
                continue
            xs.append(g - 0.4 + width * (k + 0.5))
            ys.append(_value(a.strict, a.info) - _value(b.strict, b.info))
        bars = ax.bar(xs, ys, width * 0.92, color=colors[run.series(cond)], label=f"{run.label}: {cond} − {base}")
        if len(tasks) * len(pairs) <= 40:
            ax.bar_label(bars, labels=[f"{y:+.1f}" for y in ys], fontsize=7.5, padding=1.5)
    ax.axhline(0, color="black", linewidth=0.8)
    _xticks(ax, [_task_label(t, _info(runs, t)) for t in tasks])
    ax.set_ylabel("Δ strict score (points)")
    ax.set_title("Effect of the system message (vs the baseline condition)")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    lo, hi = ax.get_ylim()
    span = max(abs(lo), abs(hi), 5)
    ax.set_ylim(-span * 1.15, span * 1.15)
    fig.legend(loc="outside lower center", ncol=min(3, len(pairs)), frameon=False, fontsize=9)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


def tokens_scatter(runs: list[RunData], path: Path) -> Path | None:
    plt = _plt()
    tasks = task_order(runs)
    colors = series_colors(runs)
    points = [(r, s) for r in runs for s in r.scores if s.strict is not None and s.info.get("percent", True)]
    if not points:
        return None
    fig, ax = plt.subplots(figsize=(8.5, 5))
    for r, s in points:
        ax.scatter(s.mean_output_tokens, _value(s.strict, s.info), s=70, color=colors[r.series(s.condition)],
                   marker=MARKERS[tasks.index(s.task) % len(MARKERS)], edgecolor="black", linewidth=0.6, zorder=3)
    # Each series' mean over its tasks: the trade-off of a run × condition in one point.
    for run in runs:
        for cond in dict.fromkeys(s.condition for s in run.scores):
            own = [s for rr, s in points if rr is run and s.condition == cond]
            if len(own) > 1:
                mx = sum(s.mean_output_tokens for s in own) / len(own)
                my = sum(_value(s.strict, s.info) for s in own) / len(own)
                ax.scatter(mx, my, s=420, facecolor="none", edgecolor=colors[run.series(cond)], linewidth=2.5, zorder=4)
    xs = [s.mean_output_tokens for _, s in points]
    if min(xs) > 0 and max(xs) / min(xs) > 20:
        ax.set_xscale("log")
    ax.set_xlabel("mean output tokens per answer")
    ax.set_ylabel("strict score (%)")
    ax.set_ylim(-3, 105)
    ax.set_title("Score vs tokens per answer")
    ax.grid(alpha=0.3)
    handles = [plt.Line2D([], [], color=colors[r.series(c)], marker="o", linestyle="", markersize=8, label=r.series(c))
               for r in runs for c in dict.fromkeys(s.condition for s in r.scores)]
    handles += [plt.Line2D([], [], color="#555555", marker=MARKERS[i % len(MARKERS)], linestyle="", markersize=8, label=t)
                for i, t in enumerate(tasks)]
    if len(tasks) > 1:
        handles.append(plt.Line2D([], [], color="#555555", marker="o", markerfacecolor="none", markersize=14,
                                  markeredgewidth=2, linestyle="", label="mean over tasks"))
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


def strategy_usage(runs: list[RunData], path: Path) -> Path | None:
    """One small panel per task (stacked vertically), one 100% bar per series in each."""
    plt = _plt()
    panels: list[tuple[str, list[tuple[str, dict[str, float]]]]] = []
    for task in task_order(runs):
        rows = [(r.series(s.condition), s.strategies) for r in runs for s in r.scores if s.task == task and s.strategies]
        if rows:
            panels.append((task, rows))
    if not panels:
        return None
    names = list(dict.fromkeys(n for _, rows in panels for _, shares in rows for n in shares))
    order = [n for n in STRATEGY_COLORS if n in names] + [n for n in names if n not in STRATEGY_COLORS]
    extra: dict[str, str] = {}
    heights = [len(rows) for _, rows in panels]
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(10, 1.4 + sum(0.32 * h + 0.45 for h in heights)), sharex=True,
        gridspec_kw={"height_ratios": heights}, squeeze=False, layout="constrained",
    )
    for ax, (task, rows) in zip(axes[:, 0], panels):
        left = [0.0] * len(rows)
        ys = list(range(len(rows)))
        for name in order:
            widths = [100 * shares.get(name, 0.0) for _, shares in rows]
            if not any(widths):
                continue
            bars = ax.barh(ys, widths, left=left, height=0.78, color=strategy_color(name, extra), edgecolor="white", linewidth=0.5)
            ax.bar_label(bars, labels=[f"{w:.0f}%" if w >= 8 else "" for w in widths], label_type="center", fontsize=8, color="white")
            left = [a + b for a, b in zip(left, widths)]
        ax.set_yticks(ys, [series for series, _ in rows], fontsize=9)
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_title(task, loc="left", fontsize=10, fontweight="bold", pad=3)
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
    axes[-1, 0].set_xlabel("share of outputs (%)")
    handles = [plt.Rectangle((0, 0), 1, 1, color=strategy_color(n, extra)) for n in order]
    fig.suptitle("Strategy the outputs show, per task", fontweight="bold")
    fig.legend(handles, order, loc="outside lower center", ncol=min(4, len(order)), frameon=False, fontsize=9)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


def all_plots(runs: list[RunData], out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    made = {
        "accuracy": accuracy_bars(runs, out_dir / "accuracy.png"),
        "system_effect": system_effect(runs, out_dir / "system_effect.png"),
        "tokens": tokens_scatter(runs, out_dir / "tokens.png"),
        "strategies": strategy_usage(runs, out_dir / "strategies.png"),
    }
    return {k: v for k, v in made.items() if v is not None}

