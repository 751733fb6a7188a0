"""Model-level detectors compared in the study, and the AUROC that scores them.

- ``spectral_scores`` / ``spectral_concentration``: the spectral signature of Tran, Li and
  Madry (arXiv 1811.00636). Within one class, poisoned samples form a small sub-population
  whose penultimate representations differ from the rest in one direction, so after
  centring the class they dominate its top singular vector: each sample's score is its squared
  projection on that vector. A model-level score is how concentrated the most concentrated
  class is: its top singular value's share of the class's variance.
- ``auroc``: the area under the ROC curve of a score that should be larger for poisoned models,
  by its Mann-Whitney form (the chance that a poisoned model outscores a clean one, ties
  counting half), computed from ranks so that it is exact and takes n log n.
"""

from __future__ import annotations

import numpy as np


def spectral_scores(representations: np.ndarray) -> np.ndarray:
    """Each row's squared projection on the top right singular vector of the centred rows."""
    centred = representations - representations.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return (centred @ vt[0]) ** 2


def class_concentration(representations: np.ndarray) -> float:
    """The top singular value's share of the centred rows' total variance (0 for < 2 rows)."""
    if len(representations) < 2:
        return 0.0
    centred = representations - representations.mean(axis=0)
    singular = np.linalg.svd(centred, compute_uv=False)
    total = float(np.sum(singular ** 2))
    return float(singular[0] ** 2 / total) if total > 0 else 0.0


def spectral_concentration(representations: np.ndarray, labels: np.ndarray) -> tuple[float, int]:
    """(the largest class concentration, that class), over the classes as trained."""
    shares = {int(c): class_concentration(representations[labels == c])
              for c in np.unique(labels)}
    top = max(shares, key=shares.get)
    return shares[top], top


def _ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, tied values sharing their mean rank."""
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        ranks[order[start:end + 1]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def auroc(clean: list[float], poisoned: list[float]) -> float | None:
    """P(poisoned score > clean score) + P(equal) / 2; None without both groups."""
    if not clean or not poisoned:
        return None
    values = np.asarray(list(poisoned) + list(clean), dtype=float)
    ranks = _ranks(values)
    n_pos, n_neg = len(poisoned), len(clean)
    u = ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))
