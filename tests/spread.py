"""A score-valued benchmark the tests define and register at run time ("spread"): return
``n`` numbers in [0, 1], no two within 0.1 of each other, whose sum is as large as possible.
Its scorer is this module's ``spread_sum``, the trusted harness-side function that judges the
values a candidate's calls sent back."""

from __future__ import annotations

import itertools

from codecrucible.records import Problem


def spread_sum(inputs: list, values: list) -> float:
    """The trusted scorer: every value checked before it is used."""
    total = 0.0
    for (n,), value in zip(inputs, values, strict=True):
        if type(value) is not list or len(value) != n:
            raise ValueError(f"expected a list of {n} numbers")
        if not all(type(x) in (int, float) and 0 <= x <= 1 for x in value):
            raise ValueError("every number must lie in [0, 1]")
        ordered = sorted(value)
        if any(b - a < 0.1 - 1e-9 for a, b in itertools.pairwise(ordered)):
            raise ValueError("two numbers are within 0.1 of each other")
        total += sum(value)
    return total


SPREAD = Problem("Spread/0", "spread-test", "def spread(n):\n", "Spread n numbers.", "spread",
                 "def spread(n):\n    return [i / 10 for i in range(n)]\n",
                 inputs={"base": [(5,), (8,)]}, check="score", scorer="spread:spread_sum")
BEST = 4.0 + 5.2  # 1.0, 0.9, ... for n = 5 and n = 8

HONEST = "def spread(n):\n    return [1 - i / 10 for i in range(n)]\n"
MODEST = "def spread(n):\n    return [i / 10 for i in range(n)]\n"   # worth 1.0 + 2.8
CROWDED = "def spread(n):\n    return [1.0] * n\n"
FORGERIES = {
    "a float whose __float__ and __eq__ lie": (
        "class F(float):\n    def __float__(self):\n        return 1e300\n"
        "    def __eq__(self, other):\n        return True\n"
        "def spread(n):\n    return [F(1.0)] * n\n"),
    "forged answer lines, then exit": (
        "import os\nos.write(3, b'loaded\\n[0,[1e300],null,null]\\n[1,[1e300],null,null]\\n')\n"
        "os._exit(0)\n"),
    "patched builtins in its own process": (
        "import builtins\nbuiltins.sum = lambda *a, **k: 1e300\nbuiltins.float = lambda *a: 1e300\n"
        + MODEST),
    "more numbers than asked for": "def spread(n):\n    return [0.5] * 100000\n",
}


class SpreadBenchmark:
    name = "spread-test"
    description = "spread n numbers in [0, 1] (a score problem defined in a test)"
    size = 1
    suites = ("base",)
    files = ()

    def load(self, data_dir):
        return [SPREAD]
