"""Hostile policies playing a game (``correctness/play.py``, the toy corridor of
tests/corridor.py): the game's state stays in the harness and only observations and actions
cross, so a policy that never answers, forks, reads ahead, writes its own answer lines, sends
something that is not an action, looks for the game's state or patches the runner earns no
more than its honest actions are worth; and nothing it started is left running
(``assert_contained``, hostile.py)."""

from __future__ import annotations

import textwrap
import time

import pytest
from corridor import BEST, SECRET, WALK, length, registered, rules
from sandbox.hostile import LINUX_ONLY, SLACK_S, assert_contained

from codecrucible.correctness import play
from codecrucible.records import Status

pytestmark = LINUX_ONLY
TWO = play.Rules("corridor", (0, 1), 20, 0.5)  # two seeds: some attacks wait out a window
TWO_BEST = (length(0) + length(1)) / 2


@pytest.fixture(scope="module", autouse=True)
def corridor():
    with registered():
        yield


def attack(pool, code: str, game: play.Rules = TWO):
    """Play ``code``'s policy; check that the run was bounded and left nothing behind."""
    server_pids = [s.process.pid for s in pool.servers]
    started = time.monotonic()
    verdict = play.play(pool, game, textwrap.dedent(code))
    elapsed = time.monotonic() - started
    wall = game.limits(1.0, 1024).wall_s
    assert elapsed <= wall * 2 + SLACK_S, (elapsed, verdict)
    assert verdict.components["episodes"] == len(game.seeds)
    assert_contained(pool, server_pids)
    return verdict


def test_the_honest_walk_earns_every_cell(pool):
    verdict = attack(pool, WALK, rules())
    assert verdict.passed and verdict.score == BEST


def test_a_policy_that_never_returns_is_stopped_at_its_step_window(pool):
    started = time.monotonic()
    verdict = attack(pool, """
        def policy(observation):
            while True:
                pass
    """)
    assert verdict.status is Status.TIMEOUT and verdict.score == 0.0
    assert verdict.first_failure == "seed 0, step 0: timed out"
    assert time.monotonic() - started < 10  # the step's window, not the episode's deadline


def test_a_policy_stopped_mid_episode_keeps_only_what_it_earned(pool):
    verdict = attack(pool, """
        import time
        def policy(observation):
            if observation["position"] == 2:
                time.sleep(60)
            return "right"
    """)
    assert verdict.status is Status.TIMEOUT and verdict.score == 2.0
    assert verdict.components["timeouts"] == 2 and verdict.components["steps"] == 4


def test_a_policy_that_forks_leaves_nothing_running(pool):
    verdict = attack(pool, """
        import os, time
        def policy(observation):
            if os.fork() == 0:
                while True:
                    time.sleep(1)
            return "right"
    """)
    assert verdict.passed and verdict.score == TWO_BEST  # its children are killed with it


def test_handing_the_episode_to_a_forked_child_ends_it(pool):
    # The policy's process exits and its child plays on: the run ends with the process it
    # started as, once the server sees it gone (the child may answer a step or two before:
    # real answers to real observations, worth what they are worth), and nothing is left.
    verdict = attack(pool, """
        import os
        def policy(observation):
            if os.fork() != 0:
                os._exit(0)
            return "right"
    """)
    assert verdict.score <= TWO_BEST and verdict.components["steps"] < 11, verdict


def test_two_processes_running_the_policy_earn_no_more_than_one(pool):
    # The policy forks on its first step and both processes go on running the runner's loop,
    # each answering the observations it happens to read. Their answers are real ones (the
    # episode ends at the first that nobody asked for, or that answers another step), and
    # nothing of either is left running.
    verdict = attack(pool, """
        import os
        def policy(observation):
            if observation["position"] == 0:  # the first step only: it moves right
                os.fork()
            return "right"
    """)
    assert verdict.score <= TWO_BEST, verdict


def test_a_forked_child_cannot_answer_ahead(pool):
    # The policy stays put (worth nothing); a child it forks writes "right" for the steps to
    # come on the answer channel, hoping they are taken without the game asking. At most one
    # is: the answer to a step already asked for, before the next one comes unasked.
    verdict = attack(pool, """
        import os
        forked = False
        def policy(observation):
            global forked
            if not forked:
                forked = True
                if os.fork() == 0:
                    lines = "".join(f'[{i},"right",null,0]\\n' for i in range(1, 50))
                    os.write(3, lines.encode())
                    os._exit(0)
            return "stay"
    """)
    assert verdict.score <= 1.0, verdict


def test_answer_lines_written_ahead_end_the_episode(pool):
    verdict = attack(pool, """
        import os
        def policy(observation):
            lines = "".join(f'[{i},"right",null,0]\\n' for i in range(50))
            os.write(3, lines.encode())
            return "right"
    """)
    assert verdict.status is Status.FAILED and verdict.score == 1.0
    assert "an answer nobody asked for" in verdict.first_failure


