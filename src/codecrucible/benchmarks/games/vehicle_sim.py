"""An Asteroids-like ship on an open plane: the simulator a driving policy steers, which the
policy may also run itself to look ahead (``update`` returns a new ship; nothing changes in
place). It needs only the standard library, so its source is shipped to the candidate as it
stands; the harness scores with its own copy.

Each ``update(action, dt)``, in this order: a turn changes the heading by ``TURN_RATE * dt``
(``LEFT`` anticlockwise, ``RIGHT`` clockwise; headings in radians, 0 along +x); thrust adds
``THRUST * dt`` along the new heading to the velocity; drag scales the velocity by
``1 - DRAG * dt``; the speed is capped at ``MAX_SPEED``; the position moves by velocity * dt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

NOTHING, THRUST, LEFT, RIGHT = 0, 1, 2, 3
ACCELERATION = 30.0      # units / s^2 while thrusting
TURN_RATE = math.pi      # radians / s
DRAG = 1.0               # share of the velocity lost per second
MAX_SPEED = 30.0         # units / s
DT = 0.1                 # seconds per step of the game


@dataclass(frozen=True)
class Vec2d:
    """A 2-D vector."""

    x: float
    y: float

    def __add__(self, other: Vec2d) -> Vec2d:
        return Vec2d(self.x + other.x, self.y + other.y)

    def __sub__(self, other: Vec2d) -> Vec2d:
        return Vec2d(self.x - other.x, self.y - other.y)

    def __mul__(self, k: float) -> Vec2d:
        return Vec2d(self.x * k, self.y * k)

    __rmul__ = __mul__

    def dot(self, other: Vec2d) -> float:
        return self.x * other.x + self.y * other.y

    def length(self) -> float:
        return math.hypot(self.x, self.y)

    def distance(self, other: Vec2d) -> float:
        return (self - other).length()

    def angle(self) -> float:
        """The direction in radians, from +x anticlockwise, in (-pi, pi]."""
        return math.atan2(self.y, self.x)

    @staticmethod
    def from_angle(angle: float, length: float = 1.0) -> Vec2d:
        return Vec2d(math.cos(angle) * length, math.sin(angle) * length)


@dataclass(frozen=True)
class Vehicle:
    """The ship: where it is, how fast it goes, where its nose points (radians)."""

    position: Vec2d
    velocity: Vec2d
    heading: float

    def update(self, action: int, dt: float = DT) -> Vehicle:
        """The ship ``dt`` seconds on, under ``action`` (0 nothing, 1 thrust, 2 left,
        3 right); any other action counts as nothing."""
        heading = self.heading + {LEFT: TURN_RATE, RIGHT: -TURN_RATE}.get(action, 0.0) * dt
        velocity = self.velocity
        if action == THRUST:
            velocity = velocity + Vec2d.from_angle(heading, ACCELERATION * dt)
        velocity = velocity * (1.0 - DRAG * dt)
        if velocity.length() > MAX_SPEED:
            velocity = velocity * (MAX_SPEED / velocity.length())
        return Vehicle(self.position + velocity * dt, velocity,
                       math.remainder(heading, 2 * math.pi))

    def as_dict(self) -> dict:
        return {"position": [self.position.x, self.position.y],
                "velocity": [self.velocity.x, self.velocity.y], "heading": self.heading}


def from_observation(observation: dict) -> tuple[Vehicle, Vec2d]:
    """The ship and its current target from the game's observation (``vehicle.observation``)."""
    ship = observation["ship"]
    vehicle = Vehicle(Vec2d(*ship["position"]), Vec2d(*ship["velocity"]), ship["heading"])
    return vehicle, Vec2d(*observation["target"])
