"""The game tasks' prompts, in the manner of "From Code to Play"'s: the function to write, the
observation with a small example, the actions and the fitness; and the program a vehicle
policy runs in.

Each prompt is the stub of the candidate's function with the task in its docstring (the code
prompt a completion model continues and a chat model is shown, as for the discovery tasks).
"""

from __future__ import annotations

from codecrucible.benchmarks.games.vehicle import SIMULATOR_SOURCE
from codecrucible.records import SOLUTION_SLOT

BABA = '''\
def policy(observation: list[list[str]]) -> str:
    """Play a level of a Baba-Is-You-like rule puzzle: return the next move.

    observation[y][x] is the cell in row y (top first) and column x: "empty", or the labels
    of the things in it, bottom first, joined by "+" (e.g. "flag+baba"). Objects are lower
    case: baba, rock, wall, flag, skull. Words are upper case: the nouns BABA, ROCK, WALL,
    FLAG, SKULL, the word IS, and the properties YOU, WIN, STOP, PUSH, KILL. Three words in a
    row, read left to right or top to bottom, make a rule: BABA IS YOU (you move every baba),
    FLAG IS WIN, WALL IS STOP, ROCK IS PUSH, SKULL IS KILL, or NOUN IS NOUN (ROCK IS FLAG
    turns every rock into a flag). Words can always be pushed, so pushing them forms and
    breaks rules; the rules are read again after every move.

    Actions: "up", "down", "left", "right". Every YOU object moves one cell that way, pushing
    the PUSH things and words in front of it; STOP things and the border block. A YOU object
    on a KILL cell is destroyed. The level is won when a YOU object and a WIN object share a
    cell, and lost when no YOU object is left.

    Example observation, 3 rows of 5 cells, won by moving right three times:
        [["BABA", "IS", "YOU", "empty", "empty"],
         ["empty", "baba", "empty", "empty", "flag"],
         ["FLAG", "IS", "WIN", "empty", "empty"]]

    The function is called once per step; globals it keeps last one level. Fitness: 100
    minus the steps taken to win, averaged over ten levels (some cannot be won without
    changing a rule); a level not won within 100 steps scores 0, and so does the rest of a
    level once the function returns anything but one of the four actions.
    """
'''

VEHICLE = '''\
def policy(vehicle: Vehicle, target: Vec2d) -> int:
    """Steer an Asteroids-like ship to the target: return the action for the next step.

    Actions: 0 nothing, 1 thrust, 2 turn left (anticlockwise), 3 turn right (clockwise).
    The simulator is loaded already: Vehicle, Vec2d, the constants NOTHING, THRUST, LEFT,
    RIGHT and DT (0.1 s, one step) need no import (`from vehicle import Vehicle, Vec2d`
    works too).
      Vec2d(x, y): + and - another, * a number, .dot(other), .length(), .distance(other),
        .angle() (radians from +x, anticlockwise), Vec2d.from_angle(angle, length=1.0).
      Vehicle(position, velocity, heading): position and velocity are Vec2d, heading is in
        radians (0 along +x). vehicle.update(action, dt=DT) returns the ship dt seconds
        later and never changes vehicle, so a policy can simulate actions ahead.
    Each step of 0.1 s: a turn changes the heading by pi/10; thrust adds 3 to the velocity
    along the new heading; the velocity then loses 10 %; the speed is capped at 30.

    An episode lasts 300 steps. The ship starts at rest at (50, 50), nose along +x: e.g.
    vehicle = Vehicle(Vec2d(50.0, 50.0), Vec2d(0.0, 0.0), 0.0), target = Vec2d(80.0, 20.0).
    Ten targets in a 100 x 100 square are shown one at a time; coming within 5 of a target
    reaches it and shows the next.

    Fitness: the targets reached plus the share of the distance to the current target
    covered (0 to 10), averaged over ten episodes; returning anything but 0-3 ends the
    episode. Search pays: one-step lookahead, rollouts, macro-actions, MCTS or rolling
    horizon evolution, each step within 0.2 s.
    """
'''

MAZE = '''\
def generate_maze(width: int, height: int, start: tuple[int, int],
                  end: tuple[int, int]) -> list[list[int]]:
    """Generate a maze whose shortest path from start to end is as long as possible.

    Return height rows of width cells, grid[y][x], each 0 (passage) or 1 (wall). start and
    end are (x, y) cells; both must be 0, and a path of passages, stepping up, down, left or
    right, must join them. Example, 4 x 3 from (0, 0) to (0, 2), shortest path 8 steps:
        [[0, 0, 0, 0],
         [1, 1, 1, 0],
         [0, 0, 0, 0]]

    It is called as generate_maze(10, 10, (0, 0), (9, 9)) and must return within 0.1 s.
    Fitness: the length in steps of the shortest start-to-end path; an invalid maze scores
    nothing.
    """
'''

# The program a vehicle policy runs in: the simulator as the module ``vehicle``, the
# candidate's program (in the slot) run with the simulator's names, and the ``policy`` the
# episode calls, from an observation to the candidate's action as the game's digit.
VEHICLE_HARNESS = f'''\
import sys
import types

_simulator = types.ModuleType("vehicle")
sys.modules["vehicle"] = _simulator
exec(compile({SIMULATOR_SOURCE!r}, "vehicle.py", "exec"), vars(_simulator))
_program = {{"__name__": "candidate"}}
_program.update((k, v) for k, v in vars(_simulator).items() if not k.startswith("_"))
exec(compile({SOLUTION_SLOT}, "candidate.py", "exec"), _program)
if not callable(_program.get("policy")):
    raise NameError("the program defines no function policy(vehicle, target)")


def policy(observation):
    action = _program["policy"](*_simulator.from_observation(observation))
    return str(action) if type(action) is int else action
'''
