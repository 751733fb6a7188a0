"""Maze generation: the candidate writes ``generate_maze(width, height, start, end) -> grid``
and the harness checks the grid it returns and scores it.

A grid is ``height`` rows of ``width`` cells, ``grid[y][x]``, each 0 (passage) or 1 (wall);
``start`` and ``end`` are ``(x, y)`` cells. A valid maze has the right size, only 0s and 1s,
start and end open, and a path of passages between them, stepping up, down, left or right.
Its fitness is the length of the shortest such path, in steps (a longer shortest path is a
better maze); an invalid grid scores nothing. The task's speed limit (a 10 x 10 maze within
0.1 s) is the caller's to enforce: it is the call's wall-clock limit in the sandbox, not
something this module can see.

``maze(inputs, values)`` is the trusted scorer in the shape of ``discovery_scorers``: the
argument tuples and the grids returned for them, checked as hostile data.
"""

from __future__ import annotations

import random
from collections import deque

from codecrucible.records import Scored

Cell = tuple[int, int]
TASK = (10, 10, (0, 0), (9, 9))      # width, height, start, end: the paper's 10 x 10 maze
TIME_LIMIT_S = 0.1                   # for TASK, enforced by the caller


def validate(grid: object, width: int, height: int, start: Cell, end: Cell) -> list[list[int]]:
    """The grid, checked: raises ``ValueError`` saying what is wrong with it."""
    if type(grid) not in (list, tuple) or len(grid) != height:
        raise ValueError(f"expected a list of {height} rows")
    for row in grid:
        if type(row) not in (list, tuple) or len(row) != width:
            raise ValueError(f"expected every row to be a list of {width} cells")
        if not all(type(cell) is int and cell in (0, 1) for cell in row):
            raise ValueError("expected every cell to be the integer 0 or 1")
    for name, (x, y) in (("start", start), ("end", end)):
        if grid[y][x] != 0:
            raise ValueError(f"the {name} {(x, y)} is a wall")
    return [list(row) for row in grid]


def shortest_path(grid: list[list[int]], start: Cell, end: Cell) -> int | None:
    """The fewest steps from start to end through passages (breadth-first), or None."""
    height, width = len(grid), len(grid[0])
    distance = {start: 0}
    queue = deque([start])
    while queue:
        x, y = cell = queue.popleft()
        if cell == end:
            return distance[cell]
        for nx, ny in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
            if 0 <= nx < width and 0 <= ny < height and grid[ny][nx] == 0 \
                    and (nx, ny) not in distance:
                distance[(nx, ny)] = distance[cell] + 1
                queue.append((nx, ny))
    return None


def fitness(grid: object, width: int, height: int, start: Cell, end: Cell) -> int:
    """The shortest path's length; raises ``ValueError`` for an invalid maze."""
    path = shortest_path(validate(grid, width, height, start, end), start, end)
    if path is None:
        raise ValueError(f"no path of passages joins the start {start} and the end {end}")
    return path


def maze(inputs: list, values: list) -> Scored:
    """The mean shortest path over the inputs ``(width, height, start, end)``; components:
    that mean and the shortest of them."""
    lengths = [fitness(grid, w, h, tuple(s), tuple(e))
               for (w, h, s, e), grid in zip(inputs, values, strict=True)]
    return Scored(sum(lengths) / len(lengths),
                  {"mean_path": sum(lengths) / len(lengths),
                   "shortest_path": float(min(lengths))})


# Baselines: the empty maze (the Manhattan distance) and a random depth-first maze.

def empty_maze(width: int, height: int, start: Cell, end: Cell) -> list[list[int]]:
    return [[0] * width for _ in range(height)]


def depth_first_maze(width: int, height: int, start: Cell, end: Cell,
                     seed: int = 0) -> list[list[int]]:
    """Carve a random spanning tree by depth-first search from the start, over the cells an
    even number of columns and an even number of rows away from it, opening the wall cell
    between each step; then join the end if that lattice missed it. A tree has one path
    between any two of its cells, so the path to the end is as the search happened to wind."""
    rng = random.Random(seed)
    grid = [[1] * width for _ in range(height)]
    sx, sy = start
    grid[sy][sx] = 0
    stack = [start]
    while stack:
        x, y = stack[-1]
        ahead = [(x + dx, y + dy, x + dx // 2, y + dy // 2)
                 for dx, dy in ((2, 0), (-2, 0), (0, 2), (0, -2))
                 if 0 <= x + dx < width and 0 <= y + dy < height and grid[y + dy][x + dx]]
        if not ahead:
            stack.pop()
            continue
        nx, ny, wx, wy = rng.choice(ahead)
        grid[wy][wx] = grid[ny][nx] = 0
        stack.append((nx, ny))
    _join(grid, end)
    return grid


def _join(grid: list[list[int]], end: Cell) -> None:
    """Open the end and, if it touches no passage, one neighbour that touches a carved cell
    (off the lattice in both directions, the end has a lattice cell diagonally next to it)."""
    x, y = end
    height, width = len(grid), len(grid[0])
    if grid[y][x] == 0:
        return
    grid[y][x] = 0
    near = [(x + dx, y + dy) for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1))
            if 0 <= x + dx < width and 0 <= y + dy < height]
    if any(grid[ny][nx] == 0 for nx, ny in near):
        return
    for nx, ny in near:
        if any(0 <= nx + dx < width and 0 <= ny + dy < height and grid[ny + dy][nx + dx] == 0
               and (nx + dx, ny + dy) != end for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1))):
            grid[ny][nx] = 0
            return
