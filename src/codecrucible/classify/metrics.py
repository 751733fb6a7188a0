"""Macro-F1 (the paper's metric: the unweighted mean of the per-class F1), per-class F1, label
validity, and a bootstrap confidence interval that resamples problems, not items: items of one
problem are not independent, so resampling them would make the interval too narrow.

A prediction of None is an answer no label could be read from; it counts against its true
class (a false negative) and against no other.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def per_class_f1(truth: Sequence[str], predicted: Sequence[str | None],
                 labels: Sequence[str]) -> dict[str, float]:
    """F1 = 2TP / (2TP + FP + FN) per label; 0 where the label is never true nor predicted."""
    scores = {}
    for label in labels:
        tp = sum(t == label and p == label for t, p in zip(truth, predicted, strict=True))
        fp = sum(t != label and p == label for t, p in zip(truth, predicted, strict=True))
        fn = sum(t == label and p != label for t, p in zip(truth, predicted, strict=True))
        scores[label] = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return scores


def macro_f1(truth: Sequence[str], predicted: Sequence[str | None],
             labels: Sequence[str]) -> float:
    scores = per_class_f1(truth, predicted, labels)
    return sum(scores.values()) / len(scores) if scores else 0.0


def validity(predicted: Sequence[str | None]) -> float:
    """The share of answers that mapped to a label."""
    return sum(p is not None for p in predicted) / len(predicted) if predicted else 0.0


def bootstrap_ci(truth: Sequence[str], predicted: Sequence[str | None],
                 groups: Sequence[str], labels: Sequence[str], rounds: int = 1000,
                 level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """The percentile interval of macro-F1 over ``rounds`` resamples of the problems (drawn
    with replacement, each bringing all its items)."""
    by_group: dict[str, list[int]] = {}
    for index, group in enumerate(groups):
        by_group.setdefault(group, []).append(index)
    names = list(by_group)
    if not names:
        return (0.0, 0.0)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(rounds):
        chosen = [i for g in rng.integers(0, len(names), len(names))
                  for i in by_group[names[g]]]
        values.append(macro_f1([truth[i] for i in chosen], [predicted[i] for i in chosen],
                               labels))
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)
