from math import comb

import pytest

from codecrucible.report.passk import mean_pass_at_k, pass_at_k, usable_k


@pytest.mark.parametrize("n,c,k", [(1, 0, 1), (1, 1, 1), (10, 3, 1), (10, 3, 5), (20, 1, 10),
                                   (200, 37, 100), (5, 5, 5), (7, 0, 3)])
def test_matches_the_combinatorial_definition(n, c, k):
    assert pass_at_k(n, c, k) == pytest.approx(1 - comb(n - c, k) / comb(n, k), abs=1e-12)


def test_pass_at_1_is_the_fraction_correct():
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)


def test_invalid_arguments_are_refused():
    with pytest.raises(ValueError):
        pass_at_k(5, 6, 1)
    with pytest.raises(ValueError):
        pass_at_k(5, 1, 6)


def test_only_ks_every_problem_can_support():
    assert usable_k([10, 3, 20]) == [1, 2]
    assert usable_k([200, 200]) == [1, 2, 5, 10, 20, 50, 100, 200]


def test_mean_over_problems():
    result = mean_pass_at_k({"a": (2, 1), "b": (2, 2)}, [1, 2])
    assert result == {1: pytest.approx(0.75), 2: pytest.approx(1.0)}
