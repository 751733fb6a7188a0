"""Macro-F1, per-class F1, validity and the bootstrap over problems, against values worked
out by hand."""

from __future__ import annotations

import pytest

from codecrucible.classify.costs import ArmCost, break_even
from codecrucible.classify.metrics import bootstrap_ci, macro_f1, per_class_f1, validity


def test_f1_by_hand():
    truth = ["a", "a", "a", "b", "b", "c"]
    predicted = ["a", "a", "b", "b", None, "a"]
    # a: TP 2, FP 1 (the c), FN 1 -> 4/6; b: TP 1, FP 1, FN 1 -> 2/4; c: TP 0 -> 0
    scores = per_class_f1(truth, predicted, ["a", "b", "c"])
    assert scores == pytest.approx({"a": 4 / 6, "b": 0.5, "c": 0.0})
    assert macro_f1(truth, predicted, ["a", "b", "c"]) == pytest.approx((4 / 6 + 0.5) / 3)
    assert validity(predicted) == pytest.approx(5 / 6)


def test_bootstrap_resamples_problems_not_items():
    # Problem A is all right (F1 1), problem B all wrong (F1 0); drawn twice with replacement:
    # AA -> 1, BB -> 0, AB or BA -> 0.5 for each class: the interval is [0, 1], the middle 0.5.
    truth = ["x", "y", "x", "y"]
    predicted = ["x", "y", "y", "x"]
    groups = ["A", "A", "B", "B"]
    assert bootstrap_ci(truth, predicted, groups, ["x", "y"], 2000) == (0.0, 1.0)
    assert bootstrap_ci(truth, predicted, groups, ["x", "y"], 2000, level=0.1) == (0.5, 0.5)
    # one problem: every resample is the whole set
    assert bootstrap_ci(truth[:2], predicted[:2], groups[:2], ["x", "y"], 50) == (1.0, 1.0)


def _cost(arm, setup, per_item, items=10):
    return ArmCost(arm, setup, setup, 0, 0.0, items, per_item * items, per_item * items, 0)


def test_break_even_arithmetic():
    tuned, prompted = _cost("lora", 100.0, 0.01), _cost("prompt", 0.0, 1.0)
    # 100 + 0.01 n = n  ->  n = 100 / 0.99
    assert break_even(tuned, prompted) == pytest.approx(100 / 0.99)
    assert break_even(prompted, tuned) == pytest.approx(100 / 0.99)
    assert tuned.cpu_s_for(100 / 0.99) == pytest.approx(prompted.cpu_s_for(100 / 0.99))
    assert break_even(_cost("a", 1.0, 0.5), _cost("b", 2.0, 0.5)) is None   # parallel
    assert break_even(_cost("a", 1.0, 0.1), _cost("b", 2.0, 0.5)) is None   # a always cheaper
