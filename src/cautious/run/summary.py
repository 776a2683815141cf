"""The run's answer to the paper's question, as numbers with intervals and a verdict.

Per student and system condition: average held-out accuracy over tasks (strict extraction;
flexible beside it) with a stratified bootstrap 95% interval, tokens per answer, and how
often the student's answer had the shape of the strategy `select` chose for that task
("agreement"). Every other student is compared with the cautious one on the *same* test
examples: a paired bootstrap 95% interval of the difference in average accuracy, read as
"beats", "ties within the interval" or "loses" — never from point estimates alone.

The claim in miniature (`verdict`), per system condition: the erased cautious student *beats*
every single-strategy student by the paired interval (choosing pays, not just "ties"), is at
or above each of them by point estimate, beats the student that kept its instructions, reaches
at least 50% average accuracy, answers in the selected strategy's shape at least 95% of the
time, and spends at most 1.1× the tokens of its selection's floor: per task, the answer length
of the selected strategy itself (the single-strategy student taught that strategy, on the same
test examples). Token savings follow from the mix of tasks; the claim is about accuracy, and
the floor keeps the token check about whether the student writes the selected strategy's
answers, not longer ones. The step-by-step ratio and its floor for the mix
(`token_ratio_floor`) stay beside it, for reading.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from cautious.evaluate.runner import RECORDS_FILE, load_records
from cautious.run.config import RunConfig
from cautious.run.probe_rounds import rounds_summary
from cautious.stats import bootstrap_macro, compare, wilson

#: The targets of the claim in miniature (see the module docstring).
MIN_ACCURACY = 0.50
MAX_FLOOR_RATIO = 1.10
MIN_AGREEMENT = 0.95
#: A probe is competent on a task when its best strategy reaches this on dev: below it, the
#: selection compares strategies the probe has not learned, and the verdict says so.
COMPETENT = 0.60


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
    matrix = score_matrix(run_dir / "select" / "scores.json")
    rounds = rounds_summary(run_dir, cfg.probe_rounds.max_rounds) if cfg.probe_rounds and cfg.probe is None else None
    return {
        "preset": cfg.preset, "tasks": tasks, "selected": selected, "students": students,
        "comparisons": comparisons, "verdict": verdict(students, comparisons, cfg.systems, selected, matrix),
        "score_matrix": matrix, "probe_competence": probe_competence(matrix),
        "select_score": decided_by(run_dir / "select" / "scores.json"),
        "probe_curve": probe_curve(run_dir, rounds["rounds"] * cfg.probe_rounds.steps if rounds else 0),
        "probe_rounds": rounds,
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
    student, and every other task is counted at zero tokens — the mix, not the student's
    choosing, sets how low the ratio can go. For reading beside the ratio. None without
    per-task tokens."""
    tokens = {t: v["tokens"] for t, v in step_by_step_tasks.items()}
    if not tokens or not sum(tokens.values()):
        return None
    return sum(n for t, n in tokens.items() if selected.get(t) == "step-by-step") / sum(tokens.values())


def selection_token_floor(students: dict[str, Any], cond: str, selected: dict[str, str],
                          matrix: dict[str, Any] | None = None) -> float | None:
    """Tokens per answer that the selection itself costs on this test mix: per task, the answer
    length of the selected strategy — the single-strategy student taught it, on the same test
    examples and system message (else the probe's dev tokens for that cell) — averaged over
    tasks as the students' own tokens are. None when a task's selected length is unknown."""
    by_strategy = {s["strategy"]: s["conditions"].get(cond, {}).get("tasks", {})
                   for s in students.values() if s["strategy"] != "selected" and s["erase"]}
    lengths = []
    for task, strategy in selected.items():
        v = by_strategy.get(strategy, {}).get(task) or (matrix or {}).get(task, {}).get(strategy)
        if not v:
            return None
        lengths.append(v["tokens"])
    return sum(lengths) / len(lengths) if lengths else None


