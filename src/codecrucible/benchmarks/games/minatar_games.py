"""The five MinAtar games (Young & Tian, 2019) as game tasks: Asterix, Breakout, Freeway,
Seaquest and Space Invaders, played through the ``minatar`` package.

MinAtar is GPL: it is an optional install (``make minatar``), imported here and never copied.
This module imports it only when a game is reset, so it loads, and ``games()`` says in one line
what is missing, where MinAtar is not installed.

A policy sees the 10x10 screen as rows, top to bottom, of cells: ``"empty"``, or the names of
the channels lit there joined by ``"+"`` (``"ball+trail"``), MinAtar's own channel names
(Seaquest's ``oxygen_guage`` spelling included). It answers with one of its game's action
names, MinAtar's minimal action set for that game named from ``noop``, ``left``, ``up``,
``right``, ``down``, ``fire``. The environments keep MinAtar's defaults (sticky actions with
probability 0.1, difficulty ramping) and are seeded by the episode's seed, so the same seed and
the same answers make the same episode. Fitness is the episode's return, never below 0.

A state is used once. A MinAtar environment changes in place, and copying one costs about a
hundred times a step (its random generator, mostly), so ``step`` advances the episode's own
environment and returns it as the next state, and stepping a state a second time raises. The
harness holds one state per episode and only ever steps the latest (``play.Episode``,
``episode.play``); episodes played side by side each have an environment of their own.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

from codecrucible.benchmarks.games import episode

ACTION_NAMES = ("noop", "left", "up", "right", "down", "fire")   # MinAtar's actions 0-5
MINIMAL_ACTIONS = {              # each game's minimal action set, as MinAtar declares it
    "asterix": (0, 1, 2, 3, 4),
    "breakout": (0, 1, 3),
    "freeway": (0, 2, 4),
    "seaquest": (0, 1, 2, 3, 4, 5),
    "space-invaders": (0, 1, 3, 5),
}
MAX_STEPS = 2500                 # Freeway's own time limit, the one game that has one
SEEDS = tuple(range(10))         # the fixed seeds the baselines are measured on
EMPTY = "empty"
MISSING = ("the MinAtar games need the minatar package: make minatar "
           "(or: pip install numpy && pip install --no-deps minatar==1.0.15)")


class MinAtarMissing(ImportError):
    """MinAtar is not installed; the message says how to install it."""


@dataclass(eq=False)
class State:
    """An episode in play: its own MinAtar environment, whether the game is over, and whether
    this state was stepped already (its environment has moved on)."""

    env: Any
    done: bool = False
    spent: bool = False


def available() -> bool:
    return importlib.util.find_spec("minatar") is not None


@cache
def _environment_class() -> type:
    """``minatar.Environment``, imported once."""
    if not available():
        raise MinAtarMissing(MISSING)
    # MinAtar warns at import that it cannot render without matplotlib; nothing here renders.
    before = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        from minatar import Environment
    finally:
        logging.disable(before)
    return Environment


def reset(name: str, seed: int) -> State:
    """Game ``name``'s first state, its environment seeded by ``seed``."""
    env = _environment_class()(name.replace("-", "_"))
    env.seed(seed)
    env.reset()
    return State(env)


def observation(state: State) -> list[list[str]]:
    """Rows top to bottom of cells: ``"empty"`` or the lit channels' names joined by ``"+"``."""
    channels = state.env.env.channels
    names = sorted(channels, key=channels.get)
    return [["+".join(n for n, lit in zip(names, cell, strict=True) if lit) or EMPTY
             for cell in row] for row in state.env.state().tolist()]


def step(actions: tuple[str, ...], state: State, action: str) -> tuple[State, float, bool]:
    """Play ``action`` (one of ``actions``, the game's own): the next state, the reward and
    whether the game is over. ``state`` is spent by it."""
    if action not in actions:
        raise ValueError(f"an action is one of {', '.join(actions)}, not {action!r}")
    if state.spent:
        raise ValueError("this MinAtar state was stepped already: step the state it returned")
    state.spent = True
    if state.done:
        return State(state.env, done=True), 0.0, True
    reward, done = state.env.act(ACTION_NAMES.index(action))
    return State(state.env, done=bool(done)), float(reward), bool(done)


def fitness(ep: episode.Episode) -> float:
    """The episode's return, never below 0."""
    return max(0.0, ep.total_reward)


def _game(name: str) -> episode.Game:
    actions = tuple(ACTION_NAMES[i] for i in MINIMAL_ACTIONS[name])
    return episode.Game(name=f"minatar-{name}", actions=actions, reset=partial(reset, name),
                        observation=observation, step=partial(step, actions), fitness=fitness,
                        max_steps=MAX_STEPS)


ASTERIX, BREAKOUT, FREEWAY, SEAQUEST, SPACE_INVADERS = map(_game, MINIMAL_ACTIONS)
_GAMES = {game.name: game for game in (ASTERIX, BREAKOUT, FREEWAY, SEAQUEST, SPACE_INVADERS)}
_REFERENCES = {name: f"{__name__}:{name.removeprefix('minatar-').replace('-', '_').upper()}"
               for name in _GAMES}


def references() -> dict[str, str]:
    """The games as ``correctness.play.GAMES`` registers them, name to lazy reference; none
    where MinAtar is not installed."""
    return dict(_REFERENCES) if available() else {}


def unavailable(name: object) -> str | None:
    """Why the game ``name`` cannot be played, when it is a MinAtar game and MinAtar is not
    installed; else None."""
    return MISSING if isinstance(name, str) and name in _REFERENCES and not available() \
        else None


def games() -> dict[str, episode.Game]:
    """The five games by name (``minatar-breakout``, ...); ``MinAtarMissing`` where MinAtar is
    not installed."""
    if not available():
        raise MinAtarMissing(MISSING)
    return dict(_GAMES)
