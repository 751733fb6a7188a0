"""The trusted scorers of the discovery tasks (``discovery.py``), and their instances.

Each scorer runs in the harness on the plain values a candidate's calls sent back (see
``correctness/score.py``): ``scorer(inputs, values)`` with the argument tuples and the values
returned for them. Values are hostile data: every type is checked exactly (``type(x) is
float``, so no subclass crosses even if the wire let one), every size is bounded before any
quadratic work, and an invalid answer raises ``ValueError`` saying why (the candidate fails,
with that reason, and scores nothing), or ``Invalid`` with the numbers that show how far off it
is. A valid one returns ``Scored``: the score and its components, the numbers that explain it.
"""

from __future__ import annotations

import math
import random

from codecrucible.records import Invalid, Scored

TOLERANCE = 1e-9      # containment and overlap slack for circles, as floats round


def _number(x: object) -> float:
    if type(x) not in (int, float) or not math.isfinite(x):
        raise ValueError(f"expected a finite number, got {type(x).__name__}")
    return float(x)


def _listed(value: object, what: str, at_most: int) -> list | tuple:
    if type(value) not in (list, tuple):
        raise ValueError(f"expected a list of {what}, got {type(value).__name__}")
    if len(value) > at_most:
        raise ValueError(f"expected at most {at_most} {what}, got {len(value)}")
    return value


# Circle packing: n circles (x, y, r) inside the unit square, none overlapping; the sum of radii.

def circle_packing(inputs: list, values: list) -> Scored:
    """The sum of radii; components: that sum, the circles, and the largest overlap of two
    circles and the farthest a circle reaches out of the square (both 0 when valid)."""
    total, count, overlap, outside = 0.0, 0, 0.0, 0.0
    for (n,), value in zip(inputs, values, strict=True):
        circles = _circles(n, value)
        outside = max([outside] + [_outside(c) for c in circles])
        overlap = max(overlap, _largest_overlap(circles))
        total += sum(r for _, _, r in circles)
        count += len(circles)
    # Touching circles overlap by a rounding error (1e-17): shown as 0, to 12 places.
    components = {"sum_of_radii": total, "circles": float(count),
                  "largest_overlap": round(overlap, 12), "largest_outside": round(outside, 12)}
    if outside > TOLERANCE:
        raise Invalid(f"a circle leaves the unit square by {outside:.3g}", components)
    if overlap > TOLERANCE:
        raise Invalid(f"two circles overlap by {overlap:.3g}", components)
    return Scored(total, components)


def _circles(n: int, value: object) -> list[tuple[float, float, float]]:
    circles = _listed(value, "circles", n)
    if len(circles) != n:
        raise ValueError(f"expected {n} circles, got {len(circles)}")
    parsed = []
    for c in circles:
        if type(c) not in (list, tuple) or len(c) != 3:
            raise ValueError("each circle must be (x, y, r)")
        x, y, r = (_number(v) for v in c)
        if r <= 0:
            raise ValueError(f"a radius must be positive, got {r}")
        parsed.append((x, y, r))
    return parsed


def _outside(circle: tuple[float, float, float]) -> float:
    x, y, r = circle
    return max(0.0, r - x, x + r - 1, r - y, y + r - 1)


def _largest_overlap(circles: list[tuple[float, float, float]]) -> float:
    largest = 0.0
    for i, (x1, y1, r1) in enumerate(circles):
        for x2, y2, r2 in circles[i + 1:]:
            largest = max(largest, r1 + r2 - math.hypot(x1 - x2, y1 - y2))
    return largest


# Cap set: vectors of Z_3^n, no three distinct ones on a line (x + y + z = 0 mod 3); the size.

def cap_set(inputs: list, values: list) -> Scored:
    """The number of vectors; components: that size, and whether the set is a cap set."""
    total = 0
    for (n,), value in zip(inputs, values, strict=True):
        total += _cap_size(n, value)
    return Scored(float(total), {"size": float(total), "valid": 1.0})


