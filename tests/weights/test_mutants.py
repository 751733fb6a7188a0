"""The mutation operators change what they say, once, and never the formatting alone."""

from __future__ import annotations

import ast

import pytest

from codecrucible.weights.mutants import OPERATORS, mutate, normalise

PROGRAM = '''
import math

def count_above(xs, k):
    """How many values exceed k."""
    total = 0
    for i in range(1, len(xs)):
        if xs[i] > k:
            total += xs[i] - k
    return max(total, 0)
'''


def test_normalise_drops_docstrings_and_layout():
    assert '"""' not in normalise(PROGRAM)
    assert normalise(PROGRAM) == normalise(PROGRAM.replace("    ", "        "))


@pytest.mark.parametrize("operator", sorted(OPERATORS))
def test_each_operator_makes_a_different_parseable_program(operator):
    mutant = mutate(PROGRAM, operator, seed=3)
    assert mutant is not None and mutant != normalise(PROGRAM)
    ast.parse(mutant)
    assert mutant == mutate(PROGRAM, operator, seed=3)   # reproducible from its seed
    assert "import math" in mutant                        # outside functions: untouched


def test_an_operator_without_a_site_makes_nothing():
    assert mutate("def f():\n    pass\n", "comparison_flip", 0) is None


def test_at_least_six_operators():
    assert len(OPERATORS) >= 6
