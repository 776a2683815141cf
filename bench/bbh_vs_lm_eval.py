"""Our BBH scoring vs lm-evaluation-harness's, on synthetic outputs: do the two checkers agree?

No model: every BBH example is answered by outputs whose truth is known, and each is scored
by both checkers. lm-evaluation-harness scores BBH (`bbh_zeroshot_<subtask>`) by exact match
on the target string: its `strict-match` filter takes the whole output, `flexible-extract`
applies the subtask's filter (option regex, number parsing, word sorting, ...), and
`exact_match` compares with the target ignoring case, commas, newlines, backslashes, quotes and
a final period. Its side here is lm-eval itself: each subtask's YAML from the installed
package (`lm_eval/tasks/bbh/zeroshot/`), its filters (`build_filter_ensemble`) and its
`exact_match_hf_evaluate`, on the same rows (the BBH release files our loader reads).

Outputs per example:
- target strings: the gold target (`(A)`, `True`, `12`, `) ] >`), each wrong option's letter
  target `(B)` (multiple choice) or one wrong answer (the other polarity, the gold plus one,
  the gold missing its last character), and the non-answers `The`, `a`, `""`, `none`;
- option texts (multiple choice): the gold option's text and every other option's text. lm-eval
  strict wants the letter, so it refuses the right text by design; we accept it.

Ours: strict on `Final answer: X` (our strict rule is the final-answer phrase), flexible on the
bare X; lm-eval: strict-match and flexible-extract on the bare X (its strict rule is the whole
output). Reported per subtask: how many verdicts agree and how many match the known truth (a
text two options share has none: it counts for agreement only).

Run:     python bench/bbh_vs_lm_eval.py                      (BBH files in $CAUTIOUS_DATA_DIR/bbh)
         python bench/bbh_vs_lm_eval.py --data-dir tests/fixtures/benchmarks --out /tmp/x.json
         python bench/bbh_vs_lm_eval.py --smoke --data-dir tests/fixtures/benchmarks --out /tmp/x.json
                 (our side only, no lm-eval: does the script still run? tests/test_bench_smoke.py)
Needs:   pip install lm-eval -c constraints.txt   (or: pip install -e '.[bench]'); skips with a
         message (exit 0) without it. About 1 minute for the 6,511 examples.
Results: bench/results/bbh_vs_lm_eval.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results" / "bbh_vs_lm_eval.json"
NON_ANSWERS = ("The", "a", "", "none")
OPPOSITE = {"yes": "No", "no": "Yes", "true": "False", "false": "True"}
VERDICTS = ("ours_strict", "ours_flexible", "lm_eval_strict", "lm_eval_flexible")


class LmEvalBBH:
    """lm-evaluation-harness's scoring of one BBH subtask, built from its own zero-shot YAML."""

    def __init__(self, subtask: str) -> None:
        import lm_eval
        from lm_eval.filters import build_filter_ensemble
        from lm_eval.tasks._yaml_loader import load_yaml

        path = Path(lm_eval.__file__).parent / "tasks" / "bbh" / "zeroshot" / f"{subtask}.yaml"
        config = load_yaml(path)
        (metric,) = config["metric_list"]
        assert metric["metric"] == "exact_match", path
        keys = ("ignore_case", "ignore_punctuation", "ignore_numbers", "regexes_to_ignore")
        self.metric_kwargs = {k: metric[k] for k in keys if k in metric}
        self.version = (config.get("metadata") or {}).get("version")
        self.filters = {
            f["name"]: build_filter_ensemble(
                f["name"], [(c["function"], {k: v for k, v in c.items() if k != "function"}) for c in f["filter"]]
            )
            for f in config["filter_list"]
        }

    def verdicts(self, doc: dict, outputs: list[str]) -> dict[str, list[bool]]:
        """Per filter (strict-match, flexible-extract): whether each output scores 1."""
        from lm_eval.api.instance import Instance
        from lm_eval.api.metrics import exact_match_hf_evaluate

        instances = [Instance("generate_until", doc, ("", {}), i, resps=[out]) for i, out in enumerate(outputs)]
        out: dict[str, list[bool]] = {}
        for name, ensemble in self.filters.items():
            ensemble.apply(instances)
            out[name] = [
                bool(exact_match_hf_evaluate([inst.filtered_resps[name]], [doc["target"]], **self.metric_kwargs)["exact_match"] == 1.0)
                for inst in instances
            ]
        return out


