#!/usr/bin/env python3
"""What the evaluation cascade saves: the sandbox time of a batch of discovery candidates judged
with the tasks' cheap stages (``correctness/cascade.py``) and without them.

The failing batch is what a search writes often: programs that never return, that compute for a
while and then answer badly (over-full bins, one item per bin, overlapping circles), and that
raise. The passing batch (the references and best fit) shows what the cheap stage costs a
program that goes on to its full evaluation. Sandbox time is the sum of the wall-clock seconds
of the runs that decided the verdicts, as the verdicts record them (for a program that passed
the cheap stage, its full run: the stage's run counts in the elapsed time only); elapsed is the
whole batch on a two-slot pool, averaged over ``--repeat`` batches. Run it with the project's
venv:

    .venv/bin/python perf/cascade_saving.py
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from codecrucible.benchmarks import discovery
from codecrucible.correctness import calibrate
from codecrucible.correctness.expected import TimeLimits
from codecrucible.correctness.referee import Referee
from codecrucible.sandbox import REFERENCES, SandboxPool

CIRCLES, CAPSET = "Discovery/circle_packing_26", "Discovery/cap_set_8"
OR, WEIBULL = "Discovery/bin_packing_or", "Discovery/bin_packing_weibull"

WORK = "import time\ndef work(seconds):\n    end = time.perf_counter() + seconds\n" \
       "    while time.perf_counter() < end:\n        pass\n"
FAILING = [
    (CIRCLES, "def pack_circles(n):\n    while True:\n        pass\n"),
    (CIRCLES, WORK + "def pack_circles(n):\n    work(0.3)\n    return [(0.5, 0.5, 0.1)] * n\n"),
    (CIRCLES, "def pack_circles(n):\n    return 1 / 0\n"),
    (CAPSET, "def cap_set(n):\n    while True:\n        pass\n"),
    (CAPSET, WORK + "def cap_set(n):\n    work(0.3)\n    return [(0,) * n] * 2\n"),
    (OR, WORK + "def pack(items, capacity):\n    work(0.3)\n    return [0] * len(items)\n"),
    (OR, WORK + "def pack(items, capacity):\n    work(0.3)\n"
     "    return list(range(len(items)))\n"),
    (WEIBULL, WORK + "def pack(items, capacity):\n    work(0.3)\n    return [0] * len(items)\n"),
    (WEIBULL, WORK + "def pack(items, capacity):\n    work(0.3)\n"
     "    return list(range(len(items)))\n"),
]
PASSING = [(p.task_id, p.reference) for p in discovery.problems()] + \
    [(OR, discovery.BEST_FIT), (WEIBULL, discovery.BEST_FIT)]


def judged(referee: Referee, batch: list[tuple[str, str]]) -> tuple[float, float, list]:
    """The batch's sandbox seconds, its elapsed seconds, and each verdict's stage."""
    start = time.perf_counter()
    futures = [referee.submit(task_id, code) for task_id, code in batch]
    verdicts = [f.result()["base"] for f in futures]
    elapsed = time.perf_counter() - start
    return sum(v.wall_s or 0.0 for v in verdicts), elapsed, [v.stage for v in verdicts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="batches per configuration")
    args = parser.parse_args()
    problems = {p.task_id: p for p in discovery.problems()}
    flat = {task_id: replace(p, metadata={k: v for k, v in p.metadata.items() if k != "stages"})
            for task_id, p in problems.items()}
    pool, references = SandboxPool(2), SandboxPool(2, role=REFERENCES, lazy=True)
    try:
        tests = calibrate.calibrate(list(problems.values()), references, "discovery")
        print(f"{'batch':<8} {'cascade':<8} {'programs':>8} {'sandbox s':>10} "
              f"{'elapsed s':>10}  stages")
        for name, batch in (("failing", FAILING), ("passing", PASSING)):
            for label, chosen in (("without", flat), ("with", problems)):
                sandbox = elapsed = 0.0
                for _ in range(args.repeat):
                    referee = Referee(chosen, tests, pool, TimeLimits(), dedupe=False)
                    try:
                        seconds, wall, stages = judged(referee, batch)
                    finally:
                        referee.close()
                    sandbox, elapsed = sandbox + seconds, elapsed + wall
                print(f"{name:<8} {label:<8} {len(batch):>8} {sandbox / args.repeat:>10.2f} "
                      f"{elapsed / args.repeat:>10.2f}  {sorted(set(map(str, stages)))}")
    finally:
        pool.close()
        references.close()


if __name__ == "__main__":
    main()
