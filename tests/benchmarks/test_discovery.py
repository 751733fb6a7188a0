"""The discovery tasks: each naive reference earns its documented score through the sandbox and
the trusted scorers; invalid and forged answers score nothing and leave nothing running."""

from __future__ import annotations

import math
import time

import pytest
from sandbox.hostile import IS_ROOT, leftover_processes, sandbox_uids

from codecrucible import benchmarks
from codecrucible.benchmarks import discovery
from codecrucible.correctness import calibrate
from codecrucible.correctness.expected import TimeLimits
from codecrucible.correctness.referee import Referee
from codecrucible.records import Status

PROBLEMS = {p.task_id: p for p in benchmarks.get("discovery").load(None)}
CIRCLES, CAPSET = "Discovery/circle_packing_26", "Discovery/cap_set_8"
OR, WEIBULL = "Discovery/bin_packing_or", "Discovery/bin_packing_weibull"


@pytest.fixture(scope="module")
def referee(sandbox_pool, reference_pool):
    problems = list(PROBLEMS.values())
    tests = calibrate.calibrate(problems, reference_pool, "discovery")
    assert not any(t.error for t in tests.values()), tests
    referee = Referee(PROBLEMS, tests, sandbox_pool, TimeLimits(), references=reference_pool)
    yield referee
    referee.close()


def _verdict(referee, task_id, code):
    return referee.submit(task_id, code).result()["base"]


def test_the_benchmark_is_registered_with_four_score_problems():
    assert "discovery" in benchmarks.REGISTRY.names()
    assert sorted(PROBLEMS) == sorted([CIRCLES, CAPSET, OR, WEIBULL])
    assert all(p.check == "score" and p.inputs["base"] for p in PROBLEMS.values())
    assert PROBLEMS[CIRCLES].metadata["best_known"] > PROBLEMS[CIRCLES].metadata["baseline"]
    assert discovery.problems() == list(PROBLEMS.values())  # seeded: the same inputs each time


@pytest.mark.parametrize("task_id", [CIRCLES, CAPSET, OR, WEIBULL])
def test_each_reference_scores_its_documented_baseline(referee, task_id):
    problem = PROBLEMS[task_id]
    verdict = _verdict(referee, task_id, problem.reference)
    assert verdict.status is Status.PASSED, verdict
    assert math.isclose(verdict.score, problem.metadata["baseline"], abs_tol=1e-4)


@pytest.mark.parametrize("task_id", [OR, WEIBULL])
def test_best_fit_beats_first_fit_as_documented(referee, task_id):
    verdict = _verdict(referee, task_id, discovery.BEST_FIT)
    assert math.isclose(verdict.score, PROBLEMS[task_id].metadata["best_fit"], abs_tol=1e-4)
    assert verdict.score > PROBLEMS[task_id].metadata["baseline"]


def test_a_program_may_compute_for_its_tasks_allowance(referee):
    # A second of work, four times the 0.25 s floor a reference's quick call would allow.
    slow = "import time\n" + PROBLEMS[CIRCLES].reference + \
        "_fast = pack_circles\ndef pack_circles(n):\n    time.sleep(1)\n    return _fast(n)\n"
    verdict = _verdict(referee, CIRCLES, slow)
    assert verdict.status is Status.PASSED and verdict.score > 2.54, verdict


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


@pytest.mark.parametrize("task_id", sorted(NEVER_ENDS))
def test_a_program_that_never_returns_scores_nothing_and_leaves_nothing(referee, sandbox_pool,
                                                                        task_id):
    verdict = _verdict(referee, task_id, NEVER_ENDS[task_id])
    assert verdict.score is None and verdict.status is Status.TIMEOUT, verdict
    if IS_ROOT:
        uids = sandbox_uids(sandbox_pool)
        deadline = time.monotonic() + 2.0
        while (left := leftover_processes(uids)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not left, left