def verdict(students: dict[str, Any], comparisons: dict[str, Any], systems: list[str],
            selected: dict[str, str] | None = None, matrix: dict[str, Any] | None = None) -> dict[str, Any]:
    """The paper's claim in miniature, checked per system condition (the module docstring):
    choosing *beats* every single-strategy student by the paired interval and is at or above
    each by point estimate (a tie that is a lower point estimate is reported as such, not
    rounded up); it beats the no-erasure student; ≥ 50% accuracy; ≥ 95% agreement; tokens at
    most 1.1× the selection's own floor (`selection_token_floor`)."""
    out: dict[str, Any] = {}
    if "cautious" not in students:
        return out
    singles = [n for n, s in students.items() if s["strategy"] != "selected"]
    kept = [n for n, s in students.items() if s["strategy"] == "selected" and not s["erase"]]
    sbs = next((n for n in singles if students[n]["strategy"] == "step-by-step"), None)
    for cond in systems:
        c = students["cautious"]["conditions"].get(cond)
        if not c:
            continue
        vs = {n: v["verdict"] for n, v in comparisons.get(cond, {}).items()}
        ratio = c["tokens"] / students[sbs]["conditions"][cond]["tokens"] if sbs and students[sbs]["conditions"][cond]["tokens"] else None
        floor = selection_token_floor(students, cond, selected, matrix) if selected else None
        checks = {
            "beats_every_single_strategy_student": bool(singles) and all(vs.get(n) == "beats" for n in singles),
            "not_beaten_by_any_single_strategy_student": all(vs.get(n) != "loses" for n in singles),
            "accuracy_at_least_every_single_strategy_student": all(
                c["accuracy"] >= students[n]["conditions"][cond]["accuracy"] for n in singles if cond in students[n]["conditions"]),
            "beats_no_erasure_student": all(vs.get(n) == "beats" for n in kept),
            "accuracy_at_least_50": c["accuracy"] >= MIN_ACCURACY,
            "tokens_at_most_1.1_of_selection_floor": floor is not None and c["tokens"] <= MAX_FLOOR_RATIO * floor,
            "agreement_at_least_95": c["agreement"] >= MIN_AGREEMENT,
        }
        mix_floor = token_ratio_floor(students[sbs]["conditions"][cond].get("tasks", {}), selected) if sbs and selected else None
        out[cond] = {"vs": vs, "token_ratio_vs_step_by_step": ratio, "token_ratio_floor": mix_floor,
                     "selection_token_floor": floor, "token_ratio_vs_selection_floor": c["tokens"] / floor if floor else None,
                     "agreement": c["agreement"], **checks, "claim_holds": all(checks.values())}
    return out


def probe_competence(matrix: dict[str, Any]) -> dict[str, Any]:
    """Per task, the probe's best dev accuracy and whether it reaches `COMPETENT`."""
    best = {t: max(v["accuracy"] for v in row.values()) for t, row in matrix.items() if row}
    return {"best": best, "competent": {t: a >= COMPETENT for t, a in best.items()}, "all": bool(best) and all(a >= COMPETENT for a in best.values())}


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


def probe_curve(run: Path, round_steps: int = 0) -> list[dict[str, Any]]:
    """[{step, task, strategy, n, accuracy}] over the probe's training (optimizer steps, its
    knowledge stage included); the last step is the final probe, measured by `select` —
    `round_steps` after the curve's last checkpoint when the probe trained rounds past it."""
    path = run / "probe-curve" / "curve.json"
    if not path.exists():
        return []
    doc = json.loads(path.read_text())
    final_step = doc["final_step"]
    points = [dict(step=pt["step"], **c) for pt in doc["points"] for c in pt["cells"]]
    final = score_matrix(run / "select" / "scores.json")
    points += [{"step": final_step + round_steps, "task": t, "strategy": s, "n": v["n"], "accuracy": v["accuracy"]} for t, row in final.items() for s, v in row.items()]
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