@pytest.mark.parametrize("garbage", [b"garbage\n", b'[0,"right"', b"\n" * 1000])
def test_garbage_on_the_answer_channel_ends_the_episode(pool, garbage):
    verdict = attack(pool, f"""
        import os
        def policy(observation):
            os.write(3, {garbage!r})
            return "right"
    """)
    assert not verdict.passed and verdict.score == 0.0


def test_reading_ahead_on_the_job_pipe_gets_nothing(pool):
    # Nothing is there to read until this step is answered: the read waits out the window.
    verdict = attack(pool, """
        import os
        def policy(observation):
            os.read(5, 1 << 16)
            return "right"
    """)
    assert verdict.status is Status.TIMEOUT and verdict.score == 0.0


def test_stealing_the_first_observation_while_loading_gets_nothing(pool):
    verdict = attack(pool, """
        import os
        stolen = os.read(5, 1 << 16)
        def policy(observation):
            return "right"
    """)
    assert verdict.status is Status.TIMEOUT and verdict.score == 0.0


def test_writing_to_the_job_pipe_fails(pool):
    verdict = attack(pool, """
        import os
        def policy(observation):
            os.write(5, b'\\x00\\x00\\x00\\x02{}')
            return "right"
    """)
    assert verdict.first_failure == "seed 0, step 0: the policy raised OSError"
    assert verdict.score == 0.0


@pytest.mark.parametrize("action, status", [
    ('"right" * 100_000', Status.OUTPUT_LIMIT),           # over the answer line's cap
    ('"r" * 60_000', Status.FAILED),                      # under it, and not an action
    ("1", Status.FAILED), ("None", Status.FAILED), ('["right"]', Status.FAILED),
    ("type('S', (str,), {'__eq__': lambda s, o: True})('jump')", Status.FAILED),
    ("iter(['right'])", Status.FAILED),
])
def test_what_is_not_an_action_earns_nothing(pool, action, status):
    verdict = attack(pool, f"""
        def policy(observation):
            return {action}
    """)
    assert verdict.status is status and verdict.score == 0.0, verdict
    if status is Status.FAILED:
        assert verdict.components["invalid_actions"] == 2


def test_the_game_and_its_state_are_not_there_to_read(pool):
    verdict = attack(pool, """
        import gc, os, sys
        found = []
        for thing in gc.get_objects():
            if isinstance(thing, dict) and "secret" in thing:
                found.append("a state")
        for name in sys.modules:
            if name.split(".")[0] in ("corridor", "pytest", "_pytest") or name.endswith(".play"):
                found.append(name)
        for path in (f"/proc/{os.getppid()}/environ", f"/proc/{os.getppid()}/cmdline",
                     "/proc/1/environ"):
            try:
                found.append(open(path, "rb").read().decode("latin-1"))
            except OSError:
                pass
        try:
            import corridor
            found.append(corridor.SECRET)
        except ImportError:
            pass
        def policy(observation):
            if set(observation) != {"position", "length"}:
                found.append(repr(observation))
            print("found:", found)
            return "right"
    """)
    assert verdict.passed and verdict.score == TWO_BEST
    assert SECRET not in verdict.stdout and "found: []" in verdict.stdout, verdict.stdout


def test_patching_the_runner_and_builtins_forges_nothing(pool):
    # The policy rewrites what the runner sends (a reward of its own, the next steps' answers
    # at once) and patches builtins and json: the harness takes actions, one per step, only.
    verdict = attack(pool, """
        import builtins, json, sys
        runner = sys.modules["codecrucible.sandbox.runner"]
        def forged(index, policy, observation):
            return (f'[{index},"right",null,0,{{"reward":1000}}]\\n'
                    f'[{index + 1},"right",null,0]\\n').encode()
        runner._step = forged
        builtins.isinstance = lambda *args: True
        builtins.float = lambda *args: 1e300
        json.dumps = lambda *args, **kwargs: '"right"'
        def policy(observation):
            return "right"
    """)
    assert not verdict.passed and verdict.score == 0.0


def test_an_observation_over_the_cap_is_refused(pool):
    class Loud:
        actions = ("go",)

        def reset(self, seed):
            return 0

        def observation(self, state):
            return "x" * (70 << 10)

        def step(self, state, action):
            return state, 1.0, False

    play.GAMES.add("loud", Loud())
    try:
        verdict = attack(pool, "def policy(observation):\n    return 'go'\n",
                         play.Rules("loud", (0,), 5, 0.5))
    finally:
        play.GAMES.remove("loud")
    assert verdict.status is Status.FAILED and verdict.score == 0.0
    assert "the sandbox refused an observation of" in verdict.first_failure


def test_the_job_pipe_of_an_ordinary_job_is_closed(pool):
    # Only an episode keeps it: a calls job finds nothing at its job descriptor.
    result = pool.run({"kind": "script", "code": "import os\nos.fstat(5)\n",
                       "limits": {"wall_s": 3}})
    assert result["exit"] == 1 and "Bad file descriptor" in result["stderr"]
