"""The MinAtar games as tasks of the ``games`` benchmark (``Games/minatar_breakout``, ...),
present where MinAtar is installed (``make minatar``).

Each task's prompt is the policy's stub with the game in its docstring: the screen's labels
(MinAtar's own channel names, read from the installed package), what the game rewards, the
action names and the fitness. The reference is the game's heuristic baseline
(``minatar_policies``) as a standalone program, so the reference a run judges and the baseline
the numbers quote are one piece of code. Each episode lasts at most ``MAX_STEPS`` steps of
``STEP_S`` seconds each.
"""

from __future__ import annotations

import textwrap
from functools import cache

from codecrucible.benchmarks.games import minatar_games, minatar_policies
from codecrucible.benchmarks.games.references import program

STEP_S = 0.05   # a policy's window per step: 2,500 steps fit the sandbox's bounds

# What each game rewards, in our words (the rules are MinAtar's).
GOALS = {
    "asterix": "Move the player around the screen to collect gold (+1 each) while enemies "
               "cross the rows; touching an enemy ends the game.",
    "breakout": "Move the paddle along the bottom row to bounce the ball into the bricks (+1 "
                "per brick); the game ends when the ball passes the paddle.",
    "freeway": "Move the chicken up across the lanes of traffic (+1 per crossing); a car "
               "that hits it pushes it back. The game lasts 2,500 steps.",
    "seaquest": "Steer the submarine, shoot enemy fish and subs (+1 each), pick up divers and "
                "surface with one before the oxygen runs out.",
    "space-invaders": "Move the cannon along the bottom row and shoot the aliens (+1 each) "
                      "while dodging their bullets.",
}

STUB = 'def policy(observation: list[list[str]]) -> str:\n    """{body}\n    """\n'


def _docstring(*paragraphs: str) -> str:
    """The stub's docstring body: a first line, then paragraphs wrapped and indented."""
    first, *rest = paragraphs
    wrapped = [textwrap.fill(p, 92, initial_indent=" " * 4, subsequent_indent=" " * 4)
               for p in rest]
    return "\n\n".join([first, *wrapped])


def task_id(game: str) -> str:
    return f"Games/minatar_{game.replace('-', '_')}"


@cache
def tasks() -> tuple[dict, ...]:
    """Each game's task as ``benchmark._problem``'s fields; none where MinAtar is missing.
    Made once: each reads its game's labels from a fresh MinAtar environment."""
    if not minatar_games.available():
        return ()
    return tuple(_task(name) for name in minatar_games.MINIMAL_ACTIONS)


def _task(name: str) -> dict:
    game = minatar_games.games()[f"minatar-{name}"]
    labels = sorted(minatar_games.reset(name, 0).env.env.channels)
    actions = ", ".join(f'"{a}"' for a in game.actions)
    prompt = STUB.format(body=_docstring(
        f"Play MinAtar {name.replace('-', ' ').title()} on its 10x10 screen: return the next "
        "action.",
        'observation[y][x] is the cell in row y (top first) and column x: "empty", or the '
        'names of the things shown there joined by "+". The names are: '
        f"{', '.join(labels)}. {GOALS[name]}",
        f"Actions: {actions}. The function is called once per step, at most "
        f"{minatar_games.MAX_STEPS} steps a game. Fitness: the game's score, averaged over ten "
        "seeded games; a game ends (keeping its score so far) when the function raises, takes "
        f"longer than {STEP_S} s, or returns anything but one of the actions."))
    heuristic = minatar_policies.HEURISTICS[game.name]
    reference = program("policy", heuristic, minatar_policies.where, minatar_policies.toward,
                        constants={"Grid": minatar_policies.Grid, "Cell": minatar_policies.Cell})
    scores = minatar_policies.BASELINES[game.name]
    return {"task_id": task_id(name), "prompt": prompt, "reference": reference,
            "what": f"Write a policy that plays MinAtar {name.replace('-', ' ')} well.",
            "baseline": scores["heuristic"], "random": scores["random"],
            "metadata": {"game": game.name, "seeds": list(minatar_games.SEEDS),
                         "max_steps": minatar_games.MAX_STEPS, "step_s": STEP_S}}
