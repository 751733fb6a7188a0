"""The game tasks' reference programs: the heuristic baselines themselves, assembled from their
source into the standalone programs a candidate would write, so the reference a run judges and
the baseline the numbers quote are one piece of code.

A reference runs in the sandbox like any candidate; it needs only the standard library (and,
for the vehicle, the simulator's names the task provides).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from codecrucible.benchmarks.games import baba, maze, vehicle


def program(entry: str, target: Callable, *helpers: Callable, imports: str = "",
            constants: dict[str, object] | None = None) -> str:
    """A program defining ``target`` and its ``helpers`` from their source, with ``imports``
    and ``constants`` (written as their ``repr``) before them, and ``entry`` naming it."""
    head = "from __future__ import annotations\n" + imports
    values = "".join(f"{name} = {value!r}\n" for name, value in (constants or {}).items())
    sources = [inspect.getsource(f) for f in (*helpers, target)]
    alias = [f"{entry} = {target.__name__}\n"] if entry != target.__name__ else []
    return "\n\n".join(part for part in (head, values, *sources, *alias) if part)


# Walks a shortest path to a WIN object around STOP and KILL cells (``baba.heuristic_policy``).
BABA = program("policy", baba.heuristic_policy, baba.is_word, baba.read_rules, baba.properties,
               baba.things_seen, imports="from collections import deque\n",
               constants={"Thing": baba.Thing, "Rule": baba.Rule, "NOUNS": baba.NOUNS,
                          "PROPERTIES": baba.PROPERTIES, "MOVES": baba.MOVES,
                          "EMPTY": baba.EMPTY})

# One-step lookahead with a thrust rollout (``vehicle.lookahead``); the task's program makes
# the simulator importable as ``vehicle``.
VEHICLE = program("policy", vehicle.lookahead,
                  imports="from vehicle import DT, LEFT, NOTHING, RIGHT, THRUST, Vec2d, Vehicle\n")


def generate_maze(width: int, height: int, start: tuple, end: tuple) -> list[list[int]]:
    """A random depth-first maze (seed 0), the cells as tuples whatever sequences came."""
    return depth_first_maze(width, height, tuple(start), tuple(end))  # noqa: F821 (shipped)


# A random depth-first maze (``maze.depth_first_maze``), the same one every call.
MAZE = program("generate_maze", generate_maze, maze.depth_first_maze, maze._join,
               imports="import random\n", constants={"Cell": maze.Cell})