def _cap_size(n: int, value: object) -> int:
    vectors = _listed(value, "vectors", 3 ** n)
    codes: list[int] = []
    member = bytearray(3 ** n)
    for v in vectors:
        if type(v) not in (list, tuple) or len(v) != n \
                or not all(type(d) is int and 0 <= d <= 2 for d in v):
            raise ValueError(f"each vector must hold {n} integers in 0, 1, 2")
        code = 0
        for d in v:
            code = code * 3 + d
        if member[code]:
            raise ValueError(f"the vector {list(v)} appears twice")
        member[code] = 1
        codes.append(code)
    third = _third_table(n)
    # Each vector against those before it: once more vectors than the largest cap set have been
    # seen, a line must be among them, so the work stays bounded by that size squared.
    for j, y in enumerate(codes):
        for x in codes[:j]:
            z = third(x, y)
            if member[z]:
                raise Invalid("three vectors are collinear (x + y + z = 0 mod 3)",
                              {"size": float(len(codes)), "valid": 0.0})
    return len(codes)


def _third_table(n: int):
    """z(x, y) = -(x + y) mod 3 digit by digit, on base-3 codes: two tables, one for the low
    half of the digits and one for the high half, so a pair costs two look-ups."""
    low_digits = n // 2
    low, high = _neg_sums(low_digits), _neg_sums(n - low_digits)
    base, hsize = 3 ** low_digits, 3 ** (n - low_digits)

    def third(x: int, y: int) -> int:
        return high[(x // base) * hsize + y // base] * base + low[(x % base) * base + y % base]
    return third


def _neg_sums(digits: int) -> list[int]:
    """At a * 3**digits + b, for base-3 codes a and b: -(a + b) mod 3, digit by digit."""
    size = 3 ** digits
    table = [0] * (size * size)
    for a in range(size):
        for b in range(size):
            z, p, aa, bb = 0, 1, a, b
            for _ in range(digits):
                z += (-(aa % 3) - (bb % 3)) % 3 * p
                aa, bb, p = aa // 3, bb // 3, p * 3
            table[a * size + b] = z
    return table


# Online bin packing: the bin of each item, in order; the L1 lower bound over bins used.

def bin_packing(inputs: list, values: list) -> Scored:
    """The mean over instances of the L1 bound over the bins used; components: the bins
    used and their L1 bound, over all instances, and the worst instance's ratio."""
    ratios, bins_used, bound = [], 0, 0
    for (items, capacity), value in zip(inputs, values, strict=True):
        loads = _loads(items, value)
        over = [load - capacity for load in loads.values() if load > capacity]
        if over:
            raise Invalid(f"over-full bins: {len(over)} hold more than the capacity {capacity}",
                          {"overfull_bins": float(len(over)), "largest_excess": float(max(over))})
        bins_used += len(loads)
        bound += l1_bound(items, capacity)
        ratios.append(l1_bound(items, capacity) / len(loads))
    return Scored(sum(ratios) / len(ratios), {"bins": float(bins_used), "l1_bound": float(bound),
                                              "worst_ratio": min(ratios)})


def _loads(items: list[int], value: object) -> dict[int, int]:
    """Each bin's load, from the bin of each item."""
    bins = _listed(value, "bin indices", len(items))
    if len(bins) != len(items):
        raise ValueError(f"expected one bin per item ({len(items)}), got {len(bins)}")
    loads: dict[int, int] = {}
    for item, b in zip(items, bins, strict=True):
        if type(b) is not int or not 0 <= b < len(items):
            raise ValueError(f"a bin is an integer in [0, {len(items)}), got {b!r}")
        loads[b] = loads.get(b, 0) + item
    return loads


def l1_bound(items: list[int], capacity: int) -> int:
    return -(-sum(items) // capacity)


def or_instances(count: int = 4, size: int = 120, seed: int = 14) -> list[tuple]:
    """OR-Library ``binpack1`` style: sizes uniform in 20..100, capacity 150."""
    rng = random.Random(seed)
    return [([rng.randint(20, 100) for _ in range(size)], 150) for _ in range(count)]


def weibull_instances(count: int = 3, size: int = 500, seed: int = 14) -> list[tuple]:
    """FunSearch's Weibull instances: sizes Weibull(scale 45, shape 3) rounded and clipped to
    1..100, capacity 100."""
    rng = random.Random(seed)
    return [([min(100, max(1, round(rng.weibullvariate(45, 3)))) for _ in range(size)], 100)
            for _ in range(count)]
