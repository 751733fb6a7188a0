"""The MinAtar games through our game seam: observations as labels, the minimal action sets,
a state used once, episodes the same for the same seed, side by side or alone, in process or
through the sandbox; the baselines replayed. Skipped where MinAtar is not installed (`make
minatar`), except what says so when it is not."""

from __future__ import annotations

import dataclasses

import pytest

from codecrucible.benchmarks.games import episode, minatar_games, minatar_policies
from codecrucible.correctness import play
from codecrucible.records import Problem

needs_minatar = pytest.mark.skipif(not minatar_games.available(),
                                   reason="MinAtar is not installed (make minatar)")
NAMES = ("minatar-asterix", "minatar-breakout", "minatar-freeway", "minatar-seaquest",
         "minatar-space-invaders")


def _played(game, actions, seed):
    """The observations and rewards of playing ``actions`` from ``reset(seed)``."""
    state, seen = game.reset(seed), []
    for action in actions:
        state, reward, done = game.step(state, action)
        seen.append((game.observation(state), reward, done))
    return seen


def _problem(name, **rules):
    metadata = {"game": name, "seeds": [0, 1], "max_steps": 40, "step_s": 0.5} | rules
    return Problem("MinAtar/0", "minatar-test", "def policy(observation):\n", "Play.",
                   "policy", "", check="score", metadata=metadata)


@needs_minatar
@pytest.mark.parametrize("name", NAMES)
def test_each_game_offers_minatars_minimal_action_set_by_name(name):
    from minatar import Environment
    game = minatar_games.games()[name]
    env = Environment(name.removeprefix("minatar-").replace("-", "_"))
    assert game.actions == tuple(minatar_games.ACTION_NAMES[i]
                                 for i in env.minimal_action_set())


@needs_minatar
@pytest.mark.parametrize("name", NAMES)
def test_the_observation_is_a_grid_of_channel_names(name):
    game = minatar_games.games()[name]
    state = game.reset(0)
    grid = game.observation(state)
    assert len(grid) == 10 and all(len(row) == 10 for row in grid)
    labels = {label for row in grid for cell in row for label in cell.split("+")}
    assert labels <= set(state.env.env.channels) | {minatar_games.EMPTY}
    assert minatar_games.EMPTY in labels and len(labels) > 1


@needs_minatar
def test_breakout_shows_its_paddle_on_the_bottom_row_and_its_bricks_above():
    grid = minatar_games.BREAKOUT.observation(minatar_games.BREAKOUT.reset(0))
    assert [r for r, _ in minatar_policies.where(grid, "paddle")] == [9]
    assert {r for r, _ in minatar_policies.where(grid, "brick")} == {1, 2, 3}


@needs_minatar
@pytest.mark.parametrize("name", NAMES)
def test_the_same_seed_and_answers_make_the_same_episode(name):
    game = minatar_games.games()[name]
    actions = [game.actions[(i * 7) % len(game.actions)] for i in range(60)]
    assert _played(game, actions, 3) == _played(game, actions, 3)


@needs_minatar
def test_seeds_make_different_episodes():
    game = minatar_games.ASTERIX
    assert _played(game, ["noop"] * 30, 0) != _played(game, ["noop"] * 30, 1)


@needs_minatar
def test_episodes_side_by_side_play_as_they_would_alone():
    game = minatar_games.SEAQUEST
    alone = [_played(game, ["down", "fire"] * 20, seed) for seed in (0, 1)]
    states, together = [game.reset(0), game.reset(1)], [[], []]
    for action in ["down", "fire"] * 20:
        for i in (0, 1):
            states[i], reward, done = game.step(states[i], action)
            together[i].append((game.observation(states[i]), reward, done))
    assert together == alone


@needs_minatar
def test_a_state_is_stepped_once():
    game = minatar_games.BREAKOUT
    first = game.reset(0)
    second, _, _ = game.step(first, "left")
    assert second is not first
    with pytest.raises(ValueError, match="stepped already"):
        game.step(first, "left")
    game.step(second, "right")  # the latest state goes on


@needs_minatar
def test_a_non_action_is_refused_before_the_game_sees_it():
    game = minatar_games.BREAKOUT
    state = game.reset(0)
    with pytest.raises(ValueError, match="noop, left, right"):
        game.step(state, "fire")
    game.step(state, "noop")  # the refused answer did not spend the state


@needs_minatar
def test_a_finished_game_stays_finished_and_earns_nothing():
    game = minatar_games.BREAKOUT
    ep = episode.play(game, lambda grid: "noop", 0)   # the ball is soon lost
    assert ep.done and ep.steps < game.max_steps
    assert game.step(ep.final, "left")[1:] == (0.0, True)


@needs_minatar
@pytest.mark.parametrize("name", NAMES)
def test_the_recorded_baselines_replay(name):
    game = minatar_games.games()[name]
    seeds = minatar_games.SEEDS
    recorded = minatar_policies.baselines()[name]
    heuristic = episode.mean_fitness(game, minatar_policies.HEURISTICS[name], seeds)
    uniform = episode.mean_fitness(game, episode.uniform_policy(game.actions), seeds)
    assert (uniform, heuristic) == pytest.approx((recorded["random"], recorded["heuristic"]))
    assert heuristic > uniform


FOLLOW = """def policy(observation):
    paddle = next(c for c, cell in enumerate(observation[9]) if 'paddle' in cell)
    ball = [c for row in observation for c, cell in enumerate(row) if 'ball' in cell]
    if not ball or ball[0] == paddle:
        return 'noop'
    return 'left' if ball[0] < paddle else 'right'
"""


@needs_minatar
def test_they_are_registered_and_play_through_the_sandbox_as_in_process(sandbox_pool):
    assert all(play.GAMES.get(name) is game for name, game in minatar_games.games().items())
    rules = play.Rules.of(_problem("minatar-breakout"))
    namespace: dict = {}
    exec(FOLLOW, namespace)  # our own policy, run here to compare: never a candidate's
    game = dataclasses.replace(minatar_games.BREAKOUT, max_steps=rules.max_steps)
    expected = episode.mean_fitness(game, namespace["policy"], list(rules.seeds))
    verdict = play.play(sandbox_pool, rules, FOLLOW)
    assert verdict.components["played_out"] == len(rules.seeds), verdict
    assert verdict.score == pytest.approx(expected) and expected > 0


def test_without_minatar_the_games_say_how_to_install_it(monkeypatch):
    monkeypatch.setattr(minatar_games, "available", lambda: False)
    assert minatar_games.references() == {}
    with pytest.raises(minatar_games.MinAtarMissing, match="make minatar"):
        minatar_games.games()
    monkeypatch.setattr(minatar_games, "_environment_class",
                        minatar_games._environment_class.__wrapped__)  # not the imported one
    with pytest.raises(minatar_games.MinAtarMissing, match="--no-deps minatar==1.0.15"):
        minatar_games.BREAKOUT.reset(0)
    assert minatar_games.unavailable("minatar-breakout") == minatar_games.MISSING
    assert minatar_games.unavailable("chess") is None
    assert minatar_games.unavailable(["minatar-breakout"]) is None
    registered = "minatar-breakout" in play.GAMES.names()
    play.GAMES.remove("minatar-breakout")
    try:
        with pytest.raises(ValueError, match="MinAtar/0: the MinAtar games need .* make minatar"):
            play.Rules.of(_problem("minatar-breakout"))
    finally:
        if registered:
            play.GAMES.add("minatar-breakout", "codecrucible.benchmarks.games.minatar_games:"
                                               "BREAKOUT")
