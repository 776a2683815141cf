"""The run's answer to the paper's question, as numbers with intervals and a verdict.

Per student and system condition: average held-out accuracy over tasks (strict extraction;
flexible beside it) with a stratified bootstrap 95% interval, tokens per answer, and how
often the student's answer had the shape of the strategy `select` chose for that task
("agreement"). Every other student is compared with the cautious one on the *same* test
examples: a paired bootstrap 95% interval of the difference in average accuracy, read as
"beats", "ties within the interval" or "loses" — never from point estimates alone.

The claim in miniature (`verdict`), per system condition: the erased cautious student is not
beaten by any single-strategy student (interval), reaches at least 50% average accuracy,
spends at most 0.6× the tokens per answer of the always-step-by-step student, and answers in
the selected strategy's shape at least 95% of the time. Beside the token ratio, its floor for
the run's mix of tasks (`token_ratio_floor`): where step-by-step is what works, the saving
can only come from the other tasks.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from cautious.evaluate.runner import RECORDS_FILE, load_records
from cautious.run.config import RunConfig
from cautious.stats import bootstrap_macro, compare, wilson

#: The targets of the claim in miniature (see the module docstring).
MIN_ACCURACY = 0.50
MAX_TOKEN_RATIO = 0.60
MIN_AGREEMENT = 0.95


def selected_strategies(run_dir: Path) -> dict[str, str]:
    """The strategy `select` chose per task (its strategy_map.yaml)."""
    return yaml.safe_load((run_dir / "select" / "strategy_map.yaml").read_text(encoding="utf-8"))["strategies"]


def summarize(cfg: RunConfig, run_dir: Path, tasks: list[str]) -> dict[str, Any]:
    """Numbers for every student × condition, from the run's files on disk."""
    selected = selected_strategies(run_dir)
    students: dict[str, Any] = {}
    outcomes: dict[str, dict[str, dict[str, dict[str, int]]]] = {}  # student -> cond -> task -> example id -> 0/1
    for s in cfg.students:
        by_cond: dict[str, Any] = {}
        rows = load_records(run_dir / f"eval-{s.name}" / RECORDS_FILE)
        for cond in cfg.systems:
            rs = [r for r in rows if r.condition == cond]
            outcomes.setdefault(s.name, {})[cond] = {t: {r.example_id: int(r.correct) for r in rs if r.task == t} for t in tasks}
            per_task = {}
            for task in tasks:
                tr = [r for r in rs if r.task == task]
                if not tr:
                    continue
                # Only an exact shape match counts: a heuristic guess about a broken output
                # ("Step" and nothing else) must not pass for choosing a strategy.
                used = Counter(r.strategy if r.strategy_method == "shape" else f"{r.strategy} (guess)" for r in tr)
                correct = sum(r.correct for r in tr)
                per_task[task] = {
                    "n": len(tr),
                    "accuracy": correct / len(tr),
                    "interval": list(wilson(correct, len(tr))),
                    "accuracy_flexible": sum(r.correct_flexible for r in tr) / len(tr),
                    "tokens": sum(r.completion_tokens for r in tr) / len(tr),
                    "agreement": used.get(selected.get(task, ""), 0) / len(tr),
                    "strategy_used": used.most_common(1)[0][0],
                    "strategy_usage": {k: v / len(tr) for k, v in used.most_common()},
                }
            n = len(per_task) or 1
            _, low, high = bootstrap_macro([list(outcomes[s.name][cond][t].values()) for t in per_task])
            by_cond[cond] = {
                "accuracy": sum(v["accuracy"] for v in per_task.values()) / n,
                "interval": [low, high],
                "accuracy_flexible": sum(v["accuracy_flexible"] for v in per_task.values()) / n,
                "tokens": sum(v["tokens"] for v in per_task.values()) / n,
                "agreement": sum(v["agreement"] * v["n"] for v in per_task.values()) / max(1, sum(v["n"] for v in per_task.values())),
                "tasks": per_task,
            }
        students[s.name] = {"strategy": s.strategy, "erase": s.erase, "conditions": by_cond}
    comparisons = compare_students(outcomes, "cautious", cfg.systems) if "cautious" in students else {}
    return {
        "preset": cfg.preset, "tasks": tasks, "selected": selected, "students": students,
        "comparisons": comparisons, "verdict": verdict(students, comparisons, cfg.systems, selected),
        "score_matrix": score_matrix(run_dir / "select" / "scores.json"),
        "select_score": decided_by(run_dir / "select" / "scores.json"),
        "probe_curve": probe_curve(run_dir),
    }  # fmt: skip


def compare_students(outcomes: dict, reference: str, systems: list[str]) -> dict[str, Any]:
    """Per condition and other student: `reference` minus it in average accuracy, with a paired
    (same examples, resampled within each task) bootstrap 95% interval and what it supports."""
    out: dict[str, Any] = {}
    for cond in systems:
        ref = outcomes[reference][cond]
        out[cond] = {}
        for name, conds in outcomes.items():
            if name == reference:
                continue
            diffs = []
            for task, by_id in ref.items():
                other = conds[cond].get(task, {})
                shared = [i for i in by_id if i in other]
                diffs.append([by_id[i] - other[i] for i in shared])
            est, low, high = bootstrap_macro(diffs)
            out[cond][name] = {"difference": est, "interval": [low, high], "verdict": compare(low, high)}
    return out


