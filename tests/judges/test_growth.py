"""The efficiency judge's growth exponent, on pairs of correct solutions whose costs grow
differently, measured in the real sandbox: an all-pairs search that stops at its first hit
must rank below a sort, whatever its ratio. Exponents come from instruction counts or thread
CPU time, never wall-clock time, and are checked within wide bands."""

from __future__ import annotations

import uuid
from itertools import pairwise

import pytest

from codecrucible import benchmarks, judges
from codecrucible.correctness import calibrate
from codecrucible.correctness.expected import TimeLimits
from codecrucible.correctness.referee import Referee
from codecrucible.judges import efficiency, growth
from codecrucible.records import Problem
from codecrucible.sandbox import REFERENCES, SandboxPool, wire

# HumanEval/0 as the original HumanEval solved it: all pairs, returning at the first close one.
ALL_PAIRS = """
def has_close_elements(numbers, threshold):
    for idx, elem in enumerate(numbers):
        for idx2, elem2 in enumerate(numbers):
            if idx != idx2:
                distance = abs(elem - elem2)
                if distance < threshold:
                    return True
    return False
"""
SORTED_SCAN = """
def has_close_elements(numbers, threshold):
    ordered = sorted(numbers)
    for a, b in zip(ordered, ordered[1:]):
        if b - a < threshold:
            return True
    return False
"""
# HumanEval/26: keep the numbers that occur once. A scan of the rest for each number, stopping
# at its first duplicate (cheap where duplicates abound), against a count.
SCAN_FOR_DUPLICATE = """
def remove_duplicates(numbers):
    kept = []
    for i, n in enumerate(numbers):
        for j, m in enumerate(numbers):
            if i != j and m == n:
                break
        else:
            kept.append(n)
    return kept
"""
COUNTED = """
from collections import Counter

def remove_duplicates(numbers):
    seen = Counter(numbers)
    return [n for n in numbers if seen[n] == 1]
"""
# A task whose reference refuses what the wide inputs hold (numbers from 1000 up) and lists
# longer than 600: only the observed-range inputs at 128, 256 and 512 items may be used.
FUSSY = Problem(
    task_id="Fussy/0", benchmark="fussy", prompt="", instruction="", entry_point="f",
    reference="def f(xs):\n    assert len(xs) <= 600 and all(0 <= x < 1000 for x in xs)\n"
              "    return sum(x * k for x in xs for k in range(8))\n",
    inputs={"base": [([3, 1, 2],), ([5, 900, 7, 8, 1],)]})
TASKS = ("HumanEval/0", "HumanEval/26", "HumanEval/2")


@pytest.fixture(scope="module")
def profiler(data_dir):
    loaded = {p.task_id: p for p in benchmarks.get("humaneval+").load(data_dir)}
    problems = {**{t: loaded[t] for t in TASKS}, FUSSY.task_id: FUSSY}
    with SandboxPool(1, role=REFERENCES, lazy=True) as references, SandboxPool(1) as pool:
        tests = calibrate.calibrate(list(problems.values()), references, uuid.uuid4().hex)
        assert not any(t.error for t in tests.values()), tests
        referee = Referee(problems, tests, pool, TimeLimits(), references=references)
        try:
            yield efficiency.Efficiency(referee, TimeLimits(), 512)
        finally:
            referee.close()


def rules(assessment):
    return {f.rule: f.message for f in assessment.findings}


def ranked(profiler, task_id, worse, better):
    worse_a, better_a = profiler.assess(task_id, worse), profiler.assess(task_id, better)
    exponents = {name: (a.scores.get("efficiency.growth"),
                        a.scores.get("efficiency.growth_reference"))
                 for name, a in (("worse", worse_a), ("better", better_a))}
    print(task_id, exponents)  # the measured exponents, for the record (pytest -s)
    return worse_a, better_a, exponents


