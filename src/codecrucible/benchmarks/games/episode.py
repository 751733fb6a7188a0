"""One game's interface, an episode played with an in-process policy, and a uniformly random
policy.

A game is four pure functions: ``reset(seed)`` makes the first state, ``observation(state)``
the plain value a policy sees, ``step(state, action)`` the next state with its reward and
whether the episode is over, and ``fitness(episode)`` the score of a finished episode. States
are never changed in place, so a harness may keep any of them (save MinAtar's, each stepped
once: see ``minatar_games``). ``step`` raises ``ValueError`` for an action outside the game's
set: the caller decides what a non-action costs (for a candidate, the episode ends and scores
nothing).

``FitnessReturns`` is the form a game takes for the sandbox seam (``correctness.play``), which
scores a policy by its return: the same game, rewarding each step with the change in fitness.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Policy = Callable[[Any], str]


@dataclass(frozen=True)
class Episode:
    """A finished episode: the seed it began from, the steps taken, the summed reward, whether
    the game ended by itself (``done``) rather than at the step limit, and the last state."""

    seed: int
    steps: int
    total_reward: float
    done: bool
    final: Any


@dataclass(frozen=True)
class Game:
    """A game's functions, its action strings and the most steps an episode may take."""

    name: str
    actions: tuple[str, ...]
    reset: Callable[[int], Any]
    observation: Callable[[Any], Any]
    step: Callable[[Any, str], tuple[Any, float, bool]]
    fitness: Callable[[Episode], float]
    max_steps: int


def play(game: Game, policy: Policy, seed: int) -> Episode:
    """Play one episode from ``reset(seed)`` until it is done or ``game.max_steps`` are taken."""
    state = game.reset(seed)
    total, steps, done = 0.0, 0, False
    while not done and steps < game.max_steps:
        state, reward, done = game.step(state, policy(game.observation(state)))
        total += reward
        steps += 1
    return Episode(seed=seed, steps=steps, total_reward=total, done=done, final=state)


def mean_fitness(game: Game, policy: Policy, seeds: list[int]) -> float:
    """The fitness averaged over one episode per seed."""
    return sum(game.fitness(play(game, policy, seed)) for seed in seeds) / len(seeds)


@dataclass(frozen=True)
class FitnessReturns:
    """``game`` rewarding each step with the change in its fitness, so that an episode's
    return, however it ends (done, or cut at any step), is its fitness: the state is the
    ``Episode`` so far, and the rewards telescope. A game's fitness at the start must be 0."""

    game: Game

    @property
    def actions(self) -> tuple[str, ...]:
        return self.game.actions

    def reset(self, seed: int) -> Episode:
        return Episode(seed=seed, steps=0, total_reward=0.0, done=False,
                       final=self.game.reset(seed))

    def observation(self, so_far: Episode) -> Any:
        return self.game.observation(so_far.final)

    def step(self, so_far: Episode, action: str) -> tuple[Episode, float, bool]:
        state, reward, done = self.game.step(so_far.final, action)
        after = Episode(seed=so_far.seed, steps=so_far.steps + 1,
                        total_reward=so_far.total_reward + reward, done=done, final=state)
        return after, self.game.fitness(after) - self.game.fitness(so_far), done


def uniform_policy(actions: tuple[str, ...], seed: int = 0) -> Policy:
    """A policy that ignores the observation and picks an action uniformly at random, from its
    own generator seeded by ``seed`` (so a baseline run is repeatable)."""
    rng = random.Random(seed)

    def policy(observation: Any) -> str:
        return rng.choice(actions)
    return policy