def _points(cmp: dict[str, Any]) -> str:
    return f"{100 * cmp['difference']:+.1f} [{100 * cmp['interval'][0]:+.1f}, {100 * cmp['interval'][1]:+.1f}]"


def headline(summary: dict[str, Any]) -> str:
    """The verdict's first sentence, in plain words: did choosing beat every single strategy?"""
    singles = [n for n, s in summary["students"].items() if s["strategy"] != "selected"]
    conds = [c for c in summary["verdict"] if summary.get("comparisons", {}).get(c)]
    if not singles or not conds:
        return "No single-strategy student was trained, so choosing was not compared with one."

    def parts(cond: str, verbs: bool) -> str:
        """The single-strategy students, closest first: '+X [a, b] points over N' (or, when not
        all are beaten, with each one's verdict: 'ties N by +X [a, b]')."""
        cmps = summary["comparisons"][cond]
        names = sorted((n for n in singles if n in cmps), key=lambda n: cmps[n]["difference"])
        if verbs:
            return ", ".join(f"{cmps[n]['verdict'].replace(' within the interval', '')} {n} by {_points(cmps[n])}" for n in names)
        return ", ".join(f"{_points(cmps[n])} points over {n}" for n in names)

    every = all(summary["verdict"][c]["beats_every_single_strategy_student"] for c in conds)
    opening = ("Choosing beats every single strategy: " if every
               else "Choosing does not beat every single strategy here: ")
    return opening + "; ".join(f"{parts(c, not every)} (system message `{c}`)" for c in conds) + "."


def verdict_lines(summary: dict[str, Any]) -> list[str]:
    lines = [headline(summary)]
    for cond, v in summary["verdict"].items():
        vs = ", ".join(f"{verb} {name}" for name, verb in v["vs"].items())
        acc = summary["students"]["cautious"]["conditions"][cond]["accuracy"]
        ratio, floor = v["token_ratio_vs_step_by_step"], v.get("selection_token_floor")
        tokens = summary["students"]["cautious"]["conditions"][cond]["tokens"]
        lines.append(
            f"- System message `{cond}`: the erased cautious student {vs} (paired bootstrap 95% intervals); "
            f"average accuracy {pct(acc)}% ({'≥' if v['accuracy_at_least_50'] else '**below**'} 50%; "
            + ("≥ every single-strategy student's" if v.get("accuracy_at_least_every_single_strategy_student", True)
               else "**below** a single-strategy student's by point estimate") + "); "
            + (f"{tokens:.1f} tokens per answer against the selection's floor of {floor:.1f} "
               f"({tokens / floor:.2f}×, {'≤' if v['tokens_at_most_1.1_of_selection_floor'] else '**above**'} 1.1×)"
               + (f", {ratio:.2f}× the step-by-step student's (the mix allows {v['token_ratio_floor']:.2f}× at best)"
                  if ratio is not None and v.get("token_ratio_floor") is not None else "") + "; " if floor else "")
            + f"answers in the selected strategy's shape {pct(v['agreement'])}% of the time ({'≥' if v['agreement_at_least_95'] else '**below**'} 95%). "
            + ("**The claim holds here.**" if v["claim_holds"] else "**The claim does not fully hold here.**")
        )
    rounds = summary.get("probe_rounds") or {}
    if rounds.get("rounds"):
        first = rounds["checks"][0]
        short = ", ".join(f"{t} {100 * a:.0f}%" for t, a in first["best"].items() if a < first["bar"])
        lines.append(f"- After its own steps the probe's best strategy was below {100 * first['bar']:.0f}% on {short} "
                     f"(check set: dev questions select does not score), so it trained {rounds['rounds']} more round(s); "
                     "select and every student used the last probe.")
    competence = summary.get("probe_competence") or {}
    weak = [t for t, ok in competence.get("competent", {}).items() if not ok]
    if weak:
        lines.append(f"- The probe is **not competent** on {', '.join(weak)} (best dev accuracy below {100 * COMPETENT:.0f}%): "
                     "its selection there compares strategies it has not learned.")
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
