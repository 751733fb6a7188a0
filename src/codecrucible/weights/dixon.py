"""Dixon's Q-test for one high outlier among the classes' row means.

Q = (largest - second largest) / (largest - smallest), the r10 ratio, compared with the
critical value for n values. The table is Rorabacher's (Anal. Chem. 63 (1991) 139-146), as R's
``outliers::qdixon`` carries it, for n = 3..30 at the two-sided levels 0.10, 0.05 and 0.01.

The trojan signature asks a one-sided question (is the largest mean too large?), so a
one-sided level a reads the two-sided 2a column: the default 0.05 uses the 0.10 column, as
Fields et al. do (0.468 at 8 classes). One-sided 0.025 and 0.005 read the 0.05 and 0.01
columns; other levels are not in the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from codecrucible.weights import WeightsError

# n: critical Q at two-sided alpha 0.10, 0.05, 0.01.
R10 = {
    3: (0.941, 0.970, 0.994), 4: (0.765, 0.829, 0.926), 5: (0.642, 0.710, 0.821),
    6: (0.560, 0.625, 0.740), 7: (0.507, 0.568, 0.680), 8: (0.468, 0.526, 0.634),
    9: (0.437, 0.493, 0.598), 10: (0.412, 0.466, 0.568), 11: (0.392, 0.444, 0.542),
    12: (0.376, 0.426, 0.522), 13: (0.361, 0.410, 0.503), 14: (0.349, 0.396, 0.488),
    15: (0.338, 0.384, 0.475), 16: (0.329, 0.374, 0.463), 17: (0.320, 0.365, 0.452),
    18: (0.313, 0.356, 0.442), 19: (0.306, 0.349, 0.433), 20: (0.300, 0.342, 0.425),
    21: (0.295, 0.337, 0.418), 22: (0.290, 0.331, 0.411), 23: (0.285, 0.326, 0.404),
    24: (0.281, 0.321, 0.399), 25: (0.277, 0.317, 0.393), 26: (0.273, 0.312, 0.388),
    27: (0.269, 0.308, 0.384), 28: (0.266, 0.305, 0.380), 29: (0.263, 0.301, 0.376),
    30: (0.260, 0.298, 0.372),
}
TWO_SIDED_COLUMNS = (0.10, 0.05, 0.01)
ONE_SIDED_ALPHAS = tuple(round(column / 2, 4) for column in TWO_SIDED_COLUMNS)


def check_alpha(alpha: float) -> float:
    """The table's two-sided column for a one-sided level, or an error naming the levels."""
    for one_sided, column in zip(ONE_SIDED_ALPHAS, TWO_SIDED_COLUMNS, strict=True):
        if abs(alpha - one_sided) < 1e-9:
            return column
    known = ", ".join(f"{a:g}" for a in ONE_SIDED_ALPHAS)
    raise WeightsError(f"alpha {alpha:g} is not in Dixon's table: one-sided levels are "
                       f"{known} (the table's two-sided 0.10, 0.05 and 0.01 columns)")


def critical_value(n: int, alpha: float = 0.05) -> float | None:
    """The critical Q for n values at one-sided alpha; None where the table ends (n > 30)."""
    column = TWO_SIDED_COLUMNS.index(check_alpha(alpha))
    if n < 3:
        raise ValueError("Dixon's test needs at least 3 values")
    return R10[n][column] if n in R10 else None


@dataclass(frozen=True)
class DixonResult:
    q: float
    critical: float | None   # None: more classes than the table reaches
    candidate: int           # the index of the largest value
    flagged: bool


def dixon_q(values, alpha: float = 0.05) -> DixonResult:
    values = [float(v) for v in values]
    order = sorted(range(len(values)), key=values.__getitem__)
    largest, second, smallest = values[order[-1]], values[order[-2]], values[order[0]]
    spread = largest - smallest
    # All equal: nothing stands out (Q would be 0/0).
    q = (largest - second) / spread if spread > 0 else 0.0
    critical = critical_value(len(values), alpha)
    return DixonResult(q, critical, order[-1], critical is not None and q > critical)
