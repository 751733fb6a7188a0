"""Maze generation's checks and score: a grid's size, cells, open start and end and a path
between them are checked as hostile data; the score is the shortest path; the baselines are
valid, and the depth-first maze scores far above the empty one."""

from __future__ import annotations

import re

import pytest

from codecrucible.benchmarks.games import maze
from codecrucible.records import Scored

W, H, START, END = maze.TASK


def test_the_empty_maze_scores_the_manhattan_distance():
    assert maze.fitness(maze.empty_maze(*maze.TASK), *maze.TASK) == 18


def test_the_shortest_path_goes_around_walls():
    grid = [[0, 0, 0],
            [1, 1, 0],
            [0, 0, 0]]
    assert maze.fitness(grid, 3, 3, (0, 0), (0, 2)) == 6
    assert maze.shortest_path(grid, (0, 0), (0, 0)) == 0


@pytest.mark.parametrize("grid, why", [
    ([[0] * W for _ in range(H - 1)], "list of 10 rows"),
    ([[0] * (W + 1) for _ in range(H)], "list of 10 cells"),
    ("0" * 100, "list of 10 rows"),
    ([[0] * W for _ in range(H - 1)] + [[0] * (W - 1) + [2]], "integer 0 or 1"),
    ([[0] * W for _ in range(H - 1)] + [[0] * (W - 1) + [True]], "integer 0 or 1"),
    ([[0.0] * W for _ in range(H)], "integer 0 or 1"),
    ([[1] + [0] * (W - 1)] + [[0] * W for _ in range(H - 1)], "start (0, 0) is a wall"),
    ([[0] * W for _ in range(H - 1)] + [[0] * (W - 1) + [1]], "end (9, 9) is a wall"),
    ([[0] * W for _ in range(4)] + [[1] * W] + [[0] * W for _ in range(5)], "no path"),
])
def test_an_invalid_maze_is_refused_saying_why(grid, why):
    with pytest.raises(ValueError, match=re.escape(why)):
        maze.fitness(grid, *maze.TASK)


def test_a_huge_answer_is_refused_before_any_search():
    with pytest.raises(ValueError, match="list of 10 rows"):
        maze.fitness([[0] * 10**6] * 10**3, *maze.TASK)


@pytest.mark.parametrize("width, height, start, end", [
    maze.TASK, (11, 7, (0, 0), (10, 6)), (8, 9, (3, 4), (0, 0)), (2, 2, (0, 0), (1, 1)),
    (15, 15, (7, 0), (7, 14)), (6, 5, (1, 1), (4, 2)),
])
def test_the_depth_first_maze_is_valid_for_any_size_start_and_end(width, height, start, end):
    for seed in range(5):
        grid = maze.depth_first_maze(width, height, start, end, seed=seed)
        assert maze.fitness(grid, width, height, start, end) >= 1


def test_the_depth_first_maze_beats_the_empty_one_and_is_repeatable():
    lengths = [maze.fitness(maze.depth_first_maze(*maze.TASK, seed=s), *maze.TASK)
               for s in range(10)]
    assert min(lengths) >= 18 and sum(lengths) / len(lengths) > 24
    assert maze.depth_first_maze(*maze.TASK, seed=3) == maze.depth_first_maze(*maze.TASK, seed=3)


def test_the_scorer_takes_the_calls_arguments_and_grids_as_discovery_scorers_do():
    inputs = [(W, H, [0, 0], [9, 9]), (5, 5, (0, 0), (4, 4))]
    values = [maze.empty_maze(*maze.TASK), maze.empty_maze(5, 5, (0, 0), (4, 4))]
    assert maze.maze(inputs, values) == Scored(13.0, {"mean_path": 13.0, "shortest_path": 8.0})
    with pytest.raises(ValueError):
        maze.maze(inputs, [values[0], None])
