"""bench/lab_ablation.py's own logic: the across-seed summary the README quotes ("the claim
holds in k of n seeds"), and its argument checks. The runs themselves are `cautious run`,
tested elsewhere; these tests take no training and run in well under a second."""

import argparse
import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "lab_ablation.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("lab_ablation_bench", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seed_run(seed: int, accuracy: float, tokens: float, claim: bool, tokens_ok: bool) -> dict:
    cond = {"accuracy": accuracy, "tokens": tokens, "agreement": 1.0}
    verdict = {"claim_holds": claim, "beats_every_single_strategy_student": claim, "not_beaten_by_any_single_strategy_student": True,
               "accuracy_at_least_every_single_strategy_student": True, "beats_no_erasure_student": True, "accuracy_at_least_50": True,
               "tokens_at_most_1.1_of_selection_floor": tokens_ok, "agreement_at_least_95": True}
    competent = seed != 2
    return {"seed": seed, "summary": {
        "students": {"cautious": {"conditions": {"empty": cond}}},
        "probe_competence": {"best": {"arithmetic": 0.9 if competent else 0.5}, "all": competent},
        "verdict": {"empty": verdict}, "selected": {"arithmetic": "step-by-step", "majority": "direct-answer" if seed else "step-by-step"},
        "wall_seconds": 300.0 + seed}}


def test_across_seeds_reports_mean_sd_and_in_how_many_seeds_each_check_holds(bench):
    runs = [seed_run(0, 0.90, 40.0, True, True), seed_run(1, 0.94, 44.0, False, False), seed_run(2, 0.92, 42.0, False, False)]
    agg = bench.across(runs, ["empty"])

    acc = agg["students"]["cautious"]["empty"]["accuracy"]
    assert acc["values"] == [0.90, 0.94, 0.92]
    assert acc["mean"] == pytest.approx(0.92)
    assert acc["sd"] == pytest.approx(0.02)
    assert agg["claim_holds"]["empty"] == {"seeds_holding": 1, "of": 3, "per_seed": [True, False, False]}
    assert agg["checks_holding"]["empty"]["tokens_at_most_1.1_of_selection_floor"] == 1
    assert agg["checks_holding"]["empty"]["beats_every_single_strategy_student"] == 1
    assert agg["probe_competent"]["seeds_holding"] == 2 and agg["probe_competent"]["best_per_task"][2] == {"arithmetic": 0.5}
    assert agg["distinct_strategies"] == {"seeds_with_at_least_2": 2, "of": 3, "per_seed": [1, 2, 2]}
    assert agg["checks_holding"]["empty"]["accuracy_at_least_50"] == 3
    assert agg["seeds"] == [0, 1, 2]
    assert agg["wall_seconds"]["mean"] == pytest.approx(301.0)


def test_one_seed_has_no_spread_rather_than_an_error(bench):
    agg = bench.across([seed_run(0, 0.9, 40.0, True, True)], ["empty"])
    assert agg["students"]["cautious"]["empty"]["accuracy"]["sd"] == 0.0


@pytest.mark.parametrize("text", ["0", "-1", "two", ""])
def test_a_bad_seed_count_is_one_argparse_line(bench, text):
    with pytest.raises(argparse.ArgumentTypeError, match="whole number of seeds"):
        bench.seed_count(text)


@pytest.mark.parametrize("text", ["0", "1,-2", "a,b", ","])
def test_bad_budgets_are_one_argparse_line(bench, text):
    with pytest.raises(argparse.ArgumentTypeError):
        bench.budget_list(text)


def test_budgets_parse_in_order(bench):
    assert bench.budget_list("0.5,1, 2") == [0.5, 1.0, 2.0]


@pytest.mark.skipif(not Path("/proc/cpuinfo").exists(), reason="reads /proc/cpuinfo (Linux)")
def test_the_result_names_the_cpu_so_wall_times_can_be_compared(bench):
    cpu = bench.cpu_description()
    assert cpu["cpu_model"]
    assert set(cpu["cpu_units"]) <= bench.CPU_UNITS