def synthetic_outputs(ex) -> list[tuple[str, str, bool | None]]:
    """(group, output, truth): target strings and, for multiple choice, option texts; the truth
    of a text that two options share is None (snarks row 86 lists one option twice)."""
    outs: list[tuple[str, str, bool | None]] = []
    if ex.answer_type == "choice":
        seen = [" ".join(c.split()).lower() for c in ex.choices]
        for i, text in enumerate(ex.choices):
            right = i == ex.label
            shared = seen.count(seen[i]) > 1
            outs += [("target", f"({chr(ord('A') + i)})", right), ("option text", text, None if shared else right)]
    else:
        gold = ex.target
        outs.append(("target", gold, True))
        if ex.answer_type == "yes_no":
            outs.append(("target", OPPOSITE[gold.lower()], False))
        elif ex.answer_type == "number":
            outs.append(("target", str(int(gold) + 1), False))
        elif len(gold) > 1:
            outs.append(("target", gold[:-1].rstrip(), False))
    outs += [("target", n, False) for n in NON_ANSWERS]
    return outs


def compare(examples: list) -> dict:
    """Verdicts of both checkers on every synthetic output, summarised per subtask and group."""
    from cautious.evaluate.metrics import EvalOutput, ScoringContext, get_metric

    metric = get_metric("exact_match")
    scorers: dict[str, LmEvalBBH] = {}
    cells: dict[tuple[str, str], dict] = defaultdict(
        lambda: {"outputs": 0, "strict_agree": 0, "flexible_agree": 0, "truth_known": 0, **{f"{v}_true": 0 for v in VERDICTS}}
    )
    disagreements: dict[str, list[dict]] = defaultdict(list)
    for ex in examples:
        subtask = ex.meta["subset"]
        if subtask not in scorers:
            scorers[subtask] = LmEvalBBH(subtask)
        doc = {"input": ex.input, "target": ex.meta.get("target_letter") or ex.target}
        outs = synthetic_outputs(ex)
        theirs = scorers[subtask].verdicts(doc, [o for _, o, _ in outs])
        strict = metric.score([ex] * len(outs), [EvalOutput(f"Final answer: {o}") for _, o, _ in outs], ScoringContext())
        flexible = metric.score([ex] * len(outs), [EvalOutput(o) for _, o, _ in outs], ScoringContext())
        for k, (group, out, truth) in enumerate(outs):
            v = {
                "ours_strict": bool(strict[k].strict.correct),
                "ours_flexible": bool(flexible[k].flexible.correct),
                "lm_eval_strict": theirs["strict-match"][k],
                "lm_eval_flexible": theirs["flexible-extract"][k],
            }
            cell = cells[(subtask, group)]
            cell["outputs"] += 1
            cell["strict_agree"] += v["ours_strict"] == v["lm_eval_strict"]
            cell["flexible_agree"] += v["ours_flexible"] == v["lm_eval_flexible"]
            if truth is not None:
                cell["truth_known"] += 1
                for name in VERDICTS:
                    cell[f"{name}_true"] += v[name] == truth
            for variant in ("strict", "flexible"):
                seen = disagreements[f"{subtask}/{group}/{variant}"]
                if v[f"ours_{variant}"] != v[f"lm_eval_{variant}"] and len(seen) < 3:
                    seen.append({"id": ex.id, "target": doc["target"], "output": out, "truth": truth, **v})
    table: dict[str, dict] = defaultdict(dict)
    for (subtask, group), cell in sorted(cells.items()):
        table[subtask][group] = cell
    versions = sorted({str(sc.version) for sc in scorers.values()})
    return {"lm_eval_task_versions": versions, "subtasks": dict(table), "disagreements": {k: v for k, v in disagreements.items() if v}}


