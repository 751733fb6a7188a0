"""Breadth-first search over a Baba level's states: the shortest solution, optionally using
only moves that leave the rules as they were (to show a level cannot be won without changing
them). For the tests and for whoever writes a level."""

from __future__ import annotations

from collections import deque

from codecrucible.benchmarks.games import baba
from codecrucible.benchmarks.games.baba_levels import STEP

LETTER = {action: letter for letter, action in STEP.items()}


def shortest_solution(start: baba.State, keep_rules: bool = False,
                      max_states: int = 200_000) -> str | None:
    """The fewest moves that win, as letters, or None when there are none (with
    ``keep_rules``, none that leave every rule standing); ``RuntimeError`` when the search
    gives up after ``max_states`` states, having proved nothing."""
    seen = {tuple(sorted(start.things))}
    queue = deque([(start, "")])
    while queue:
        state, moves = queue.popleft()
        for action in baba.ACTIONS:
            after, _, done = baba.step(state, action)
            if keep_rules and set(after.rules) != set(start.rules):
                continue
            if after.won:
                return moves + LETTER[action]
            key = tuple(sorted(after.things))
            if done or key in seen:
                continue
            if len(seen) >= max_states:
                raise RuntimeError(f"no answer within {max_states} states")
            seen.add(key)
            queue.append((after, moves + LETTER[action]))
    return None
