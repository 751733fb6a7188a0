"""The two-sample Kolmogorov-Smirnov test, with numpy alone (scipy is not a core dependency):
do two samples of weights come from the same distribution?"""

from __future__ import annotations

import math

import numpy as np


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """The largest distance between the two empirical distribution functions."""
    a, b = np.sort(np.ravel(a)), np.sort(np.ravel(b))
    pooled = np.concatenate([a, b])
    gap = np.searchsorted(a, pooled, side="right") / a.size - \
        np.searchsorted(b, pooled, side="right") / b.size
    return float(np.max(np.abs(gap)))


def kolmogorov_survival(x: float) -> float:
    """P(K > x) for the Kolmogorov distribution: 2 * sum (-1)^(j-1) exp(-2 j^2 x^2)."""
    if x < 0.2:
        return 1.0  # the series converges slowly there, to 1 within 1e-16
    terms = [(-1) ** (j - 1) * math.exp(-2 * j * j * x * x) for j in range(1, 101)]
    return min(1.0, max(0.0, 2 * math.fsum(terms)))


def ks_two_sample(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(D, p): the asymptotic p-value with Stephens' small-sample correction, accurate enough
    for rows of hundreds of weights (Numerical Recipes, 14.3)."""
    d = ks_statistic(a, b)
    n, m = np.size(a), np.size(b)
    effective = math.sqrt(n * m / (n + m))
    return d, kolmogorov_survival((effective + 0.12 + 0.11 / effective) * d)
