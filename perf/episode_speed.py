#!/usr/bin/env python3
"""Environment steps per second through the sandbox, for a trivial policy.

One episode of ``--steps`` steps (default 5000) of a trivial game (a counter that never ends
by itself, so the step cap ends it) is played by a policy that always answers ``"up"``, through
``correctness.play`` on a one-slot pool: each step is one observation sent to the sandboxed
policy and one action back. The floor is the same policy and game called in this process,
without isolation. Median of ``--repeats`` runs (default 3). ``--grid N`` makes each observation
an N x N grid of text labels, as MinAtar's are sent (10 x 10 there). Run it with the project's
venv:

    .venv/bin/python perf/episode_speed.py
    .venv/bin/python perf/episode_speed.py --grid 10
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from codecrucible.correctness import play
from codecrucible.sandbox import SandboxPool

POLICY = "def policy(observation):\n    return 'up'\n"


class Counter:
    """The trivial game: the observation is the count (and a grid of ``grid`` x ``grid``
    labels, when asked for), each "up" earns 1."""

    actions = ("up", "down")

    def __init__(self, grid: int = 0):
        self.cells = [["empty"] * grid for _ in range(grid)]

    def reset(self, seed: int) -> int:
        return seed

    def observation(self, state: int) -> dict:
        return {"count": state, "grid": self.cells} if self.cells else {"count": state}

    def step(self, state: int, action: str) -> tuple[int, float, bool]:
        return state + (1 if action == "up" else -1), 1.0, False


def in_process(steps: int, grid: int) -> float:
    """Steps per second with the policy called directly (the floor)."""
    namespace: dict = {}
    exec(POLICY, namespace)  # this script's own policy, not a model's
    policy, game = namespace["policy"], Counter(grid)
    started = time.perf_counter()
    state = game.reset(0)
    for _ in range(steps):
        action = policy(game.observation(state))
        state, _, _ = game.step(state, action)
    return steps / (time.perf_counter() - started)


def sandboxed(pool: SandboxPool, steps: int) -> float:
    rules = play.Rules("counter", (0,), steps, 1.0)
    started = time.perf_counter()
    verdict = play.play(pool, rules, POLICY)
    seconds = time.perf_counter() - started
    assert verdict.passed and verdict.components["steps"] == steps, verdict
    return steps / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--grid", type=int, default=0, help="observations hold an N x N grid")
    args = parser.parse_args()
    play.GAMES.add("counter", Counter(args.grid))
    with SandboxPool(1) as pool:
        sandboxed(pool, 10)  # warm up
        through = [sandboxed(pool, args.steps) for _ in range(args.repeats)]
    floor = [in_process(args.steps, args.grid) for _ in range(args.repeats)]
    print(json.dumps({"steps": args.steps, "repeats": args.repeats, "grid": args.grid,
                      "sandbox_steps_per_s": round(statistics.median(through)),
                      "in_process_steps_per_s": round(statistics.median(floor)),
                      "slowdown": round(statistics.median(floor) / statistics.median(through))}))


if __name__ == "__main__":
    main()
