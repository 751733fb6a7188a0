"""Hostile programs: the known weaknesses (see sandbox/hostile.py for the policy)."""

from __future__ import annotations

import os

import pytest
from sandbox.hostile import (
    LIMITS,
    LINUX_ONLY,
    PROBLEM,
    TASK_TESTS,
    calls,
    judged,
    run_hostile,
    script,
    write_frame_code,
)

from codecrucible.correctness import scoring

pytestmark = LINUX_ONLY

# ---------------------------------------------------------------- known weaknesses
# Each is a real gap; see the module docstring for the policy.

@pytest.mark.skipif(os.geteuid() != 0, reason="the memory cgroup needs root here")
def test_memory_limit_covers_the_whole_job(pool):
    # Each child allocates 150 MB, says so with its index, and waits. A child counts as holding
    # its block at the moment the parent looks only if it said so and is still alive then (one
    # the memory limit killed after it spoke is not): those held their blocks at once.
    result = run_hostile(pool, script("""
        import os, time
        r, w = os.pipe()
        hold_r, hold_w = os.pipe()  # children hold their block until this closes
        kids = []
        for index in range(4):
            pid = os.fork()
            if pid == 0:
                try:
                    os.close(hold_w)
                    block = b"\\1" * (150 << 20)
                    os.write(w, bytes([index]))
                    os.read(hold_r, 1)  # all four hold at once, however slow the machine
                finally:
                    os._exit(0)
            kids.append(pid)
        time.sleep(2)
        os.set_blocking(r, False)
        try:
            ready = set(os.read(r, 64))
        except BlockingIOError:
            ready = set()
        alive = {i for i, pid in enumerate(kids) if os.waitpid(pid, os.WNOHANG) == (0, 0)}
        os.close(hold_w)
        for i, pid in enumerate(kids):
            if i in alive:
                os.waitpid(pid, 0)
        print("held_mb", 150 * len(ready & alive), flush=True)
    """, wall_s=8))
    held = int(result["stdout"].split()[1])
    assert held <= LIMITS["memory_mb"], f"{held} MB held at once under memory_mb=256"


@pytest.mark.parametrize("frame", ['[0,{"c":[1]},null,null]', '[0,{"c":[]},null,null]'])
def test_complex_with_a_missing_part_is_a_bad_frame(pool, frame):
    result = run_hostile(pool, calls(write_frame_code(frame)))
    assert judged(result)[0] == "bad frame"


@pytest.mark.parametrize("frame", ['{"t":[0,5,null,null]}',
                                   '{"d":[[0,0],[5,0],[null,0],["x",0]]}'])
def test_a_frame_that_is_not_a_list_is_a_bad_frame(pool, frame):
    result = run_hostile(pool, calls(write_frame_code(frame)))
    assert scoring.outcomes(result["frames"], TASK_TESTS, PROBLEM)[0] == "bad frame"
    assert judged(result)[0] == "bad frame"
