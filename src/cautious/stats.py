"""Confidence intervals for the numbers `cautious` reports (numpy only, seeded, exact to re-run).

- `wilson`: a 95% interval for one accuracy (k of n) — honest near 0% and 100%, where the
  normal approximation gives intervals outside [0, 1].
- `bootstrap_macro`: a percentile bootstrap interval for a mean over tasks of per-example
  values, resampling examples *within* each task (stratified), so every task keeps its size.
  Given per-example differences of two models on the same examples it is the *paired*
  bootstrap: the interval of "A minus B" that the verdicts and the selection read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

Z95 = 1.959963984540054


def wilson(correct: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion; (0, 1) when n is 0."""
    if n <= 0:
        return 0.0, 1.0
    p = correct / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At 0 of n (n of n) the exact bound is 0 (1); centre - half leaves ~1e-18 of rounding there
    low = 0.0 if correct <= 0 else max(0.0, centre - half)
    high = 1.0 if correct >= n else min(1.0, centre + half)
    return low, high


def bootstrap_macro(
    groups: Sequence[Sequence[float]], *, level: float = 0.95, resamples: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """(estimate, low, high): the mean over groups of each group's mean, with a stratified
    percentile bootstrap interval. Empty groups are left out."""
    arrays = [np.asarray(g, dtype=float) for g in groups if len(g)]
    if not arrays:
        return 0.0, 0.0, 0.0
    estimate = float(np.mean([a.mean() for a in arrays]))
    rng = np.random.default_rng(seed)
    stats = np.zeros(resamples)
    for a in arrays:
        idx = rng.integers(0, len(a), size=(resamples, len(a)))
        stats += a[idx].mean(axis=1)
    stats /= len(arrays)
    # Each resample's statistic is a fraction with a small denominator; summing the groups'
    # means in floating point leaves ~1e-17 where the exact value is 0, and a verdict or a
    # selection tie reads `low > 0` — so a zero difference could "beat". Twelve decimals keep
    # every real value (denominators are example counts) and drop that noise.
    stats = np.round(stats, 12)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(stats, [tail, 100 - tail])
    return estimate, float(low), float(high)


def compare(low: float, high: float) -> str:
    """The verdict a difference's interval supports: "beats", "loses" or "ties within the interval"."""
    if low > 0:
        return "beats"
    if high < 0:
        return "loses"
    return "ties within the interval"
