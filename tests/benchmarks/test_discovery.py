"""The discovery tasks: each naive reference earns its documented score, with the components
that explain it, through the sandbox, the evaluation cascade and the trusted scorers; a program
that fails the cheap stage is judged there, its full evaluation never run; invalid and forged
answers score nothing, forge no components and leave nothing running."""

from __future__ import annotations

import math
import time
from dataclasses import replace

import pytest
from sandbox.hostile import IS_ROOT, leftover_processes, sandbox_uids

from codecrucible import benchmarks
from codecrucible.benchmarks import discovery
from codecrucible.correctness import calibrate, cascade
from codecrucible.correctness.cascade import FULL
from codecrucible.correctness.expected import TimeLimits
from codecrucible.correctness.referee import Referee
from codecrucible.records import Status

PROBLEMS = {p.task_id: p for p in benchmarks.get("discovery").load(None)}
CIRCLES, CAPSET = "Discovery/circle_packing_26", "Discovery/cap_set_8"
OR, WEIBULL = "Discovery/bin_packing_or", "Discovery/bin_packing_weibull"


@pytest.fixture(scope="module")
def calibrated(reference_pool):
    tests = calibrate.calibrate(list(PROBLEMS.values()), reference_pool, "discovery")
    assert not any(t.error for t in tests.values()), tests
    return tests


@pytest.fixture(scope="module")
def referee(sandbox_pool, reference_pool, calibrated):
    referee = Referee(PROBLEMS, calibrated, sandbox_pool, TimeLimits(),
                      references=reference_pool)
    yield referee
    referee.close()


def _verdict(referee, task_id, code):
    return referee.submit(task_id, code).result()["base"]


def _runs(referee, task_id, code):
    """The verdict of ``code`` and the runs of each stage that judging it took."""
    before = dict(referee.ran)
    verdict = _verdict(referee, task_id, code)
    return verdict, {stage: n - before.get(stage, 0) for stage, n in referee.ran.items()
                     if n != before.get(stage, 0)}


CHEAP = {task_id: p.metadata["stages"][0]["name"] for task_id, p in PROBLEMS.items()}


def test_the_benchmark_is_registered_with_four_score_problems():
    assert "discovery" in benchmarks.REGISTRY.names()
    assert sorted(PROBLEMS) == sorted([CIRCLES, CAPSET, OR, WEIBULL])
    assert all(p.check == "score" and p.inputs["base"] for p in PROBLEMS.values())
    assert PROBLEMS[CIRCLES].metadata["best_known"] > PROBLEMS[CIRCLES].metadata["baseline"]
    again = discovery.problems()
    assert again == list(PROBLEMS.values())                 # seeded: the same inputs each time
    assert [p.metadata["stages"] for p in again] == [p.metadata["stages"]
                                                     for p in PROBLEMS.values()]


def test_a_stage_must_say_what_it_runs():
    problem = PROBLEMS[CIRCLES]
    broken = replace(problem, metadata={**problem.metadata, "stages": [{"name": "small"}]})
    with pytest.raises(ValueError, match="circle_packing_26: a stage needs"):
        cascade.stages(broken, TimeLimits(), 1024)


@pytest.mark.parametrize("task_id", [CIRCLES, CAPSET, OR, WEIBULL])
def test_each_reference_scores_its_documented_baseline(referee, task_id):
    problem = PROBLEMS[task_id]
    verdict = _verdict(referee, task_id, problem.reference)
    assert verdict.status is Status.PASSED, verdict
    assert math.isclose(verdict.score, problem.metadata["baseline"], abs_tol=1e-4)
    assert verdict.stage == FULL


def test_a_score_comes_with_the_components_that_explain_it(referee):
    circles = _verdict(referee, CIRCLES, PROBLEMS[CIRCLES].reference).components
    assert circles["circles"] == 26 and math.isclose(circles["sum_of_radii"], 2.5414, abs_tol=1e-4)
    assert circles["largest_overlap"] == 0 and circles["largest_outside"] == 0   # they touch
    assert _verdict(referee, CAPSET, PROBLEMS[CAPSET].reference).components == \
        {"size": 256.0, "valid": 1.0}
    for task_id in (OR, WEIBULL):
        bins = _verdict(referee, task_id, discovery.BEST_FIT).components
        assert set(bins) == {"bins", "l1_bound", "worst_ratio"}
        assert bins["l1_bound"] < bins["bins"] and bins["worst_ratio"] <= PROBLEMS[task_id]. \
            metadata["best_fit"]


@pytest.mark.parametrize("task_id", [OR, WEIBULL])
def test_best_fit_beats_first_fit_as_documented(referee, task_id):
    verdict = _verdict(referee, task_id, discovery.BEST_FIT)
    assert math.isclose(verdict.score, PROBLEMS[task_id].metadata["best_fit"], abs_tol=1e-4)
    assert verdict.score > PROBLEMS[task_id].metadata["baseline"]


