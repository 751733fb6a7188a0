"""The ship simulator's physics and its use as lookahead, the driving game's episodes and its
fitness formula, the simulator's source standing alone, and the baselines: the greedy
lookahead reaches targets, the random policy hardly any."""

from __future__ import annotations

import ast
import importlib
import json
import math
import sys
from dataclasses import FrozenInstanceError, replace

import pytest

from codecrucible.benchmarks.games import episode, vehicle
from codecrucible.benchmarks.games.vehicle_sim import (
    DRAG,
    DT,
    LEFT,
    MAX_SPEED,
    NOTHING,
    RIGHT,
    THRUST,
    Vec2d,
    Vehicle,
)

AT_REST = Vehicle(Vec2d(0.0, 0.0), Vec2d(0.0, 0.0), 0.0)


def test_vectors_add_scale_and_measure():
    a, b = Vec2d(3.0, 4.0), Vec2d(1.0, -1.0)
    assert a + b == Vec2d(4.0, 3.0) and a - b == Vec2d(2.0, 5.0)
    assert 2 * a == a * 2 == Vec2d(6.0, 8.0)
    assert a.length() == 5.0 and a.dot(b) == -1.0 and b.distance(a) == math.hypot(2, 5)
    assert Vec2d.from_angle(math.pi / 2, 2.0).y == pytest.approx(2.0)
    assert Vec2d(0.0, 1.0).angle() == pytest.approx(math.pi / 2)


def test_update_returns_a_new_ship_and_leaves_the_old_one():
    ship = AT_REST.update(THRUST)
    assert AT_REST == Vehicle(Vec2d(0.0, 0.0), Vec2d(0.0, 0.0), 0.0) and ship != AT_REST
    with pytest.raises(FrozenInstanceError):
        ship.heading = 1.0


def test_thrust_accelerates_along_the_heading_and_drag_slows():
    ship = AT_REST.update(THRUST)
    assert ship.velocity.x > 0 and ship.velocity.y == 0 and ship.position.x > 0
    coasting = ship.update(NOTHING)
    assert coasting.velocity.x == pytest.approx(ship.velocity.x * (1 - DRAG * DT))


def test_left_turns_anticlockwise_right_clockwise_and_a_non_action_does_nothing():
    assert AT_REST.update(LEFT).heading > 0 > AT_REST.update(RIGHT).heading
    assert AT_REST.update(7) == AT_REST.update(NOTHING)
    ship = AT_REST
    for _ in range(25):
        ship = ship.update(LEFT)
    assert -math.pi <= ship.heading <= math.pi


def test_speed_is_capped():
    ship = replace(AT_REST, velocity=Vec2d(10 * MAX_SPEED, 0.0))
    assert ship.update(THRUST).velocity.length() == pytest.approx(MAX_SPEED)


def test_the_simulator_source_stands_alone_and_runs_the_same(tmp_path, monkeypatch):
    tree = ast.parse(vehicle.SIMULATOR_SOURCE)
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported == {"__future__", "math", "dataclasses"}
    # What the candidate gets is exactly this code; imported on its own it agrees with ours.
    (tmp_path / "shipped_sim.py").write_text(vehicle.SIMULATOR_SOURCE)
    monkeypatch.syspath_prepend(tmp_path)
    shipped = importlib.import_module("shipped_sim")
    monkeypatch.delitem(sys.modules, "shipped_sim")
    obs = vehicle.observation(vehicle.reset(3))
    theirs, _ = shipped.from_observation(obs)
    ours, _ = vehicle.from_observation(obs)
    for action in (THRUST, LEFT, THRUST, RIGHT, NOTHING):
        theirs, ours = theirs.update(action), ours.update(action)
    assert (theirs.position.x, theirs.position.y) == (ours.position.x, ours.position.y)


def test_reset_is_seeded_and_spreads_the_targets():
    state = vehicle.reset(5)
    assert state == vehicle.reset(5) and state != vehicle.reset(6)
    assert len(state.targets) == vehicle.TARGETS and state.reached == 0
    points = [state.ship.position, *state.targets]
    assert all(a.distance(b) >= vehicle.MIN_LEG for a, b in zip(points, points[1:], strict=False))
    assert all(0 <= p.x <= vehicle.ARENA and 0 <= p.y <= vehicle.ARENA for p in points)


def test_the_observation_is_plain_json_and_rebuilds_the_ship():
    state = vehicle.step(vehicle.reset(0), "1")[0]
    obs = vehicle.observation(state)
    assert json.loads(json.dumps(obs)) == obs
    ship, target = vehicle.from_observation(obs)
    assert ship == state.ship and target == state.targets[0]


def test_reaching_a_target_rewards_one_and_shows_the_next():
    state = vehicle.reset(0)
    near = Vehicle(state.targets[0] + Vec2d(vehicle.RADIUS + 0.01, 0.0), Vec2d(-10.0, 0.0), 0.0)
    state = replace(state, ship=near)
    after, reward, done = vehicle.step(state, "0")
    assert (after.reached, reward, done) == (1, 1.0, False)
    assert after.leg == pytest.approx(after.ship.position.distance(state.targets[1]))


def test_the_last_target_ends_the_episode():
    state = vehicle.reset(0)
    last = replace(state, reached=vehicle.TARGETS - 1,
                   ship=replace(state.ship, position=state.targets[-1]))
    after, reward, done = vehicle.step(last, "0")
    assert (after.reached, reward, done) == (vehicle.TARGETS, 1.0, True)
    assert vehicle.step(after, "1") == (after, 0.0, True)


def test_a_non_action_is_refused():
    with pytest.raises(ValueError, match="an action is one of"):
        vehicle.step(vehicle.reset(0), "thrust")


def ending(state):
    return episode.Episode(seed=0, steps=1, total_reward=0.0, done=False, final=state)


def test_fitness_counts_targets_and_the_share_of_the_leg_covered():
    state = vehicle.reset(0)
    assert vehicle.fitness(ending(state)) == pytest.approx(0.0)
    target = state.targets[0]
    halfway = state.ship.position + (target - state.ship.position) * 0.5
    assert vehicle.fitness(ending(replace(state, ship=replace(state.ship, position=halfway)))) \
        == pytest.approx(0.5)
    away = state.ship.position - (target - state.ship.position)
    assert vehicle.fitness(ending(replace(state, ship=replace(state.ship, position=away)))) == 0
    two = replace(state, reached=2, leg=40.0,
                  ship=replace(state.ship, position=state.targets[2] + Vec2d(10.0, 0.0)))
    assert vehicle.fitness(ending(two)) == pytest.approx(2.75)
    done = replace(state, reached=vehicle.TARGETS)
    assert vehicle.fitness(ending(done)) == vehicle.TARGETS


def test_the_greedy_lookahead_reaches_targets_and_random_hardly_moves():
    seeds = list(range(5))
    greedy = episode.mean_fitness(vehicle.GAME, vehicle.greedy_policy, seeds)
    random = episode.mean_fitness(vehicle.GAME, vehicle.random_policy(0), seeds)
    assert greedy > 3 and random < 1
