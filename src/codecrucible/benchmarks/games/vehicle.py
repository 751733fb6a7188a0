"""Vehicle driving: steer the ship of ``vehicle_sim`` through a row of targets.

The candidate writes ``policy(vehicle, target) -> int`` (0 nothing, 1 thrust, 2 left,
3 right) and may call ``vehicle.update(action, dt)`` to look ahead. In the harness the state
is the ship, the seeded targets and how many are reached; a policy sees ``observation(state)``,
a plain dict (the sandbox seam rebuilds ``Vehicle`` and ``Vec2d`` from it with
``vehicle_sim.from_observation``, ``SIMULATOR_SOURCE`` being the code shipped for that) and its
answer comes back as the action's digit, ``"0"`` to ``"3"``.

An episode: the ship starts at rest in the middle of a ``ARENA`` x ``ARENA`` square, nose along
+x; ``TARGETS`` targets, uniform in the square but at least ``MIN_LEG`` from the one before
(the first from the start), are shown one at a time; a target is reached when the ship comes
within ``RADIUS`` of it, and the next one is shown. The episode lasts ``STEPS`` steps of
``DT`` seconds, or until every target is reached.

Fitness = targets reached + the share of the current leg covered at the end:
``reached + max(0, 1 - d_end / d_leg)``, where ``d_end`` is the ship's final distance to the
current target and ``d_leg`` its distance to it when it was shown; ``TARGETS`` when all are
reached. So it lies in [0, TARGETS], and a ship that never reaches a target still earns up to
1 for getting closer. Reward per step is 1 for reaching a target, else 0.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from codecrucible.benchmarks.games import episode
from codecrucible.benchmarks.games.vehicle_sim import (
    DT,
    LEFT,
    NOTHING,
    RIGHT,
    THRUST,
    Vec2d,
    Vehicle,
    from_observation,
)

ACTIONS = ("0", "1", "2", "3")
ARENA = 100.0
TARGETS = 10
MIN_LEG = 20.0
RADIUS = 5.0
STEPS = 300
SIMULATOR_SOURCE = (Path(__file__).parent / "vehicle_sim.py").read_text()


@dataclass(frozen=True)
class State:
    """The ship, every target of the episode, how many are reached, and the current leg's
    length (the ship's distance to the current target when it was shown)."""

    ship: Vehicle
    targets: tuple[Vec2d, ...]
    reached: int
    leg: float

    @property
    def target(self) -> Vec2d | None:
        return self.targets[self.reached] if self.reached < len(self.targets) else None


def reset(seed: int) -> State:
    rng = random.Random(seed)
    start = Vec2d(ARENA / 2, ARENA / 2)
    targets = [start]
    while len(targets) <= TARGETS:
        point = Vec2d(rng.uniform(0, ARENA), rng.uniform(0, ARENA))
        if point.distance(targets[-1]) >= MIN_LEG:
            targets.append(point)
    return State(Vehicle(start, Vec2d(0.0, 0.0), 0.0), tuple(targets[1:]), 0,
                 start.distance(targets[1]))


def observation(state: State) -> dict:
    """``{"ship": {"position": [x, y], "velocity": [x, y], "heading": radians},
    "target": [x, y]}``; once every target is reached, the last one."""
    target = state.target or state.targets[-1]
    return {"ship": state.ship.as_dict(), "target": [target.x, target.y]}


def step(state: State, action: str) -> tuple[State, float, bool]:
    if action not in ACTIONS:
        raise ValueError(f"an action is one of {', '.join(ACTIONS)}, not {action!r}")
    if state.target is None:
        return state, 0.0, True
    ship = state.ship.update(int(action), DT)
    if ship.position.distance(state.target) > RADIUS:
        return State(ship, state.targets, state.reached, state.leg), 0.0, False
    reached = state.reached + 1
    after = State(ship, state.targets, reached, 0.0)
    if after.target is None:
        return after, 1.0, True
    return State(ship, state.targets, reached, ship.position.distance(after.target)), 1.0, False


def fitness(ep: episode.Episode) -> float:
    """Targets reached plus the share of the current leg covered (module docstring)."""
    state: State = ep.final
    if state.target is None:
        return float(state.reached)
    covered = 1.0 - state.ship.position.distance(state.target) / state.leg
    return state.reached + max(0.0, covered)


def random_policy(seed: int = 0) -> episode.Policy:
    return episode.uniform_policy(ACTIONS, seed)


def greedy_policy(observation: dict) -> str:
    """``lookahead`` on the ship and target an observation shows."""
    return str(lookahead(*from_observation(observation)))


def lookahead(ship: Vehicle, target: Vec2d, rollout: int = 5) -> int:
    """One-step lookahead: try each action, then thrust for ``rollout`` steps (a turn pays
    off only once the ship moves), and keep the action that ends nearest the target (ties to
    the lower action). Only the simulator's names: it is also the task's reference program."""
    def ends_at(action: int) -> float:
        ahead = ship.update(action, DT)
        for _ in range(rollout):
            ahead = ahead.update(THRUST, DT)
        return ahead.position.distance(target)
    return min((NOTHING, THRUST, LEFT, RIGHT), key=ends_at)


GAME = episode.Game(name="vehicle", actions=ACTIONS, reset=reset, observation=observation,
                    step=step, fitness=fitness, max_steps=STEPS)
# What ``correctness.play`` plays in the sandbox: the same game, its return its fitness.
BY_FITNESS = episode.FitnessReturns(GAME)
