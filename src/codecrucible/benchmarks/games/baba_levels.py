"""The ten Baba levels, our own, in rising difficulty, each with a reference solution.

One character a cell (``LEGEND``): objects lower case, words upper case, ``=`` for ``IS``,
``.`` empty. A rule in a corner of the border cannot be pushed apart (every push runs into the
border), which is how a level keeps the rules it wants; other words may still join one (level
6's ``WALL IS STOP`` in the corner, with ``FLAG`` pushed under its ``IS``, becomes
``WALL IS FLAG`` too). Levels 4-9 cannot be won without forming or breaking a rule, by
construction: no WIN rule at the start (4, 9), the flag shut in by STOP walls (5, 6) or out of
Baba's reach (7), a row of KILL skulls across the level (8). A solution is a string of moves,
``u``, ``d``, ``l``, ``r``, each a shortest one (breadth-first search over states,
``tests/games/baba_search.py``); ``tests/games/test_baba.py`` replays every one to a win.
"""

from __future__ import annotations

from dataclasses import dataclass

LEGEND = {
    "b": "baba", "r": "rock", "w": "wall", "f": "flag", "s": "skull",
    "B": "BABA", "R": "ROCK", "W": "WALL", "F": "FLAG", "S": "SKULL", "=": "IS",
    "Y": "YOU", "V": "WIN", "X": "STOP", "P": "PUSH", "K": "KILL",
}
STEP = {"u": "up", "d": "down", "l": "left", "r": "right"}


@dataclass(frozen=True)
class Level:
    """A level's name (what it teaches), map and reference solution."""

    name: str
    rows: tuple[str, ...]
    solution: str

    def moves(self) -> list[str]:
        return [STEP[c] for c in self.solution]


LEVELS = (
    Level("walk to the flag", (
        ".........",
        ".B=Y.F=V.",
        ".........",
        ".b.....f.",
        ".........",
    ), "rrrrrr"),
    Level("walls stop you", (
        "B=Y...W=X",
        ".........",
        "....w....",
        ".b..w..f.",
        "....w....",
        ".........",
        "F=V......",
    ), "uurrrrddrr"),
    Level("push the rock out of the door", (
        "B=Y.R=P..",
        "W=X.F=V..",
        "wwwwwwwww",
        "w...w...w",
        "wb..r..fw",
        "w...w...w",
        "wwwwwwwww",
    ), "rrrrurdr"),
    Level("skulls kill", (
        "B=Y..S=K.",
        "F=V..W=X.",
        ".........",
        ".b.s...f.",
        "...s.....",
        "...s.....",
        "ww.www...",
    ), "urrrdrrr"),
    Level("make the flag win", (
        "B=Y......",
        ".........",
        "F=...V...",
        ".........",
        ".b.....f.",
    ), "urrrrrulllddrrrr"),
    Level("break the wall's rule", (
        "B=Y.......",
        "..........",
        "W=X...wwww",
        "......w..w",
        ".b....w.fw",
        "......w..w",
        "F=V...wwww",
    ), "uuddrrrrrrr"),
    Level("walls or a rock become the flag", (
        "W=X.wwwww",
        "....w...w",
        "F=V.w.f.w",
        "....w...w",
        "....wwwww",
        "R=...F...",
        ".........",
        ".b..r....",
        "B=Y......",
    ), "uuuurruullrrr"),
    Level("the rock is you too", (
        "B=Y.....W=X",
        "...........",
        "...wwwwwww.",
        "...w.....w.",
        "...wbR.=Yw.",
        "...w.....w.",
        "...wwwwwww.",
        ".r.........",
        "...........",
        "F=V......f.",
    ), "rdrrdrrrrrr"),
    Level("push the skulls aside", (
        "B=Y....S=K",
        ".b........",
        "....S=....",
        "......P...",
        "..........",
        "ssssssssss",
        "..........",
        "....f.....",
        "..........",
        "F=V.......",
    ), "dddrrrrruddddll"),
    Level("baba is win", (
        "B=Y.....W=X",
        "...........",
        "..wwwww....",
        "..w...w....",
        "..w.V.w....",
        "..w...w..r.",
        "..www.w....",
        "....r......",
        ".b....B=...",
        "R=P........",
    ), "urrrrrrrdllluuullururdddd"),
)
