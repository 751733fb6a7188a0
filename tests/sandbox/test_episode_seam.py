"""The episode seam on its own (``jobs.episode_job``, ``Watch``, ``ForkServer.send``): drivers
written here, no game. A step's window opens when its observation is forwarded and closes at
its answer; loading and the harness's own time count against other limits; the server refuses
what breaks the one-at-a-time protocol; a message that crosses the end of its job is not taken
for the next job."""

from __future__ import annotations

import time

import pytest
from sandbox.hostile import LINUX_ONLY, assert_contained

from codecrucible.sandbox import jobs, wire

pytestmark = LINUX_ONLY
ECHO = "def policy(observation):\n    return observation\n"
LIMITS = jobs.Limits(wall_s=10, load_s=2, cpu_s=10, memory_mb=256)


class Steps:
    """A driver sending ``count`` observations (0, 1, ...), each once the last is answered,
    then stop; ``pause`` seconds of the harness's own time before each."""

    def __init__(self, count: int, pause: float = 0.0):
        self.count, self.pause, self.sent = count, pause, 0

    def __call__(self, lines: list[str]) -> dict | None:
        if len(lines) < self.sent:
            return None
        time.sleep(self.pause)
        if self.sent == self.count:
            return {"stop": True}
        self.sent += 1
        return {"observe": wire.dumps(self.sent - 1)}


def episode(code: str = ECHO, step_s: float = 0.5, driver=None, limits=LIMITS) -> dict:
    return jobs.with_driver(jobs.episode_job("policy", limits, step_s=step_s, code=code),
                            driver or Steps(3))


def values(result: dict) -> list:
    return [wire.loads(line)[1] for line in result["frames"]]


def run(pool, job: dict) -> dict:
    server_pids = [s.process.pid for s in pool.servers]
    result = pool.run(job)
    assert "sandbox_error" not in result, result
    assert_contained(pool, server_pids)
    return result


def test_each_observation_is_answered_in_turn(pool):
    result = run(pool, episode())
    assert values(result) == [0, 1, 2]
    assert result["stopped_early"] and not result["timed_out"]


def test_the_harness_time_between_steps_is_not_the_policys(pool):
    # 0.3 s of the harness's own per step, against step windows of 0.1 s
    result = run(pool, episode(step_s=0.1, driver=Steps(3, pause=0.3)))
    assert values(result) == [0, 1, 2] and not result["timed_out"]


def test_loading_has_its_own_allowance(pool):
    slow = "import time\ntime.sleep(0.5)\n" + ECHO
    result = run(pool, episode(slow, step_s=0.1))
    assert values(result) == [0, 1, 2] and not result["timed_out"]


def test_a_slow_step_is_stopped_at_its_window(pool):
    slow = "import time\ndef policy(observation):\n    time.sleep(observation)\n    return 0\n"
    started = time.monotonic()
    result = run(pool, episode(slow, step_s=0.5, driver=Steps(3)))
    assert result["timed_out"] and values(result) == [0]   # step 1 sleeps past 0.5 s
    assert time.monotonic() - started < 5


def test_the_hard_deadline_caps_the_episode(pool):
    limits = jobs.Limits(wall_s=1, load_s=1, cpu_s=5, memory_mb=256)
    result = run(pool, episode(driver=Steps(100, pause=0.05), limits=limits))
    assert result["timed_out"] and 0 < len(result["frames"]) < 100


def test_a_second_observation_before_the_answer_is_refused(pool):
    server = pool.servers[0]  # pool.run hands its job to the first idle server
    slow = "import time\ndef policy(observation):\n    time.sleep(0.2)\n    return 0\n"

    def twice(lines):
        if lines:
            return {"stop": True}
        server.send({"observe": wire.dumps(0)})  # one more, beside the driver's own
        return {"observe": wire.dumps(1)}

    result = run(pool, episode(slow, driver=twice))
    assert result["refused"] == "an observation sent before the last one was answered"


@pytest.mark.parametrize("observe, why", [
    ("x" * (70 << 10), "an observation of"), (7, "an observation that is not wire text")])
def test_what_is_not_an_observation_is_refused(pool, observe, why):
    def driver(lines):
        return {"observe": observe} if not lines else {"stop": True}

    result = run(pool, episode(driver=driver))
    assert result["refused"].startswith(why) and result["frames"] == []


def test_an_answer_then_an_exit_leaves_the_next_job_unharmed(pool):
    # The driver's next observation reaches the server after the job ended: it is dropped,
    # not run as a job (run() then checks every slot with a fresh job).
    code = ("import os\n"
            "def policy(observation):\n"
            "    os.write(3, b'[0,0,null,null]\\n')\n"
            "    os._exit(0)\n")
    result = run(pool, episode(code, driver=Steps(5)))
    assert result["exit"] == 0 and len(result["frames"]) == 1