def ours_only(examples: list) -> dict:
    """The cheapest path (--smoke): our verdicts on the same synthetic outputs against their
    known truth, without lm-eval, so the suite notices when our side of the bench breaks."""
    from cautious.evaluate.metrics import EvalOutput, ScoringContext, get_metric

    metric = get_metric("exact_match")
    counts = {"outputs": 0, "truth_known": 0, "ours_strict_true": 0, "ours_flexible_true": 0}
    for ex in examples:
        outs = synthetic_outputs(ex)
        strict = metric.score([ex] * len(outs), [EvalOutput(f"Final answer: {o}") for _, o, _ in outs], ScoringContext())
        flexible = metric.score([ex] * len(outs), [EvalOutput(o) for _, o, _ in outs], ScoringContext())
        for k, (_, _, truth) in enumerate(outs):
            counts["outputs"] += 1
            if truth is not None:
                counts["truth_known"] += 1
                counts["ours_strict_true"] += strict[k].strict.correct == truth
                counts["ours_flexible_true"] += flexible[k].flexible.correct == truth
    return counts


def totals(table: dict, group: str) -> dict:
    rows = [g[group] for g in table.values() if group in g]
    return {k: sum(r[k] for r in rows) for k in rows[0]} if rows else {}


def print_table(result: dict) -> None:
    def pct(n: int, d: int) -> str:
        return f"{100 * n / d:5.1f}" if d else "    -"

    print(f"{'subtask':40} {'group':11} {'outputs':>7}  agree strict/flex %   true: ours s/f %   lm-eval s/f %")
    rows = [(s, g, c) for s, groups in result["subtasks"].items() for g, c in groups.items()]
    rows += [("all 27" if len(result["subtasks"]) == 27 else "all", g, c) for g, c in result["totals"].items() if c]
    for subtask, group, c in rows:
        n, known = c["outputs"], c["truth_known"]
        print(
            f"{subtask:40} {group:11} {n:>7}  {pct(c['strict_agree'], n)} / {pct(c['flexible_agree'], n)}"
            f"        {pct(c['ours_strict_true'], known)} / {pct(c['ours_flexible_true'], known)}"
            f"   {pct(c['lm_eval_strict_true'], known)} / {pct(c['lm_eval_flexible_true'], known)}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=None, help="holds bbh/ (default: $CAUTIOUS_DATA_DIR)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--smoke", action="store_true", help="the cheapest path: our side only, no lm-eval (checks the script still runs)")
    args = ap.parse_args()
    if not args.smoke:
        try:
            import lm_eval  # noqa: F401
        except ImportError:
            print("SKIP: lm-evaluation-harness is not installed: pip install lm-eval -c constraints.txt")
            sys.exit(0)
    data_dir = args.data_dir or (Path(os.environ["CAUTIOUS_DATA_DIR"]) if os.environ.get("CAUTIOUS_DATA_DIR") else None)
    if data_dir is None or not (data_dir / "bbh").is_dir():
        sys.exit(f"error: no BBH files: expected {data_dir or '$CAUTIOUS_DATA_DIR'}/bbh/ (the BBH repo's bbh/<subtask>.json)")
    from cautious.errors import UserError
    from cautious.tasks.benchmarks.bbh import BBH

    try:
        examples = BBH(path=data_dir / "bbh").examples("test")
    except UserError as exc:
        sys.exit(f"error: {exc}")
    if args.smoke:
        counts = ours_only(examples)
        print(f"smoke: {len(examples)} examples, {counts['outputs']} outputs; ours right on "
              f"{counts['ours_strict_true']}/{counts['truth_known']} strict, {counts['ours_flexible_true']}/{counts['truth_known']} flexible")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"benchmark": "bbh_vs_lm_eval --smoke", "examples": len(examples), **counts}, indent=1) + "\n", encoding="utf-8")
        return
    result = compare(examples)
    result["totals"] = {g: totals(result["subtasks"], g) for g in ("target", "option text")}
    print_table(result)
    from importlib.metadata import version

    report = {
        "benchmark": "bbh_vs_lm_eval",
        "date": datetime.date.today().isoformat(),
        "lm_eval": version("lm_eval"),
        "examples": len(examples),
        "irregular_rows": {e.id: e.gold for e in examples if "irregular" in e.meta},
        **result,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
