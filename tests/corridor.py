"""A toy game the tests define and register at run time ("corridor"): walk right along a
corridor of 5 to 9 cells (by seed) to its end. Each step onto a cell not reached before earns 1;
reaching the end ends the episode, so a perfect episode returns the corridor's length. The state
also holds a secret that is never part of an observation: a policy that shows it has read the
harness's memory."""

from __future__ import annotations

import contextlib
import uuid

from codecrucible.correctness.play import GAMES, Rules
from codecrucible.records import Problem

SECRET = f"corridor-secret-{uuid.uuid4().hex}"
SEEDS = (0, 1, 2, 3)


class Corridor:
    actions = ("left", "right", "stay")

    def reset(self, seed: int) -> dict:
        return {"position": 0, "reached": 0, "length": 5 + seed % 5, "secret": SECRET}

    def observation(self, state: dict) -> dict:
        return {"position": state["position"], "length": state["length"]}

    def step(self, state: dict, action: str) -> tuple[dict, float, bool]:
        move = {"left": -1, "right": 1, "stay": 0}[action]
        position = max(0, state["position"] + move)
        reward = 1.0 if position > state["reached"] else 0.0
        state = {**state, "position": position, "reached": max(position, state["reached"])}
        return state, reward, position == state["length"]


def length(seed: int) -> int:
    return 5 + seed % 5


BEST = sum(length(s) for s in SEEDS) / len(SEEDS)   # the mean return of walking right


def problem(**rules) -> Problem:
    metadata = {"game": "corridor", "seeds": list(SEEDS), "max_steps": 20, "step_s": 0.5}
    return Problem("Corridor/0", "corridor-test", "def policy(observation):\n",
                   "Walk to the end of the corridor.", "policy", "",
                   check="score", metadata=metadata | rules)


def rules(**changes) -> Rules:
    return Rules.of(problem(**changes))


@contextlib.contextmanager
def registered():
    """The corridor, registered as a game while the block runs."""
    GAMES.add("corridor", Corridor())
    try:
        yield
    finally:
        GAMES.remove("corridor")


WALK = "def policy(observation):\n    return 'right'\n"
STAY = "def policy(observation):\n    return 'stay'\n"
