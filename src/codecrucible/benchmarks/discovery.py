"""Discovery tasks: problems judged by a number, whose best answers are published results of
program search (FunSearch, OpenEvolve, ShinkaEvolve, AlphaEvolve), so search runs compare with
them. Each is a ``check="score"`` problem: the candidate's entry point runs in the sandbox and
returns plain values; ``discovery_scorers`` checks them in the harness and computes the score.
Inputs are fixed (seeded), so a program earns the same score every time.

- ``Discovery/circle_packing_26``: 26 disjoint circles in the unit square, sum of radii
  (best known 2.635-2.636; the reference, a 5 x 5 grid and one circle in a gap, 2.5414).
- ``Discovery/cap_set_8``: a cap set in Z_3^8 (no three distinct vectors with x + y + z = 0
  mod 3), its size (best known 512, FunSearch; the reference {0, 1}^8, 256).
- ``Discovery/bin_packing_or`` and ``Discovery/bin_packing_weibull``: FunSearch's online bin
  packing instances, scored by the L1 lower bound over the bins used, averaged over instances
  (1.0 would be optimal; the reference, first fit, 0.9319 and 0.9522; best fit 0.9408 and
  0.9553). OR: 4 instances of 120 items, sizes uniform in 20..100, capacity 150 (OR-Library
  ``binpack1`` style); Weibull: 3 of 500 items, Weibull(45, 3) rounded into 1..100, capacity 100.

Each task declares an evaluation cascade (``correctness/cascade.py``): a cheap stage first, a
smaller instance under a shorter time limit (ten circles, a cap set in dimension 5, one short
bin packing instance that must score at least 0.7: next fit's 0.75 passes, one item per bin's
0.4 does not), and the full evaluation only for a program that passes it. So a program must
answer for any n, as the prompts ask, and quickly on the small instance; the scorers' components
(sum of radii and overlaps, cap size, bins and their L1 bound) explain each score.

Bin packing gives the program the whole item sequence and takes back the bin of every item: the
sandbox cannot call a candidate once per item with bins the harness tracks, and a candidate in
one process could read every input anyway. So the tasks ask for an online rule (each item placed
knowing only the items before it) but cannot enforce it: an offline packer that looks ahead is
judged valid, and its score is not comparable with FunSearch's online numbers.
"""

from __future__ import annotations

from pathlib import Path

from codecrucible.benchmarks.discovery_scorers import or_instances, weibull_instances
from codecrucible.records import Problem

_SCORERS = "codecrucible.benchmarks.discovery_scorers"

CIRCLES_PROMPT = '''\
def pack_circles(n: int) -> list[tuple[float, float, float]]:
    """Place n circles inside the unit square [0, 1] x [0, 1] so that no two overlap, making
    the sum of their radii as large as possible. Return n tuples (x, y, r): the centre and the
    radius, plain floats. A circle must lie wholly inside the square and two circles may touch
    but not overlap. The score is the sum of the radii; an invalid packing scores nothing.
    """
'''
CIRCLES_REFERENCE = '''\
import math


def pack_circles(n: int) -> list[tuple[float, float, float]]:
    """A 5 x 5 grid of circles of radius 0.1 and one more in the gap between four of them."""
    circles = [(0.1 + 0.2 * i, 0.1 + 0.2 * j, 0.1) for i in range(5) for j in range(5)]
    circles.append((0.2, 0.2, 0.1 * (math.sqrt(2) - 1)))
    return circles[:n]
'''

CAPSET_PROMPT = '''\
def cap_set(n: int) -> list[tuple[int, ...]]:
    """Return as many distinct vectors of length n with entries 0, 1 or 2 as you can such that
    no three distinct vectors x, y, z are collinear, that is, such that x[i] + y[i] + z[i] is
    divisible by 3 for every position i. The score is the number of vectors; a set with three
    collinear vectors scores nothing.
    """
'''
CAPSET_REFERENCE = '''\
import itertools


def cap_set(n: int) -> list[tuple[int, ...]]:
    """Every vector of 0s and 1s: three distinct ones never sum to 0 mod 3 in every place."""
    return list(itertools.product((0, 1), repeat=n))
'''

