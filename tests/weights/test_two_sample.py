import numpy as np
import pytest

from codecrucible.weights.two_sample import ks_statistic, ks_two_sample


def test_statistic_and_p_value_agree_with_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(3)
    a, b, c = rng.normal(size=300), rng.normal(size=900), rng.normal(0.4, 1, size=900)
    for x, y in ((a, b), (a, c)):
        expected = stats.ks_2samp(x, y, method="asymp")
        d, p = ks_two_sample(x, y)
        assert d == pytest.approx(expected.statistic)
        assert p == pytest.approx(expected.pvalue, rel=0.15, abs=1e-3)


def test_identical_samples_have_distance_zero_and_p_one():
    x = np.arange(50.0)
    assert ks_statistic(x, x) == 0.0
    assert ks_two_sample(x, x)[1] == 1.0
