"""Intervals: Wilson for one accuracy, a stratified (paired) bootstrap for means over tasks."""

from __future__ import annotations

from cautious.stats import bootstrap_macro, compare, wilson


def test_wilson_matches_the_textbook_values():
    low, high = wilson(81, 263)  # Wilson (1927) / Newcombe (1998) example: 0.2553 to 0.3662
    assert abs(low - 0.2553) < 5e-4 and abs(high - 0.3662) < 5e-4
    assert wilson(0, 0) == (0.0, 1.0)


def test_wilson_bounds_are_exact_at_none_and_all_correct():
    assert wilson(0, 200)[0] == 0.0 and wilson(0, 100)[0] == 0.0  # not 1.7e-18
    assert wilson(200, 200)[1] == 1.0 and 0.98 < wilson(200, 200)[0] < 1.0


def test_bootstrap_macro_averages_tasks_equally_and_brackets_the_estimate():
    est, low, high = bootstrap_macro([[1] * 90 + [0] * 10, [1] * 10 + [0] * 190])
    assert abs(est - (0.9 + 0.05) / 2) < 1e-12  # a mean of task means, not of all examples
    assert low < est < high and high - low < 0.1
    assert bootstrap_macro([[1, 0, 1]], seed=3) == bootstrap_macro([[1, 0, 1]], seed=3)  # seeded


def test_a_paired_difference_is_read_as_beats_ties_or_loses_from_its_interval():
    better = [1] * 40 + [0] * 160  # A right where B is wrong on 40 of 200, never the other way
    _, low, high = bootstrap_macro([better])
    assert compare(low, high) == "beats"
    _, low, high = bootstrap_macro([[-x for x in better]])
    assert compare(low, high) == "loses"
    noisy = [1] * 5 + [-1] * 4 + [0] * 191
    _, low, high = bootstrap_macro([noisy])
    assert compare(low, high) == "ties within the interval"


def test_an_interval_that_ends_at_zero_is_a_tie_not_a_win_by_rounding_error():
    # Per-task paired differences whose bootstrap percentile is exactly 0; summed as floats
    # the three task means gave 9e-18 there, which `compare` read as "beats".
    diffs = [[1, 1, 1, 0, -1, 0, -1, 1, 0, 0], [1, 0, 0, 0, 1, -1, 0, 0, 0, 1], [0, 0, 0, 0, 1, 0, 0, 0, 1, 1]]
    _, low, high = bootstrap_macro(diffs)
    assert low == 0.0
    assert compare(low, high) == "ties within the interval"