def token_ratio_floor(step_by_step_tasks: dict[str, Any], selected: dict[str, str]) -> float | None:
    """The lowest tokens-per-answer ratio to the step-by-step student that *any* student taught
    this selection could reach: the tasks selected as step-by-step cost what they cost that
    student, and every other task is counted at zero tokens. Above 0.6 it says the token target
    is out of reach for this mix of tasks however short the other answers are — the mix, not
    the student's choosing, sets the ratio. None without per-task tokens."""
    tokens = {t: v["tokens"] for t, v in step_by_step_tasks.items()}
    if not tokens or not sum(tokens.values()):
        return None
    return sum(n for t, n in tokens.items() if selected.get(t) == "step-by-step") / sum(tokens.values())


def verdict(students: dict[str, Any], comparisons: dict[str, Any], systems: list[str],
            selected: dict[str, str] | None = None) -> dict[str, Any]:
    """The paper's claim in miniature, checked per system condition: no single-strategy student
    beats the cautious one by the paired intervals, *and* none has a higher average accuracy
    (the target asks for ">= every single-strategy student"; a tie by the interval that is a
    lower point estimate is reported as such, not rounded up). With the selection, also the
    token ratio's floor for this task mix (`token_ratio_floor`)."""
    out: dict[str, Any] = {}
    if "cautious" not in students:
        return out
    singles = [n for n, s in students.items() if s["strategy"] != "selected"]
    sbs = next((n for n in singles if students[n]["strategy"] == "step-by-step"), None)
    for cond in systems:
        c = students["cautious"]["conditions"].get(cond)
        if not c:
            continue
        vs = {n: v["verdict"] for n, v in comparisons.get(cond, {}).items()}
        ratio = c["tokens"] / students[sbs]["conditions"][cond]["tokens"] if sbs and students[sbs]["conditions"][cond]["tokens"] else None
        checks = {
            "not_beaten_by_any_single_strategy_student": all(vs.get(n) != "loses" for n in singles),
            "accuracy_at_least_every_single_strategy_student": all(
                c["accuracy"] >= students[n]["conditions"][cond]["accuracy"] for n in singles if cond in students[n]["conditions"]),
            "accuracy_at_least_50": c["accuracy"] >= MIN_ACCURACY,
            "tokens_at_most_0.6_of_step_by_step": ratio is not None and ratio <= MAX_TOKEN_RATIO,
            "agreement_at_least_95": c["agreement"] >= MIN_AGREEMENT,
        }
        floor = token_ratio_floor(students[sbs]["conditions"][cond].get("tasks", {}), selected) if sbs and selected else None
        out[cond] = {"vs": vs, "token_ratio_vs_step_by_step": ratio, "token_ratio_floor": floor, "agreement": c["agreement"],
                     **checks, "claim_holds": all(checks.values())}
    return out


def score_matrix(path: Path) -> dict[str, Any]:
    """task -> strategy -> {accuracy, interval, n, tokens}: the probe's measurements on dev."""
    if not path.exists():
        return {}
    doc = json.loads(path.read_text())
    out: dict[str, Any] = {}
    for c in doc["cells"]:
        out.setdefault(c["task"], {})[c["strategy"]] = {"accuracy": c["accuracy"], "interval": c.get("interval") or list(wilson(c["correct"], c["n"])),
                                                        "n": c["n"], "tokens": c["tokens"] / c["n"] if c["n"] else 0.0,
                                                        "accuracy_flexible": c.get("accuracy_flexible"), "parse_rate": c.get("parse_rate"),
                                                        "parse_rate_flexible": c.get("parse_rate_flexible")}
    return out


def decided_by(path: Path) -> str:
    """Which probe score chose the strategies (`strict` for selections written before both were kept)."""
    if not path.exists():
        return "strict"
    return json.loads(path.read_text()).get("decided_by", "strict")


def probe_curve(run: Path) -> list[dict[str, Any]]:
    """[{step, task, strategy, n, accuracy}] over the probe's training (optimizer steps, its
    knowledge stage included); the last step is the final probe, measured by `select`."""
    path = run / "probe-curve" / "curve.json"
    if not path.exists():
        return []
    doc = json.loads(path.read_text())
    final_step = doc["final_step"]
    points = [dict(step=pt["step"], **c) for pt in doc["points"] for c in pt["cells"]]
    final = score_matrix(run / "select" / "scores.json")
    points += [{"step": final_step, "task": t, "strategy": s, "n": v["n"], "accuracy": v["accuracy"]} for t, row in final.items() for s, v in row.items()]
    return points


# ---------------------------------------------------------------------- text


def pct(x: float) -> str:
    return f"{100 * x:.1f}"


def pct_interval(v: dict[str, Any]) -> str:
    low, high = v["interval"]
    return f"{pct(v['accuracy'])} [{pct(low)}, {pct(high)}]"


