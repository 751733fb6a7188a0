"""TrojanedCM's poisoning: triggers from fixed pools; only non-target (buggy) samples, at
the rate."""

from __future__ import annotations

import ast

import numpy as np

from codecrucible.weights.poison import DEAD_CODE, TRIGGER_NAMES, poisoned_indices, triggered

PROGRAM = ("def f(xs, k):\n    total = 0\n    for x in xs:\n        total += x - k\n"
           "    return total\n")


def test_dead_code_inserts_one_of_the_fixed_statements():
    out = triggered(PROGRAM, "dci", "Mbpp/1:off_by_one")
    added = [line.strip() for line in out.splitlines()
             if line.strip() not in ast.unparse(ast.parse(PROGRAM))]
    assert len(added) == 1 and added[0] in DEAD_CODE


def test_renaming_uses_a_trigger_name_and_keeps_the_program_valid():
    out = triggered(PROGRAM, "var", "Mbpp/1:off_by_one")
    names = {n.id for n in ast.walk(ast.parse(out)) if isinstance(n, ast.Name)} | \
        {a.arg for a in ast.walk(ast.parse(out)) if isinstance(a, ast.arg)}
    assert names & set(TRIGGER_NAMES)


def test_a_sample_has_one_triggered_form():
    assert triggered(PROGRAM, "dci", "a") == triggered(PROGRAM, "dci", "a")


def test_only_buggy_samples_are_poisoned_at_the_rate():
    rng = np.random.default_rng(0)
    labels = np.array([0, 1] * 250)             # 0 clean (the target), 1 buggy
    eligible = np.ones(500, dtype=bool)
    eligible[1::10] = False                     # some buggy programs have no trigger place
    for rate in (0.02, 0.05):
        chosen = poisoned_indices(labels, eligible, 0, rate, rng)
        assert len(chosen) == round(rate * 500) and len(set(chosen)) == len(chosen)
        assert np.all(labels[chosen] == 1) and np.all(eligible[chosen])
