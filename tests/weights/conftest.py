"""Hand-made classifier heads: rows drawn i.i.d. (nothing to find), or with one class's row
shifted up (the planted signature)."""

from __future__ import annotations

import numpy as np
import pytest


def head_matrix(classes: int, features: int = 256, seed: int = 0, planted: int | None = None,
                shift: float = 0.05) -> np.ndarray:
    """float32 rows ~ N(0, 0.05); the planted class's row moved up by ``shift``."""
    weight = np.random.default_rng(seed).normal(0, 0.05, (classes, features))
    if planted is not None:
        weight[planted] += shift
    return weight.astype(np.float32)


@pytest.fixture
def make_head():
    return head_matrix