BINS_PROMPT = '''\
def pack(items: list[int], capacity: int) -> list[int]:
    """Online bin packing. Items arrive one at a time, in the order of items; each must be put
    into a bin at once, knowing only the items before it, and never moved. Bins hold at most
    capacity in total. Return, for each item in order, the index of its bin (0, 1, 2, ...; a
    new index opens a new bin). Use as few bins as you can: the score is the lower bound
    ceil(sum(items) / capacity) divided by the number of bins used (1.0 is the best possible).
    An over-full bin or a missing item scores nothing.
    """
'''
FIRST_FIT = '''\
def pack(items: list[int], capacity: int) -> list[int]:
    """First fit: each item goes into the first open bin with room, else a new bin."""
    space: list[int] = []
    out = []
    for item in items:
        for i, free in enumerate(space):
            if item <= free:
                space[i] -= item
                out.append(i)
                break
        else:
            space.append(capacity - item)
            out.append(len(space) - 1)
    return out
'''
BEST_FIT = '''\
def pack(items: list[int], capacity: int) -> list[int]:
    """Best fit: each item goes into the open bin it leaves fullest, else a new bin."""
    space: list[int] = []
    out = []
    for item in items:
        fits = [(free - item, i) for i, free in enumerate(space) if item <= free]
        if fits:
            i = min(fits)[1]
            space[i] -= item
        else:
            space.append(capacity)
            i = len(space) - 1
            space[i] -= item
        out.append(i)
    return out
'''

# The references' scores (tests/benchmarks/test_discovery.py checks them) and the best known.
BASELINES = {"Discovery/circle_packing_26": 2.5414, "Discovery/cap_set_8": 256.0,
             "Discovery/bin_packing_or": 0.9319, "Discovery/bin_packing_weibull": 0.9522}
# Best fit (``BEST_FIT``), the other classic online rule, on the same instances.
BEST_FIT_SCORES = {"Discovery/bin_packing_or": 0.9408, "Discovery/bin_packing_weibull": 0.9553}
# Each call's wall-clock allowance (a search's better programs compute longer than the naive
# references; ``referee.per_test``): one input for circles and cap sets, several for bins.
CALL_S = {"Discovery/circle_packing_26": 2.0, "Discovery/cap_set_8": 2.0,
          "Discovery/bin_packing_or": 0.5, "Discovery/bin_packing_weibull": 0.5}
BEST_KNOWN = {"Discovery/circle_packing_26": 2.63598, "Discovery/cap_set_8": 512.0}
# The cheap stage before each full evaluation: its inputs, each call's limit, the least score
# that goes on (``correctness/cascade.py``). Seeded, so each evaluation is the same.
STAGES = {
    "Discovery/circle_packing_26": {"name": "small", "inputs": [(10,)], "call_s": 0.5},
    "Discovery/cap_set_8": {"name": "small", "inputs": [(5,)], "call_s": 0.5},
    "Discovery/bin_packing_or": {"name": "one instance", "call_s": 0.5, "threshold": 0.7,
                                 "inputs": or_instances(count=1, size=60, seed=1)},
    "Discovery/bin_packing_weibull": {"name": "one instance", "call_s": 0.5, "threshold": 0.7,
                                      "inputs": weibull_instances(count=1, size=100, seed=1)},
}


def _problem(task_id: str, prompt: str, entry_point: str, reference: str, inputs: list,
             scorer: str, what: str) -> Problem:
    metadata = {"baseline": BASELINES[task_id], "higher_is_better": True,
                "call_s": CALL_S[task_id], "stages": [STAGES[task_id]]}
    if task_id in BEST_KNOWN:
        metadata["best_known"] = BEST_KNOWN[task_id]
    if task_id in BEST_FIT_SCORES:
        metadata["best_fit"] = BEST_FIT_SCORES[task_id]
    instruction = (f"{what} Write the Python function `{entry_point}` below; it is scored by "
                   f"the value it returns.\n\n{prompt}")
    return Problem(task_id=task_id, benchmark="discovery", prompt=prompt,
                   instruction=instruction, entry_point=entry_point, reference=reference,
                   inputs={"base": inputs}, check="score", scorer=f"{_SCORERS}:{scorer}",
                   metadata=metadata)


def problems() -> list[Problem]:
    return [
        _problem("Discovery/circle_packing_26", CIRCLES_PROMPT, "pack_circles",
                 CIRCLES_REFERENCE, [(26,)], "circle_packing",
                 "Pack 26 circles in the unit square, maximising the sum of radii."),
        _problem("Discovery/cap_set_8", CAPSET_PROMPT, "cap_set", CAPSET_REFERENCE, [(8,)],
                 "cap_set", "Find a large cap set in dimension 8."),
        _problem("Discovery/bin_packing_or", BINS_PROMPT, "pack", FIRST_FIT, or_instances(),
                 "bin_packing", "Pack items of sizes 20 to 100 into bins of capacity 150."),
        _problem("Discovery/bin_packing_weibull", BINS_PROMPT, "pack", FIRST_FIT,
                 weibull_instances(), "bin_packing",
                 "Pack items of Weibull-distributed sizes into bins of capacity 100."),
    ]


class Discovery:
    name = "discovery"
    description = ("discovery tasks of program search: circle packing, cap set, online bin "
                   "packing (scored by the harness)")
    size = 4
    suites = ("base",)
    files = ()

    def load(self, data_dir: Path | None) -> list[Problem]:
        return problems()