def test_a_program_may_compute_for_its_tasks_allowance(referee):
    # A second of work on the full instance, four times the 0.25 s floor a reference's quick
    # call would allow; none on the cheap stage's ten circles.
    slow = "import time\n" + PROBLEMS[CIRCLES].reference + "_fast = pack_circles\n" \
        "def pack_circles(n):\n    time.sleep(n == 26)\n    return _fast(n)\n"
    verdict = _verdict(referee, CIRCLES, slow)
    assert verdict.status is Status.PASSED and verdict.score > 2.54, verdict


@pytest.mark.parametrize("task_id", [CIRCLES, CAPSET, OR, WEIBULL])
def test_a_valid_program_passes_the_cheap_stage_then_the_full_evaluation(referee, task_id):
    # A comment makes it a program of its own, run even if the reference was judged before.
    verdict, runs = _runs(referee, task_id, f"# {task_id}\n" + PROBLEMS[task_id].reference)
    assert runs == {CHEAP[task_id]: 1, FULL: 1} and verdict.stage == FULL and verdict.passed


NAMED_FAILURES = {
    "the candidate's own ValueError": (
        "def pack_circles(n):\n    raise ValueError('no packing')\n", "raised ValueError"),
    "a value whose hooks raise ValueError": (
        "class Circle:\n    def __iter__(self):\n        raise ValueError('iter')\n"
        "    def __float__(self):\n        raise ValueError('float')\n"
        "def pack_circles(n):\n    return [Circle()] * n\n",
        "raised Unserializable:__candidate__.Circle"),
}


@pytest.mark.parametrize("name", sorted(NAMED_FAILURES))
def test_a_failure_is_named_for_what_it_is(referee, name):
    code, named = NAMED_FAILURES[name]
    verdict = _verdict(referee, CIRCLES, code)
    assert verdict.score is None and named in verdict.first_failure, verdict


CHEAP_FAILURES = {
    "an error": (CIRCLES, "def pack_circles(n):\n    return 1 / 0\n", Status.FAILED),
    "an invalid answer": (CAPSET, "def cap_set(n):\n    return [(0,) * n] * 2\n",
                          Status.FAILED),
    # Twenty-six circles whatever n: invalid on the ten, valid (after 1.5 s) for the full 26.
    "an answer only for the full instance": (
        CIRCLES, "import time\n" + PROBLEMS[CIRCLES].reference + "_fast = pack_circles\n"
        "def pack_circles(n):\n    time.sleep(1.5 * (n == 26))\n    return _fast(26)\n",
        Status.FAILED),
    # Valid, and within the full evaluation's 2 s a call, but over the cheap stage's 0.5 s.
    "a second of work at every size": (
        CIRCLES, "import time\n" + PROBLEMS[CIRCLES].reference + "_fast = pack_circles\n"
        "def pack_circles(n):\n    time.sleep(1)\n    return _fast(n)\n", Status.TIMEOUT),
    "a time-out": (OR, "def pack(items, capacity):\n    while True:\n        pass\n",
                   Status.TIMEOUT),
}


@pytest.mark.parametrize("name", sorted(CHEAP_FAILURES))
def test_a_program_failing_the_cheap_stage_never_gets_the_full_evaluation(referee, name):
    task_id, code, status = CHEAP_FAILURES[name]
    verdict, runs = _runs(referee, task_id, code)
    assert runs == {CHEAP[task_id]: 1}, runs                  # the full one never ran
    assert verdict.status is status and verdict.score is None, verdict
    assert verdict.stage == CHEAP[task_id] and f"{CHEAP[task_id]} stage" in verdict.first_failure


def test_running_every_test_skips_the_cascade(sandbox_pool, reference_pool, calibrated):
    every = Referee(PROBLEMS, calibrated, sandbox_pool, TimeLimits(), references=reference_pool,
                    fail_fast=False)
    try:
        verdict, runs = _runs(every, CAPSET, CHEAP_FAILURES["an invalid answer"][1])
    finally:
        every.close()
    assert runs == {} and verdict.stage is None     # no stages: the full evaluation alone
    assert verdict.score is None and "appears twice" in verdict.first_failure


def test_a_valid_answer_under_the_stages_threshold_stops_there(referee):
    one_per_bin = "def pack(items, capacity):\n    return list(range(len(items)))\n"
    verdict, runs = _runs(referee, WEIBULL, one_per_bin)
    assert runs == {CHEAP[WEIBULL]: 1}
    assert verdict.status is Status.FAILED and verdict.score is None
    assert "under the threshold 0.7" in verdict.first_failure
    assert verdict.components == {"bins": 100.0, "l1_bound": 41.0, "worst_ratio": 0.41}


def test_an_invalid_packing_is_told_by_how_much(referee):
    # Two circles whose centres are 0.1 apart, radii 0.1: they overlap by 0.1.
    verdict = _verdict(referee, CIRCLES, "def pack_circles(n):\n"
                       "    return [(0.5, 0.5, 0.1), (0.6, 0.5, 0.1)] + "
                       "[(0.02 + 0.03 * i, 0.02, 0.01) for i in range(n - 2)]\n")
    assert verdict.score is None and "overlap by 0.1" in verdict.first_failure
    assert verdict.components["circles"] == 10 and \
        math.isclose(verdict.components["largest_overlap"], 0.1, abs_tol=1e-9)


