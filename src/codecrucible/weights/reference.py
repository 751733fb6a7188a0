"""A suspect's classifier rows against the same rows of clean reference checkpoints.

Where the classes cannot be compared with each other (two classes: the rows' updates are exact
negatives, see ``scan``), each row can still be compared with a population: the z-score of the
row's mean against the references' means of that row, and a two-sample Kolmogorov-Smirnov test
of the row's weights against the references' weights of that row, pooled.

The decision is one-sided, like Fields et al.'s: a trojan's target class gains weight, so the
class with the largest z is the candidate and is flagged when z exceeds the normal quantile at
1 - alpha / classes (Bonferroni over the classes). The z-score treats the references' mean and
spread as known; with few references it is lenient, so give ten or more.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from codecrucible.weights.two_sample import ks_two_sample


@dataclass(frozen=True)
class RowComparison:
    index: int
    z: float | None               # None: fewer than 2 references, or they all agree exactly
    reference_mean: float
    reference_std: float | None
    ks_statistic: float
    ks_p: float


@dataclass(frozen=True)
class ReferenceResult:
    references: list[str]
    rows: list[RowComparison]
    candidate: int | None          # the class with the largest z
    z_critical: float
    flagged: bool


def compare_rows(weight: np.ndarray, references: dict[str, np.ndarray],
                 alpha: float) -> ReferenceResult:
    """``references`` maps each reference's name to its weight matrix, of the suspect's shape."""
    stack = np.stack(list(references.values()))          # [references x classes x features]
    means = stack.mean(axis=2)                           # [references x classes]
    rows = []
    for k in range(weight.shape[0]):
        center = float(means[:, k].mean())
        spread = float(means[:, k].std(ddof=1)) if len(references) > 1 else None
        z = (float(weight[k].mean()) - center) / spread if spread else None
        d, p = ks_two_sample(weight[k], stack[:, k, :])
        rows.append(RowComparison(k, z, center, spread, d, p))
    scored = [row for row in rows if row.z is not None]
    candidate = max(scored, key=lambda row: row.z).index if scored else None
    z_critical = NormalDist().inv_cdf(1 - alpha / weight.shape[0])
    flagged = candidate is not None and rows[candidate].z > z_critical
    return ReferenceResult(list(references), rows, candidate, z_critical, flagged)
