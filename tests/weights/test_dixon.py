import numpy as np
import pytest

from codecrucible.weights import WeightsError
from codecrucible.weights.dixon import check_alpha, critical_value, dixon_q


@pytest.mark.parametrize(("n", "alpha", "expected"), [
    (3, 0.05, 0.941), (8, 0.05, 0.468), (10, 0.025, 0.466), (13, 0.005, 0.503),
    (30, 0.05, 0.260), (30, 0.025, 0.298), (30, 0.005, 0.372), (4, 0.005, 0.926),
])
def test_critical_values_are_the_notes_table(n, alpha, expected):
    """next-wave.md §5 (Rorabacher 1991); one-sided alpha reads the two-sided 2*alpha column."""
    assert critical_value(n, alpha) == expected


def test_the_table_ends_at_thirty_and_other_levels_are_refused():
    assert critical_value(31) is None
    assert check_alpha(0.05) == 0.10
    with pytest.raises(WeightsError, match="0.01 is not in Dixon's table"):
        check_alpha(0.01)


def test_q_is_the_gap_over_the_range():
    result = dixon_q([0.0, 1.0, 2.0, 10.0])
    assert result.q == pytest.approx(8 / 10)
    assert result.candidate == 3 and result.flagged  # 0.8 > 0.765 at n = 4
    assert not dixon_q([1.0, 1.0, 1.0]).flagged      # no spread: nothing stands out


def test_false_alarm_rate_on_normal_values_is_about_alpha():
    """The table is right for the one-sided question: on i.i.d. normal means, about 5% of draws
    are flagged at alpha 0.05 (a wrong column would give 2.5% or 10%)."""
    rng = np.random.default_rng(7)
    flagged = np.mean([dixon_q(rng.normal(size=8)).flagged for _ in range(4000)])
    assert 0.035 < flagged < 0.065