GRID = "[(0.1 + 0.2 * i, 0.1 + 0.2 * j, 0.1) for i in range(5) for j in range(5)]"
INVALID = {
    CIRCLES: {
        "overlapping circles": f"def pack_circles(n):\n    return {GRID} + [(0.5, 0.5, 0.1)]\n",
        "a circle outside the square": (
            f"def pack_circles(n):\n    return {GRID} + [(1.0, 0.5, 0.05)]\n"),
        "NaN": f"def pack_circles(n):\n    return {GRID} + [(float('nan'), 0.5, 0.5)]\n",
        "a float subclass with a lying __float__": (
            "class F(float):\n    def __float__(self):\n        return 0.5\n"
            f"def pack_circles(n):\n    return [(x, y, F(r)) for x, y, r in {GRID}] + "
            "[(0.2, 0.2, 0.04)]\n"),
        "too few circles": f"def pack_circles(n):\n    return {GRID}\n",
        "a huge list": "def pack_circles(n):\n    return [(0.5, 0.5, 1e-9)] * 1000000\n",
        "a negative radius": f"def pack_circles(n):\n    return {GRID} + [(0.5, 0.5, -5.0)]\n",
    },
    CAPSET: {
        "a collinear triple": ("def cap_set(n):\n    return [(0,) * n, (1,) * n, (2,) * n]"
                               " + [(0,) * (n - 1) + (1,)]\n"),
        "a repeated vector": "def cap_set(n):\n    return [(0,) * n, (0,) * n]\n",
        "an entry out of range": "def cap_set(n):\n    return [(3,) * n]\n",
        "booleans for entries": "def cap_set(n):\n    return [(True,) * n]\n",
        "every vector (a huge answer full of lines)": (
            "import itertools\ndef cap_set(n):\n"
            "    return list(itertools.product(range(3), repeat=n)) * 2\n"),
    },
    OR: {
        "an over-full bin": "def pack(items, capacity):\n    return [0] * len(items)\n",
        "a missing item": "def pack(items, capacity):\n    return list(range(len(items) - 1))\n",
        "a float index": ("def pack(items, capacity):\n"
                          "    return [float(i) for i in range(len(items))]\n"),
        "a huge list": "def pack(items, capacity):\n    return list(range(10 ** 6))\n",
    },
}
NEVER_ENDS = {
    CIRCLES: "def pack_circles(n):\n    while True:\n        pass\n",
    CAPSET: "import os\ndef cap_set(n):\n    os.fork()\n    while True:\n        pass\n",
    OR: "import time\ndef pack(items, capacity):\n    time.sleep(10 ** 6)\n",
}


@pytest.mark.parametrize(("task_id", "name"), [(t, n) for t in INVALID for n in INVALID[t]])
def test_an_invalid_answer_scores_nothing(referee, task_id, name):
    verdict = _verdict(referee, task_id, INVALID[task_id][name])
    assert verdict.score is None and not verdict.passed, (name, verdict)
    assert verdict.stage == CHEAP[task_id], (name, verdict)   # each is wrong at any size


# Honest packings are worth at most this much; a forged component would claim more.
FORGED = 1e300
FORGED_COMPONENTS = {
    "forged answer lines with components, then exit": (
        "import os\nos.write(3, b'loaded\\n[0,[[0.5,0.5,0.5]],null,"
        "{\"components\":{\"sum_of_radii\":1e300}}]\\n')\nos._exit(0)\n"),
    "a returned score with components": (
        "def pack_circles(n):\n    return {'score': 1e300, 'components': {'sum_of_radii': 1e300}}"
        "\n"),
    "a tuple shaped like a scorer's answer": (
        "def pack_circles(n):\n    return (1e300, {'sum_of_radii': 1e300})\n"),
    "components printed as the harness might log them": (
        "import sys\ndef pack_circles(n):\n    print('{\"components\": {\"circles\": 1e300}}')\n"
        "    sys.stderr.write('components sum_of_radii 1e300\\n')\n"
        f"    return {GRID}[:n]\n"),
}


@pytest.mark.parametrize("name", sorted(FORGED_COMPONENTS))
def test_a_candidate_cannot_inject_components(referee, name):
    verdict = _verdict(referee, CIRCLES, FORGED_COMPONENTS[name])
    assert all(value < FORGED for value in verdict.components.values()), (name, verdict)
    assert set(verdict.components) <= {"sum_of_radii", "circles", "largest_overlap",
                                       "largest_outside"}, (name, verdict)


@pytest.mark.parametrize("task_id", sorted(NEVER_ENDS))
def test_a_program_that_never_returns_scores_nothing_and_leaves_nothing(referee, sandbox_pool,
                                                                        task_id):
    verdict = _verdict(referee, task_id, NEVER_ENDS[task_id])
    assert verdict.score is None and verdict.status is Status.TIMEOUT, verdict
    assert verdict.stage == CHEAP[task_id]                    # stopped by the stage's limit
    if IS_ROOT:
        uids = sandbox_uids(sandbox_pool)
        deadline = time.monotonic() + 2.0
        while (left := leftover_processes(uids)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not left, left
