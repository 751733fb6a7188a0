"""A Baba-Is-You-like rule puzzle: the rules of a level are words on its grid, and moving the
words changes them.

Cells hold stacks of things. A thing is an object, named by a lower-case noun (``baba``,
``rock``, ``wall``, ``flag``, ``skull``), or a word, upper-case: a noun (``BABA``), ``IS``,
or a property (``YOU``, ``WIN``, ``STOP``, ``PUSH``, ``KILL``). Three words in a row or a
column, read left to right or top to bottom, make a rule: ``NOUN IS PROPERTY`` gives every
object of that noun the property, ``NOUN IS NOUN`` turns those objects into the other noun
(``ROCK IS FLAG``; ``ROCK IS ROCK`` keeps rocks from turning). Words are always pushable and
have no other property.

A step (``up``, ``down``, ``left``, ``right``) moves every YOU object one cell that way, the
one furthest ahead first. A move pushes the PUSH things in front of it, a whole chain of them;
a STOP object that is not PUSH, or the border, blocks the chain and the mover stays. Then the
rules are read again, left to right and top to bottom, objects turn as ``NOUN IS NOUN`` says
(the first such rule in reading order for each noun), YOU objects sharing a cell with a KILL
object are removed, and the level is won when a YOU object and a WIN object share a cell (one
object both YOU and WIN wins at once), lost when no YOU object remains. Fitness is
``100 - steps`` for a level won within ``MAX_STEPS``, else 0.

A policy sees the grid as rows of cells, each ``"empty"`` or the labels of its things, bottom
first, joined by ``"+"`` (``"flag+baba"``). The levels and their reference solutions are in
``baba_levels``; ``reset(seed)`` starts level ``seed`` (0-9).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from codecrucible.benchmarks.games import episode
from codecrucible.benchmarks.games.baba_levels import LEGEND, LEVELS

NOUNS = ("baba", "rock", "wall", "flag", "skull")
PROPERTIES = ("you", "win", "stop", "push", "kill")
ACTIONS = ("up", "down", "left", "right")
MOVES = {"up": (0, -1), "down": (0, 1), "left": (-1, 0), "right": (1, 0)}
MAX_STEPS = 100
EMPTY = "empty"

Thing = tuple[str, int, int]          # a label and its cell (x, y)
Rule = tuple[str, str]                # a noun and a property or noun, lower case


@dataclass(frozen=True)
class State:
    """A level in play: its size, its things (in the order they were placed, so a cell's
    stack reads bottom first), the rules they spell, and whether it is won or lost."""

    width: int
    height: int
    things: tuple[Thing, ...]
    rules: tuple[Rule, ...]
    won: bool = False
    lost: bool = False


def is_word(label: str) -> bool:
    return label.isupper()


def read_rules(things: tuple[Thing, ...] | list[Thing]) -> tuple[Rule, ...]:
    """Every rule the words spell, in reading order: rows top to bottom, each left to right,
    a horizontal rule before a vertical one that starts in the same cell."""
    words: dict[tuple[int, int], list[str]] = {}
    for label, x, y in things:
        if is_word(label):
            words.setdefault((x, y), []).append(label.lower())
    rules = []
    for x, y in sorted(words, key=lambda cell: (cell[1], cell[0])):
        for noun in (w for w in words[(x, y)] if w in NOUNS):
            for dx, dy in ((1, 0), (0, 1)):
                if "is" in words.get((x + dx, y + dy), ()):
                    rules += [(noun, w) for w in words.get((x + 2 * dx, y + 2 * dy), ())
                              if w in NOUNS or w in PROPERTIES]
    return tuple(rules)


def properties(label: str, rules: tuple[Rule, ...]) -> set[str]:
    """A thing's properties: a word is always PUSH and nothing else; an object has those its
    noun is given."""
    if is_word(label):
        return {"push"}
    return {p for noun, p in rules if noun == label and p in PROPERTIES}


def parse(rows: list[str] | tuple[str, ...]) -> State:
    """A level from an ASCII map: one character a cell, as ``baba_levels.LEGEND`` says (``.``
    is an empty cell)."""
    things = tuple((LEGEND[ch], x, y) for y, row in enumerate(rows) for x, ch in enumerate(row)
                   if ch != ".")
    return _settled(len(rows[0]), len(rows), list(things))


def reset(seed: int) -> State:
    """Level ``seed`` (0-9) at its start."""
    if not 0 <= seed < len(LEVELS):
        raise ValueError(f"there are {len(LEVELS)} levels (0-{len(LEVELS) - 1}), not {seed}")
    return parse(LEVELS[seed].rows)


def step(state: State, action: str) -> tuple[State, float, bool]:
    """Move the YOU objects; reward 1 on the step that wins; done once won or lost."""
    if action not in MOVES:
        raise ValueError(f"an action is one of {', '.join(ACTIONS)}, not {action!r}")
    if state.won or state.lost:
        return state, 0.0, True
    dx, dy = MOVES[action]
    things = list(state.things)
    you = [i for i, (label, _, _) in enumerate(things) if "you" in properties(label, state.rules)]
    moved: dict[int, None] = {}      # what moved, in order: it ends on top of its new cell
    for i in sorted(you, key=lambda i: -(things[i][1] * dx + things[i][2] * dy)):
        moved.update(dict.fromkeys(_move(things, i, dx, dy, state)))
    things = [t for i, t in enumerate(things) if i not in moved] + [things[i] for i in moved]
    after = _settled(state.width, state.height, things)
    return after, float(after.won), after.won or after.lost


def _move(things: list[Thing], mover: int, dx: int, dy: int, state: State) -> list[int]:
    """Move one thing and the chain it pushes, unless the chain is blocked; what moved."""
    _, x, y = things[mover]
    chain = [mover]
    while True:
        x, y = x + dx, y + dy
        if not (0 <= x < state.width and 0 <= y < state.height):
            return []
        here = [i for i, (_, tx, ty) in enumerate(things) if (tx, ty) == (x, y)]
        kinds = [properties(things[i][0], state.rules) for i in here]
        if any("stop" in k and "push" not in k for k in kinds):
            return []
        pushed = [i for i, k in zip(here, kinds, strict=True) if "push" in k]
        if not pushed:
            break
        chain += pushed
    for i in chain:
        label, tx, ty = things[i]
        things[i] = (label, tx + dx, ty + dy)
    return chain


def _settled(width: int, height: int, things: list[Thing]) -> State:
    """After a move: read the rules, turn objects, remove killed YOU objects, judge."""
    rules = read_rules(things)         # words never turn, so turning leaves the rules be
    things = [(_turned(label, rules), x, y) for label, x, y in things]
    kills = {(x, y) for label, x, y in things if "kill" in properties(label, rules)}
    things = [t for t in things
              if not ((t[1], t[2]) in kills and "you" in properties(t[0], rules))]
    you = {(x, y) for label, x, y in things if "you" in properties(label, rules)}
    wins = {(x, y) for label, x, y in things if "win" in properties(label, rules)}
    return State(width, height, tuple(things), rules, won=bool(you & wins), lost=not you)


def _turned(label: str, rules: tuple[Rule, ...]) -> str:
    if is_word(label) or (label, label) in rules:
        return label
    return next((p for noun, p in rules if noun == label and p in NOUNS), label)


def observation(state: State) -> list[list[str]]:
    """Rows top to bottom of cells: ``"empty"`` or the labels there joined by ``"+"``."""
    grid = [[[] for _ in range(state.width)] for _ in range(state.height)]
    for label, x, y in state.things:
        grid[y][x].append(label)
    return [["+".join(cell) or EMPTY for cell in row] for row in grid]


def things_seen(grid: list[list[str]]) -> list[Thing]:
    """The things an observation shows, as a policy might read them."""
    return [(label, x, y) for y, row in enumerate(grid) for x, cell in enumerate(row)
            if cell != EMPTY for label in cell.split("+")]


def fitness(ep: episode.Episode) -> float:
    """100 - steps for a level won within ``MAX_STEPS`` steps, else 0."""
    return float(MAX_STEPS - ep.steps) if ep.final.won else 0.0


def replay(state: State, actions: list[str]) -> tuple[State, int]:
    """The state after playing ``actions`` (stopping once won or lost) and the steps taken."""
    steps = 0
    for action in actions:
        if state.won or state.lost:
            break
        state, _, _ = step(state, action)
        steps += 1
    return state, steps


def random_policy(seed: int = 0) -> episode.Policy:
    return episode.uniform_policy(ACTIONS, seed)


def heuristic_policy(grid: list[list[str]]) -> str:
    """Walk the shortest path from a YOU object to a WIN object, around STOP and KILL cells
    (PUSH things count as free, hopefully pushed aside); with no such path, go right. It never
    forms or breaks a rule on purpose."""
    things = things_seen(grid)
    rules = read_rules(things)
    height, width = len(grid), len(grid[0])
    cells: dict[tuple[int, int], set[str]] = {}
    for label, x, y in things:
        cells.setdefault((x, y), set()).update(properties(label, rules))
    goals = {cell for cell, props in cells.items() if "win" in props}
    starts = [cell for cell, props in cells.items() if "you" in props]
    first: dict[tuple[int, int], str] = {cell: "" for cell in starts}
    queue = deque(starts)
    while queue:
        x, y = cell = queue.popleft()
        if cell in goals and first[cell]:
            return first[cell]
        for action, (dx, dy) in MOVES.items():
            nxt = (x + dx, y + dy)
            props = cells.get(nxt, set())
            blocked = "kill" in props or ("stop" in props and "push" not in props)
            if nxt not in first and 0 <= nxt[0] < width and 0 <= nxt[1] < height and not blocked:
                first[nxt] = first[cell] or action
                queue.append(nxt)
    return "right"


GAME = episode.Game(name="baba", actions=ACTIONS, reset=reset, observation=observation,
                    step=step, fitness=fitness, max_steps=MAX_STEPS)
# What ``correctness.play`` plays in the sandbox: the same game, its return its fitness.
BY_FITNESS = episode.FitnessReturns(GAME)
