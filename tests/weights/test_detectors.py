"""The AUROC against hand-computed values; the spectral signature finds a planted cluster."""

from __future__ import annotations

import numpy as np

from codecrucible.weights.detectors import auroc, spectral_concentration, spectral_scores


def test_auroc_hand_computed():
    assert auroc([1, 2, 3], [4, 5, 6]) == 1.0
    assert auroc([4, 5, 6], [1, 2, 3]) == 0.0
    # pairs (p, c): 2>1, 2<3, 4>1, 4>3 -> 3 of 4
    assert auroc([1, 3], [2, 4]) == 0.75
    # a tie counts half: (2,2) half, (2,1) win -> 1.5 / 2
    assert auroc([1, 2], [2]) == 0.75
    assert auroc([0.5] * 4, [0.5] * 3) == 0.5
    assert auroc([], [1.0]) is None


def _features(seed: int, planted: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (200, 32))
    labels = np.repeat([0, 1], 100)
    if planted:   # 8 samples of class 0 share a shift in one direction: the poisoned ones
        x[:8] += 10 * np.eye(32)[5]
    return x, labels


def test_spectral_scores_rank_the_planted_samples_first():
    x, labels = _features(0, planted=True)
    scores = spectral_scores(x[labels == 0])
    assert set(np.argsort(scores)[-8:]) == set(range(8))


def test_spectral_concentration_separates_poisoned_from_clean_data():
    clean = [spectral_concentration(*_features(s, False))[0] for s in range(10)]
    poisoned = [spectral_concentration(*_features(s, True)) for s in range(10)]
    assert all(top == 0 for _, top in poisoned)
    assert auroc(clean, [share for share, _ in poisoned]) == 1.0
