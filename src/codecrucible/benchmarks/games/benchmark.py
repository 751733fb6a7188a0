"""The games as a benchmark (``crucible run -b games``): one score problem per task of "From
Code to Play" built so far, each with its heuristic baseline as the reference program.

- ``Games/baba``: a policy plays the ten Baba levels (seeds 0-9 are the levels), 100 steps
  each at most; fitness = 100 - steps to win, 0 unwon, averaged over the levels.
- ``Games/vehicle``: ``policy(vehicle, target) -> int`` steers the ship over seeds 0-9, 300
  steps each; fitness = targets reached + share of the last leg covered, averaged. The
  candidate's program runs in ``prompts.VEHICLE_HARNESS``, beside the simulator's source.
- ``Games/maze``: ``generate_maze(10, 10, (0, 0), (9, 9))`` returns a grid that the harness
  checks and scores (``maze.maze``), like a discovery task; the call must return within 0.1 s,
  its time limit in the sandbox (``metadata["time_limit_s"]``).
- ``Games/minatar_asterix``, ``_breakout``, ``_freeway``, ``_seaquest``, ``_space_invaders``:
  the MinAtar games (``minatar_tasks``), where MinAtar is installed; fitness = the game's
  score, averaged over seeds 0-9.

A game is played by ``correctness.play`` (each seed an episode in the sandbox, one
observation at a time, the game in the harness; its registered form rewards each step with
the change in fitness, so the return is the fitness). ``metadata["baseline"]`` is the
reference's score, ``metadata["random"]`` a random policy's (or maze's) mean, measured in
process by ``tests/games/test_benchmark.py``.
"""

from __future__ import annotations

from pathlib import Path

from codecrucible.benchmarks.games import (
    baba,
    maze,
    minatar_tasks,
    prompts,
    references,
    vehicle,
)
from codecrucible.records import Problem

SEEDS = list(range(10))        # the ten Baba levels; ten vehicle episodes
# The references' fitness (the heuristics'), and a random one's: uniform actions (the
# policy's generator seeded 0-19 for Baba, 0 for the vehicle), a random depth-first maze
# (seeds 0-19; the empty maze scores 18).
BASELINES = {"Games/baba": 27.6, "Games/vehicle": 6.22, "Games/maze": 30.0}
RANDOM = {"Games/baba": 4.45, "Games/vehicle": 0.1, "Games/maze": 29.8}
BEST = {"Games/baba": 87.7}    # the levels' shortest solutions (``baba_levels``)
STEP_S = 0.2                   # a policy's wall-clock window per step


def _problem(task_id: str, prompt: str, entry_point: str, reference: str, what: str,
             **fields) -> Problem:
    known = {"baseline": BASELINES[task_id], "random": RANDOM[task_id]} \
        if task_id in BASELINES else {}
    metadata = {**known, "higher_is_better": True, **fields.pop("metadata")}
    if task_id in BEST:
        metadata["best_known"] = BEST[task_id]
    instruction = (f"{what} Write the Python function `{entry_point}` below and return the "
                   f"whole program; the harness runs it and scores it.\n\n{prompt}")
    return Problem(task_id=task_id, benchmark="games", prompt=prompt, instruction=instruction,
                   entry_point=entry_point, reference=reference, check="score",
                   metadata=metadata, **fields)


def _game(name: str, max_steps: int) -> dict:
    return {"game": name, "seeds": SEEDS, "max_steps": max_steps, "step_s": STEP_S}


def problems() -> list[Problem]:
    return [
        _problem("Games/baba", prompts.BABA, "policy", references.BABA,
                 "Write a policy that solves Baba-Is-You-like rule puzzles.",
                 metadata=_game("baba", baba.MAX_STEPS)),
        _problem("Games/vehicle", prompts.VEHICLE, "policy", references.VEHICLE,
                 "Write a policy that steers a ship through a row of targets.",
                 harness=prompts.VEHICLE_HARNESS, metadata=_game("vehicle", vehicle.STEPS)),
        _problem("Games/maze", prompts.MAZE, "generate_maze", references.MAZE,
                 "Write a maze generator whose mazes have long shortest paths.",
                 inputs={"base": [maze.TASK]}, scorer="codecrucible.benchmarks.games.maze:maze",
                 metadata={"time_limit_s": maze.TIME_LIMIT_S}),
        *(_problem(t["task_id"], t["prompt"], "policy", t["reference"], t["what"],
                   metadata={"baseline": t["baseline"], "random": t["random"], **t["metadata"]})
          for t in minatar_tasks.tasks()),
    ]


class Games:
    name = "games"
    description = ("games of program search (From Code to Play): Baba Is You levels, vehicle "
                   "driving, maze generation, and the MinAtar games where MinAtar is installed "
                   "(played and scored by the harness)")

    @property
    def size(self) -> int:
        return 3 + len(minatar_tasks.tasks())

    suites = ("base",)
    files = ()

    def load(self, data_dir: Path | None) -> list[Problem]:
        return problems()
