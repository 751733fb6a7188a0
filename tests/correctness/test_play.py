"""Game problems (``correctness/play.py``): a policy plays the toy corridor (tests/corridor.py)
through the real sandbox, one observation at a time, alone and through the referee; and the
harness-side driver reads a policy's answers defensively."""

from __future__ import annotations

import math

import pytest
from corridor import BEST, SEEDS, STAY, WALK, Corridor, length, problem, registered, rules

from codecrucible.correctness import calibrate, play
from codecrucible.correctness.expected import TimeLimits
from codecrucible.correctness.referee import Referee
from codecrucible.records import Status
from codecrucible.sandbox import wire


@pytest.fixture(scope="module", autouse=True)
def corridor():
    with registered():
        yield


@pytest.fixture(scope="module")
def referee(sandbox_pool):
    game = problem()
    tests = {game.task_id: play.task_tests(game)}
    referee = Referee({game.task_id: game}, tests, sandbox_pool, TimeLimits())
    yield referee
    referee.close()


def _judged(referee, code):
    [verdict] = referee.submit("Corridor/0", code).result().values()
    return verdict


def test_a_policy_that_walks_to_the_end_earns_every_cell(referee):
    verdict = _judged(referee, WALK)
    assert verdict.status is Status.PASSED, verdict
    assert math.isclose(verdict.score, BEST)
    assert verdict.tests_passed == verdict.tests_total == len(SEEDS)
    assert verdict.components == {
        "mean_return": BEST, "episodes": len(SEEDS), "played_out": len(SEEDS),
        "steps": sum(length(s) for s in SEEDS), "invalid_actions": 0, "timeouts": 0,
        **{f"seed_{s}": float(length(s)) for s in SEEDS}}


def test_an_episode_ends_at_the_step_cap(referee):
    verdict = _judged(referee, STAY)
    assert verdict.status is Status.PASSED and verdict.score == 0.0
    assert verdict.components["steps"] == 20 * len(SEEDS)


def test_a_policy_may_keep_state_within_an_episode(referee):
    # Two steps right, one back, and so on: it earns a new cell every third step.
    code = ("moves = 0\n"
            "def policy(observation):\n"
            "    global moves\n"
            "    moves += 1\n"
            "    return 'left' if moves % 3 == 0 else 'right'\n")
    verdict = _judged(referee, code)
    assert verdict.status is Status.PASSED and math.isclose(verdict.score, BEST)
    assert verdict.components["steps"] > sum(length(s) for s in SEEDS)


def test_a_non_action_ends_the_episode_and_earns_nothing_more(referee):
    verdict = _judged(referee, "def policy(observation):\n    return 'jump'\n")
    assert verdict.status is Status.FAILED and verdict.score == 0.0
    assert verdict.components["invalid_actions"] == len(SEEDS)
    assert verdict.first_failure == "seed 0, step 0: not an action: 'jump'"


def test_a_policy_that_raises_fails_with_what_it_raised(referee):
    code = ("def policy(observation):\n"
            "    if observation['position'] == 2:\n"
            "        raise KeyError('no')\n"
            "    return 'right'\n")
    verdict = _judged(referee, code)
    assert verdict.status is Status.FAILED and verdict.score == 2.0
    assert verdict.first_failure == "seed 0, step 2: the policy raised KeyError"


def test_a_policy_that_does_not_load_is_an_error(referee):
    verdict = _judged(referee, "def walk(observation):\n    return 'right'\n")
    assert verdict.status is Status.ERROR and verdict.score == 0.0
    assert "entry point 'policy' is not defined" in verdict.first_failure


def test_a_game_that_fails_ends_its_episode_not_the_harness(sandbox_pool):
    class Brittle(Corridor):
        def step(self, state, action):
            if state["position"] == 2:
                raise IndexError("off the map")
            return super().step(state, action)

    play.GAMES.add("brittle", Brittle())
    try:
        verdict = play.play(sandbox_pool, play.Rules("brittle", (0, 1), 20, 0.5), WALK)
    finally:
        play.GAMES.remove("brittle")
    assert verdict.status is Status.ERROR and verdict.score == 2.0
    assert verdict.first_failure == "seed 0, step 2: the game failed: IndexError: off the map"
    assert play.play(sandbox_pool, rules(), WALK).score == BEST  # the pool goes on


def test_playing_without_a_referee_gives_the_same_verdict(sandbox_pool, referee):
    alone = play.play(sandbox_pool, rules(), WALK)
    refereed = _judged(referee, WALK)
    assert (alone.status, alone.score, alone.components) == \
        (refereed.status, refereed.score, refereed.components)


def test_calibration_runs_nothing_for_a_game():
    class NoPool:  # anything run on it would fail the test
        def imap(self, *args):
            raise AssertionError("a game problem ran its reference")

    game = problem()
    tests = calibrate.calibrate([game], NoPool(), "corridor-test")[game.task_id]
    assert tests.suites == {"base": len(SEEDS)} and tests.error is None


@pytest.mark.parametrize("metadata, why", [
    ({"seeds": []}, "integer seeds"), ({"seeds": [1.5]}, "integer seeds"),
    ({"max_steps": 0}, "max_steps"), ({"max_steps": True}, "max_steps"),
    ({"step_s": -1}, "step_s"), ({"step_s": float("nan")}, "step_s"),
    ({"game": "chess"}, "unknown game 'chess' \\(known: .*corridor"), ({"game": 7}, "unknown")])
def test_rules_say_what_is_wrong(metadata, why):
    with pytest.raises(ValueError, match=why):
        rules(**metadata)


# ---------------------------------------------------------------- the driver, on its own
def _answer(index, action):
    return f"[{index},{wire.dumps(action)},null,0.0]"


def test_the_driver_sends_one_observation_per_answer():
    episode = play.Episode(Corridor(), seed=0, max_steps=20)
    first = episode([])
    assert wire.loads(first["observe"]) == {"position": 0, "length": 5}
    assert episode([]) is None                       # no answer yet: nothing to send
    second = episode([_answer(0, "right")])
    assert wire.loads(second["observe"]) == {"position": 1, "length": 5}
    assert episode([_answer(0, "right")]) is None    # the same lines again: nothing new
    assert episode.reward == 1.0 and episode.steps == 1


@pytest.mark.parametrize("line, why", [
    ("garbage", "an unreadable answer"),
    ('{"t":[0]}', "an unreadable answer"),
    ("[1,\"right\",null,0]", "an unreadable answer"),         # not this step's index
    ("[0,\"right\",null]", "an unreadable answer"),
    ('[0,{"x":"right"},null,0]', "an unreadable answer"),       # an unknown wire tag
    ("[0,7,null,0]", "not an action: a int"),
    ('[0,{"t":["right"]},null,0]', "not an action: a tuple"),
    ("[0,\"RIGHT\",null,0]", "not an action: 'RIGHT'"),
    ("[0,null,\"ValueError\",null]", "the policy raised ValueError"),
    ("[" * 100000 + "]" * 100000, "an unreadable answer"),
])
def test_the_driver_refuses_what_is_not_an_action(line, why):
    episode = play.Episode(Corridor(), seed=0, max_steps=20)
    episode([])
    assert episode([line]) == play.STOP
    assert (episode.end, episode.invalid, episode.reward) == (why, True, 0.0)
    assert episode([line, _answer(1, "right")]) is None   # over: nothing more is sent
