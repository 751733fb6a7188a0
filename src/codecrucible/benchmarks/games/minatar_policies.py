"""Baseline policies for the MinAtar games: a uniformly random one and a simple hand-written
heuristic per game, both reading only the observation a candidate's policy gets (rows of
cells, each ``"empty"`` or channel names joined by ``"+"``), and their measured mean returns.

The heuristics are deliberately plain, a bar a written program should clear: follow the ball
(Breakout), walk to the nearest gold away from enemies (Asterix), cross when the lane ahead is
clear (Freeway), line up with an enemy and shoot, surfacing when the oxygen runs low
(Seaquest), get under an alien and shoot, stepping out of a falling bullet (Space Invaders).
"""

from __future__ import annotations

from codecrucible.benchmarks.games import episode
from codecrucible.benchmarks.games.minatar_games import SEEDS, games

Grid = list[list[str]]
Cell = tuple[int, int]           # (row, column)

# Mean return over ``SEEDS`` (one episode each, at most ``MAX_STEPS`` steps), measured with
# ``measure()``; tests/games/test_minatar.py replays them.
BASELINES = {
    "minatar-asterix": {"random": 0.3, "heuristic": 16.6},
    "minatar-breakout": {"random": 0.5, "heuristic": 11.5},
    "minatar-freeway": {"random": 0.2, "heuristic": 38.2},
    "minatar-seaquest": {"random": 0.1, "heuristic": 24.7},
    "minatar-space-invaders": {"random": 3.9, "heuristic": 15.0},
}


def where(grid: Grid, label: str) -> list[Cell]:
    """The cells showing ``label``, in reading order."""
    return [(r, c) for r, row in enumerate(grid) for c, cell in enumerate(row)
            if label in cell.split("+")]


def toward(frm: int, to: int, less: str, more: str, same: str = "noop") -> str:
    return less if to < frm else more if to > frm else same


def breakout(grid: Grid) -> str:
    """Keep the paddle under where the ball is heading (one column ahead of it)."""
    paddle, ball, trail = where(grid, "paddle"), where(grid, "ball"), where(grid, "trail")
    if not paddle or not ball:
        return "noop"
    heading = ball[0][1] - trail[0][1] if trail else 0
    target = min(9, max(0, ball[0][1] + heading))
    return toward(paddle[0][1], target, "left", "right")


def asterix(grid: Grid) -> str:
    """Of the five moves, the one ending nearest a gold cell and not next to an enemy."""
    player = where(grid, "player")
    if not player:
        return "noop"
    (r, c), enemies, gold = player[0], where(grid, "enemy"), where(grid, "gold")
    moves = {"noop": (r, c), "left": (r, c - 1), "right": (r, c + 1), "up": (r - 1, c),
             "down": (r + 1, c)}

    def cost(move: str) -> float:
        y, x = moves[move]
        if not (0 <= y <= 9 and 0 <= x <= 9):
            return float("inf")
        danger = any(ey == y and abs(ex - x) <= 1 for ey, ex in enemies)
        return 100 * danger + min((abs(gy - y) + abs(gx - x) for gy, gx in gold), default=0)
    return min(moves, key=cost)


def freeway(grid: Grid) -> str:
    """Step up unless a car is in the lane above, at or beside the chicken's column."""
    chicken = where(grid, "chicken")
    if not chicken:
        return "up"
    r, c = chicken[0]
    ahead = any(cy == r - 1 and abs(cx - c) <= 1 for cy, cx in where(grid, "car"))
    return "noop" if ahead else "up"


def seaquest(grid: Grid) -> str:
    """Surface with a diver aboard when the oxygen runs low; otherwise shoot an enemy in the
    sub's row (turning to face it first), or swim to the nearest enemy's row, never up to the
    surface without a diver."""
    front, back = where(grid, "sub_front"), where(grid, "sub_back")
    if not front:
        return "noop"
    (r, c), facing = front[0], front[0][1] - back[0][1] if back else 1
    oxygen, divers = len(where(grid, "oxygen_guage")), len(where(grid, "diver_guage"))
    if oxygen <= 3 and divers:
        return "up"
    enemies = where(grid, "enemy_fish") + where(grid, "enemy_sub")
    in_row = [x for y, x in enemies if y == r]
    if in_row:
        nearest = min(in_row, key=lambda x: abs(x - c))
        return "fire" if (nearest - c) * facing >= 0 else toward(c, nearest, "left", "right")
    if not enemies:
        return toward(r, 4, "up", "down")
    row = min(enemies, key=lambda e: abs(e[0] - r) + abs(e[1] - c))[0]
    if row > r:
        return "down"
    surfacing = r == 1 and not divers     # the surface, row 0, ends the game without a diver
    return "fire" if surfacing else "up"


def space_invaders(grid: Grid) -> str:
    """Step out from under a falling bullet; else shoot if an alien is above, or move under
    the nearest one."""
    cannon = where(grid, "cannon")
    if not cannon:
        return "noop"
    c = cannon[0][1]
    if any(y >= 6 and x == c for y, x in where(grid, "enemy_bullet")):
        return "left" if c > 0 else "right"
    aliens = where(grid, "alien")
    if not aliens:
        return "noop"
    if any(x == c for _, x in aliens):
        return "fire"
    return toward(c, min(aliens, key=lambda a: abs(a[1] - c))[1], "left", "right")


HEURISTICS = {"minatar-asterix": asterix, "minatar-breakout": breakout,
              "minatar-freeway": freeway, "minatar-seaquest": seaquest,
              "minatar-space-invaders": space_invaders}


def measure(seeds: tuple[int, ...] = SEEDS) -> dict[str, dict[str, float]]:
    """Each game's mean return over ``seeds``, for the random policy (seeded 0) and the
    heuristic: what ``BASELINES`` records, measured again."""
    found = {}
    for name, game in games().items():
        found[name] = {
            "random": episode.mean_fitness(game, episode.uniform_policy(game.actions), seeds),
            "heuristic": episode.mean_fitness(game, HEURISTICS[name], seeds)}
    return found


def baselines() -> dict[str, dict[str, float]]:
    """The MinAtar games' baselines as recorded (``BASELINES``), by game name."""
    return {name: dict(scores) for name, scores in BASELINES.items()}