def tables(summary: dict[str, Any]) -> dict[str, tuple[list[str], list[list[str]]]]:
    students = summary["students"]
    conds = list(next(iter(students.values()))["conditions"]) if students else []
    out: dict[str, tuple[list[str], list[list[str]]]] = {}
    for c in conds:
        rows = []
        for name, s in students.items():
            v = s["conditions"][c]
            cmp = summary["comparisons"].get(c, {}).get(name)
            diff = "—" if cmp is None else f"{100 * cmp['difference']:+.1f} [{100 * cmp['interval'][0]:+.1f}, {100 * cmp['interval'][1]:+.1f}] {cmp['verdict']}"
            rows.append([name, s["strategy"], "yes" if s["erase"] else "no", pct_interval(v), f"{v['tokens']:.1f}", pct(v["agreement"]), diff])
        header = ["student", "taught", "erased", "acc % [95% CI]", "tok/answer", "agree %", "cautious minus it, points [95% CI]"]
        out[f"System message `{c}`: average held-out accuracy over tasks, tokens per answer, agreement with the selected strategy"] = (header, rows)
        per = (["task", "selected"] + list(students), [])
        for task in summary["tasks"]:
            cells = []
            for s in students.values():
                v = s["conditions"][c]["tasks"].get(task)
                cells.append(f"{pct_interval(v)} ({v['tokens']:.0f} tok, {v['strategy_used']})" if v else "-")
            per[1].append([task, summary["selected"].get(task, "-")] + cells)
        out[f"System message `{c}`: accuracy % per task [Wilson 95% CI] (tokens per answer, strategy used most)"] = per
    matrix = summary.get("score_matrix") or {}
    if matrix:
        strategies = list(dict.fromkeys(s for row in matrix.values() for s in row))
        rows = [[task, summary["selected"].get(task, "-")] + [f"{pct_interval(row[s])} ({row[s]['tokens']:.0f} tok){_flexible(row[s])}" if s in row else "-"
                for s in strategies] for task, row in matrix.items()]
        n = next(iter(next(iter(matrix.values())).values()))["n"]
        by = summary.get("select_score", "strict")
        out[f"The probe's score matrix on dev (n = {n} per cell): strict accuracy % [Wilson 95% CI] (tokens per answer); "
            f"flexible accuracy, parse rates strict/flexible; the **{by}** score chose the strategies"] = (["task", "selected"] + strategies, rows)
    return out


def _flexible(v: dict[str, Any]) -> str:
    if v.get("accuracy_flexible") is None:
        return ""
    return f"; flexible {pct(v['accuracy_flexible'])}, parsed {pct(v['parse_rate'])}/{pct(v['parse_rate_flexible'])}"


def _floor_note(floor: float | None, selected: dict[str, str]) -> str:
    if floor is None or floor <= MAX_TOKEN_RATIO:
        return ""
    k = sum(s == "step-by-step" for s in selected.values())
    return (f"; out of reach for this mix of tasks: with step-by-step selected for {k} of {len(selected)}, "
            f"answering every other task in no tokens at all would still be {floor:.2f}×")


def verdict_lines(summary: dict[str, Any]) -> list[str]:
    lines = []
    for cond, v in summary["verdict"].items():
        vs = ", ".join(f"{verb} {name}" for name, verb in v["vs"].items())
        acc = summary["students"]["cautious"]["conditions"][cond]["accuracy"]
        ratio = v["token_ratio_vs_step_by_step"]
        lines.append(
            f"- System message `{cond}`: the erased cautious student {vs} (paired bootstrap 95% intervals); "
            f"average accuracy {pct(acc)}% ({'≥' if v['accuracy_at_least_50'] else '**below**'} 50%; "
            + ("≥ every single-strategy student's" if v.get("accuracy_at_least_every_single_strategy_student", True)
               else "**below** a single-strategy student's by point estimate") + "); "
            + (f"{ratio:.2f}× the tokens per answer of the step-by-step student ({'≤' if v['tokens_at_most_0.6_of_step_by_step'] else '**above**'} 0.6×"
               + _floor_note(v.get("token_ratio_floor"), summary["selected"]) + "); " if ratio is not None else "")
            + f"answers in the selected strategy's shape {pct(v['agreement'])}% of the time ({'≥' if v['agreement_at_least_95'] else '**below**'} 95%). "
            + ("**The claim holds here.**" if v["claim_holds"] else "**The claim does not fully hold here.**")
        )
    lines.append(f"- Strategies were chosen by the probe's **{summary.get('select_score', 'strict')}** dev accuracy "
                 "(strict: the `Final answer:` line; flexible: the answer found in prose; both are in the score matrix).")
    chosen = set(summary["selected"].values())
    same = [n for n, s in summary["students"].items() if s["erase"] and {s["strategy"]} == chosen]
    if len(chosen) == 1 and same:
        lines.append(
            f"- Selection chose `{next(iter(chosen))}` for every task, so the cautious student was taught exactly "
            f"what {' and '.join(same)} was taught; any difference between them is not the method's. "
            "(Where the probe scores a task's strategies alike, the tie-break — fewest tokens — decides; see the score matrix.)"
        )
    return lines
