"""Strategy selection: a probe's score matrix decides each task's strategy; ties go to fewer tokens."""

from __future__ import annotations

from cautious.generate.strategy_map import read_strategy_map
from cautious.lab import families
from cautious.task import draw_examples
from cautious.select import Cell, choose, measure, write_selection
from cautious.strategies import load_catalog
from cautious.tasks import resolve_tasks
from tests.conftest import ScriptedModel

CATALOG = load_catalog()


def test_argmax_accuracy_with_ties_to_the_cheaper_strategy():
    cells = [
        Cell("a", "direct-answer", 10, 3, 40),
        Cell("a", "step-by-step", 10, 9, 600),
        Cell("b", "direct-answer", 10, 8, 40),
        Cell("b", "step-by-step", 10, 8, 600),
        Cell("c", "step-by-step", 10, 7, 600),
        Cell("c", "extract-generate", 10, 7, 100),
    ]
    assert choose(cells) == {"a": "step-by-step", "b": "direct-answer", "c": "extract-generate"}
    # With a tolerance, a near-tie also goes to the cheaper strategy.
    cells.append(Cell("d", "step-by-step", 10, 9, 600))
    cells.append(Cell("d", "direct-answer", 10, 8, 40))
    assert choose(cells)["d"] == "step-by-step"
    assert choose(cells, tie_tolerance=0.1)["d"] == "direct-answer"


def _solver_that_only_manages_step_by_step_on_arithmetic():
    """A probe that is right on arithmetic only when told to work step by step."""
    steps_instruction = CATALOG["step-by-step"].teacher_instruction
    answers = {e.input: e.gold for e in families()["arithmetic"].examples("dev", 20, seed=0)}
    answers.update({e.input: e.gold for e in families()["comparison"].examples("dev", 20, seed=0)})

    def reply(msgs):
        system, question = msgs[0].content, msgs[1].content
        if question.startswith("What is") and system != steps_instruction:
            return "Final answer: 0"
        body = "Step 1: work\n" if system == steps_instruction else ""
        return body + f"Final answer: {answers[question]}"

    return ScriptedModel(reply, name="probe")


def test_measure_and_choose_find_the_strategy_the_probe_needs(tmp_path):
    probe = _solver_that_only_manages_step_by_step_on_arithmetic()
    tasks = resolve_tasks("arithmetic,comparison")
    cands = [CATALOG[s] for s in ("direct-answer", "step-by-step", "extract-generate")]
    cells = measure(probe, draw_examples(tasks, "dev", 20), cands)
    by = {(c.task, c.strategy): c for c in cells}
    assert by[("arithmetic", "step-by-step")].accuracy == 1.0
    assert by[("arithmetic", "direct-answer")].accuracy == 0.0
    assert by[("comparison", "direct-answer")].accuracy == 1.0
    chosen = choose(cells)
    assert chosen == {"arithmetic": "step-by-step", "comparison": "direct-answer"}
    # The probe saw each strategy's instruction as its system message, on the dev split only.
    dev_inputs = {e.input for t in tasks for e in t.examples("dev", 20)}
    assert {m[1].content for m in probe.seen} == dev_inputs
    path = write_selection(tmp_path, cells, chosen, "probe", "dev")
    assert read_strategy_map(str(path), ["arithmetic", "comparison"], CATALOG) == chosen
    assert (tmp_path / "scores.json").exists()


def test_select_command_writes_a_map_generate_can_use(cli, tmp_path):
    code, out, err = cli("select", "--probe", "lab", "-t", "arithmetic,kv_lookup", "-n", "5",
                         "--strategies", "step-by-step,direct-answer", "-o", tmp_path)
    assert code == 0, err
    assert "strategy map" in out
    code, out, err = cli("generate", "-t", "arithmetic,kv_lookup", "-s", tmp_path / "strategy_map.yaml", "-n", "3", "-o", tmp_path / "a.jsonl")
    assert code == 0, err
    code, _, err = cli("select", "--probe", "lab", "-t", "arithmetic", "--strategies", "ponder", "-o", tmp_path)
    assert code == 2 and "unknown strategy 'ponder'" in err


def test_a_difference_the_dev_set_cannot_tell_from_noise_is_a_tie_and_goes_to_fewer_tokens():
    # 100 paired dev examples: step-by-step right on 70, direct on 64; they disagree on 14
    # (10 for step-by-step, 4 for direct) — a paired 95% interval of the difference includes zero.
    slow = [1] * 70 + [0] * 30
    fast = [1] * 60 + [0] * 10 + [1] * 4 + [0] * 26
    cells = [Cell("t", "step-by-step", 100, 70, 3000, slow), Cell("t", "direct-answer", 100, 64, 500, fast)]
    assert choose(cells) == {"t": "direct-answer"}
    assert choose(cells, intervals=False) == {"t": "step-by-step"}
    # The same 6 points are no tie when direct never gets right what step-by-step misses.
    subset = [1] * 64 + [0] * 36
    assert choose([cells[0], Cell("t", "direct-answer", 100, 64, 500, subset)]) == {"t": "step-by-step"}
    # A real gap (70 vs 20) is not a tie, whatever it costs.
    far = [1] * 20 + [0] * 80
    assert choose([cells[0], Cell("t", "direct-answer", 100, 20, 500, far)]) == {"t": "step-by-step"}


def test_each_cell_reports_a_wilson_interval_that_stays_inside_0_and_1():
    low, high = Cell("t", "direct-answer", 100, 100, 500, [1] * 100).interval
    assert 0.96 < low < 1.0 and high == 1.0
    low, high = Cell("t", "direct-answer", 100, 50, 500).interval
    assert abs(low - 0.404) < 0.002 and abs(high - 0.596) < 0.002