def test_all_pairs_grows_quadratically_and_ranks_below_a_sort(profiler):
    quadratic, sorting, exponents = ranked(profiler, "HumanEval/0", ALL_PAIRS, SORTED_SCAN)
    assert quadratic.scores["efficiency.growth"] >= 1.7, exponents
    assert sorting.scores["efficiency.growth"] <= 1.5, exponents
    assert sorting.scores["efficiency.growth_reference"] <= 1.5, exponents  # EvalPlus sorts
    assert "n^" in rules(quadratic).get("EFF-GROWTH", ""), quadratic.findings
    assert "EFF-GROWTH" not in rules(sorting), sorting.findings
    assert quadratic.scores["efficiency.ratio"] > sorting.scores["efficiency.ratio"]
    assert quadratic.scores["efficiency.ratio_max"] > 5


def test_a_scan_that_stops_at_the_first_duplicate_grows_quadratically(profiler):
    scan, counted, exponents = ranked(profiler, "HumanEval/26", SCAN_FOR_DUPLICATE, COUNTED)
    assert scan.scores["efficiency.growth"] >= 1.7, exponents
    assert counted.scores["efficiency.growth"] <= 1.5, exponents
    assert "EFF-GROWTH" in rules(scan) and "EFF-GROWTH" not in rules(counted)
    # Repeating the task's inputs, as the judge once did, hides it: duplicates everywhere.
    tests = profiler.referee.tests["HumanEval/26"]
    largest = wire.loads(max(tests.args, key=len))[0]
    repeated = [wire.dumps(((largest * (2048 // max(len(largest), 1) + 1))[:n],))
                for n in growth.SIZES]
    family = efficiency.Grown("repeated", list(growth.SIZES), repeated, [1] * len(repeated))
    problem = profiler.referee.problems["HumanEval/26"]
    _, costs = efficiency.per_input(
        profiler._profile(problem, repeated, SCAN_FOR_DUPLICATE, growth.SIZES), len(repeated))
    degenerate = efficiency.growth_of(family, costs).exponent
    print("HumanEval/26 on repeated inputs:", degenerate)
    assert degenerate is not None and degenerate < scan.scores["efficiency.growth"] - 0.5


def test_only_inputs_the_reference_accepts_are_grown_and_measured(profiler):
    baseline = profiler._reference(FUSSY.task_id)
    assert baseline.why is None and baseline.grown, baseline
    for family in baseline.grown:
        assert family.family == "observed", [g.family for g in baseline.grown]
        assert family.sizes == [128, 256, 512], family.sizes
        for raw in family.inputs:
            (xs,) = wire.loads(raw)
            assert len(xs) <= 600 and all(0 <= x < 1000 for x in xs)
    # The wide inputs exist, and the reference refuses them: they were offered and dropped.
    [(_, raw)] = growth.grow(FUSSY.task_id, profiler.referee.tests["Fussy/0"].args,
                             "distinct", (128,))
    (wide,) = wire.loads(raw)
    assert max(wide) >= 1000
    candidate = "def f(xs):\n    return sum(x * k for k in range(8) for x in xs)\n"
    assessment = profiler.assess(FUSSY.task_id, candidate)
    assert "efficiency.ratio" in assessment.scores
    assert not any("did not finish" in f.message for f in assessment.findings)


def test_a_candidate_too_slow_on_grown_inputs_is_flagged_not_fitted(profiler):
    cubic = ("def remove_duplicates(numbers):\n"
             "    return [n for n in numbers\n"
             "            if sum(1 for m in numbers for _ in numbers if m == n) == len(numbers)]\n")
    assessment = profiler.assess("HumanEval/26", cubic)
    assert "did not finish grown inputs of n = " in rules(assessment)["EFF-GROWTH"], \
        assessment.findings


def test_a_task_whose_inputs_cannot_grow_gets_no_growth_and_says_why(profiler):
    assessment = profiler.assess("HumanEval/2", "def truncate_number(number):\n"
                                 "    return number % 1.0\n")
    assert "efficiency.ratio" in assessment.scores
    assert "efficiency.growth" not in assessment.scores
    assert "no argument can grow (only float)" in rules(assessment)["EFF-NO-GROWTH"]


def test_the_judge_reports_growth_through_the_judge_seam(profiler):
    setting = judges.Setting(referee=profiler.referee)
    setting.keep("efficiency", lambda: profiler)
    (assessment,) = judges.assess(["efficiency"], [judges.Program("HumanEval/0", SORTED_SCAN,
                                                                  passed=True)], setting)
    assert assessment.scores["efficiency.growth"] <= 1.5


def test_an_exponent_needs_three_sizes_above_the_floor():
    sizes = [128, 256, 512, 1024]
    slope, how = growth.exponent(sizes, [n * n * 10 for n in sizes], floor=1000)
    assert slope == pytest.approx(2.0) and "128, 256, 512, 1024" in how
    slope, how = growth.exponent(sizes, [500, None, None, 40_000], floor=1000)
    assert slope is None and "2 sizes measured" in how
    slope, how = growth.exponent(sizes, [500, 600, 700, 40_000], floor=1000)
    assert slope is None and "only 1 of 4 sizes cost above the per-call floor" in how


def encoded(*inputs):
    return [wire.dumps(args) for args in inputs]


def test_grown_inputs_are_fresh_distinct_typed_and_the_same_every_time():
    inputs = encoded(([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3), ([1.5, -2.0, 7.25], 0.05))
    grown = growth.grow("T/0", inputs, "distinct", (256, 1024))
    assert grown == growth.grow("T/0", inputs, "distinct", (256, 1024))  # seeded
    assert grown != growth.grow("T/1", inputs, "distinct", (256, 1024))
    for n, raw in grown:
        numbers, threshold = wire.loads(raw)
        assert len(numbers) == n and threshold == 0.3  # the scalar is kept
        assert all(type(x) is float for x in numbers) and len(set(numbers)) == n
        ordered = sorted(numbers)
        assert min(b - a for a, b in pairwise(ordered)) > 1  # no close pairs
    (_, raw), = growth.grow("T/0", inputs, "sorted", (256,))
    assert wire.loads(raw)[0] == sorted(wire.loads(raw)[0])
    (_, raw), = growth.grow("T/0", inputs, "observed", (256,))
    assert all(-2.0 <= x <= 7.25 for x in wire.loads(raw)[0])


def test_growth_keeps_signs_alphabets_and_nesting():
    (_, raw), = growth.grow("T/0", encoded(([3, 0, 7],)), "distinct", (512,))
    (numbers,) = wire.loads(raw)
    assert min(numbers) >= 0 and max(numbers) > 512 and len(set(numbers)) > 500
    (_, raw), = growth.grow("T/0", encoded(("(()())", 2), ("()", 1)), "distinct", (300,))
    text, count = wire.loads(raw)
    assert len(text) == 300 and set(text) <= {"(", ")"} and count == 2
    (_, raw), = growth.grow("T/0", encoded(([[1, 2], [3, 4, 5]],)), "distinct", (128,))
    (rows,) = wire.loads(raw)
    assert len(rows) == 128 and [len(r) for r in rows[:4]] == [2, 3, 2, 3]
    (_, raw), = growth.grow("T/0", encoded((["ab", "cd"], "a")), "first", (128,))
    strings, prefix = wire.loads(raw)
    assert len(strings) == 128 and prefix == "a"  # only the first argument grows
    assert growth.grow("T/0", encoded(([1, 2],)), "first", (128,)) == []  # same as distinct
    (_, raw), = growth.grow("T/0", encoded((5,), (12,)), "distinct", (256,))
    assert wire.loads(raw) == (256,)  # an integer alone is taken for a size
    assert growth.why_not(encoded((1.5,), (2.5,))) == "no argument can grow (only float)"
    assert growth.why_not(encoded((-3, 2.0),)) == "no argument can grow (only float, int)"
