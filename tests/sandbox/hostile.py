"""What the hostile-program tests share (test_hostile_*.py, one file per kind of attack;
their fixtures are in conftest.py). Hostile programs run against the fork-server sandbox (see
notes/sandbox.md section 3).

Every attack runs through a real ``SandboxPool`` and asserts an outcome. ``calls`` jobs are
judged the way ``crucible eval`` judges them: the fork server only returns the values the
candidate produced (``frames``); ``codecrucible.correctness.scoring`` compares them with the
expected answers in the harness, which never leave it (``judged`` below). After each attack
``run_hostile`` checks that:

1. the pool still works: a trivial ``calls`` job on every slot is judged ``["ok"]``, and the
   fork servers are the same processes as before (none died or had to be replaced);
2. nothing the attack started is still running: no live process owns one of this pool's
   sandbox uids (checked when the harness runs as root, where the uids are dropped to);
3. the run ended within generous bounds of its wall limit (always, root or not).

Sandbox uids are ``1_000_000 + (harness pid % 4_000_000) * 64 + slot``, unique to this pytest
process, so any live process owning one was started by this session's sandboxes: other test
sessions running their own pools on the same host cannot confuse the check. Each slot's uid
comes from its server's hello (``server.info["uid"]``).

Weaknesses that remain are kept as ``xfail(strict=True)`` tests in test_hostile_weaknesses.py
(and, for a pool run by an ordinary user, at the end of test_hostile_non_root.py): they pass
today by failing, and turn red (XPASS) once fixed so that the marker gets removed.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from codecrucible.correctness import scoring
from codecrucible.correctness.expected import TaskTests
from codecrucible.records import Problem
from codecrucible.sandbox import SandboxPool

LINUX_ONLY = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the sandbox is Linux-only")

IS_ROOT = os.geteuid() == 0
SECRET_VALUE = f"hunter2-{uuid.uuid4().hex}"
LIMITS = {"wall_s": 3, "cpu_s": 2, "memory_mb": 256, "output_bytes": 1 << 20, "file_mb": 16,
          "processes": 32}
SLACK_S = 5.0  # "killed within wall_s + 5": generous, never a speed assertion
PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROBLEM = Problem(task_id="T/0", benchmark="t", prompt="", instruction="", entry_point="f",
                  reference="")

# A task whose answers the candidate cannot know: fresh random inputs for every session. The
# expected answers live only in TASK_TESTS, in this process; no job carries them.
RNG = random.Random()
XS = [RNG.randrange(10**6, 10**9) for _ in range(3)]
ANSWERS = [x * x + 7 for x in XS]
TESTS = [json.dumps({"t": [x]}) for x in XS]
TASK_TESTS = TaskTests(suites={"base": len(TESTS)}, args=TESTS,
                       expected=[json.dumps([a, None]) for a in ANSWERS],
                       ref_s=[0.0] * len(TESTS), oracles=None)
HONEST = "def f(x):\n    return x * x + 7\n"

TRIVIAL_TESTS = TaskTests(suites={"base": 1}, args=['{"t":[1,2]}'], expected=["[3,null]"],
                          ref_s=[0.0], oracles=None)
TRIVIAL = {"kind": "calls", "code": "def f(a, b):\n    return a + b\n", "entry": "f",
           "tests": TRIVIAL_TESTS.args, "limits": LIMITS, "test_limits": [1.0]}


def script(code: str, **limits) -> dict:
    return {"kind": "script", "code": textwrap.dedent(code), "limits": {**LIMITS, **limits}}


def calls(code: str, **limits) -> dict:
    """A ``calls`` job on TASK_TESTS: inputs only, never an expected answer."""
    return {"kind": "calls", "code": textwrap.dedent(code), "entry": "f", "tests": TESTS,
            "limits": {**LIMITS, **limits}, "test_limits": [1.0] * len(TESTS)}


def judged(result: dict, tests: TaskTests = TASK_TESTS) -> list[str]:
    """The harness-side outcomes of a ``calls`` result, one per test answered, as
    ``crucible eval`` computes them. ``judge.verdicts`` runs too, so a result that would crash
    it, or that it would score differently from the outcomes, fails the test."""
    outcomes = scoring.outcomes(result.get("frames", []), tests, PROBLEM)
    verdict = scoring.verdicts(result, tests, PROBLEM)["base"]
    all_ok = outcomes == ["ok"] * tests.total
    assert verdict.passed == all_ok, (verdict, outcomes)
    assert verdict.tests_passed == outcomes.count("ok"), (verdict, outcomes)
    return outcomes


def run_calls(sandbox: SandboxPool, code: str, **limits) -> tuple[dict, list[str]]:
    """Run ``code`` as a hostile ``calls`` job on TASK_TESTS; the result and its outcomes."""
    result = run_hostile(sandbox, calls(code, **limits))
    return result, judged(result)


def not_a_pass(outcomes: list[str]) -> bool:
    return len(outcomes) < len(TESTS) or any(o != "ok" for o in outcomes)


def sandbox_uids(sandbox: SandboxPool) -> set[int]:
    return {s.info["uid"] for s in sandbox.servers if s.info.get("uid") is not None}


def process_table() -> dict[int, tuple[int, int, str, int]]:
    """pid -> (ppid, uid, state, seconds since start), from ``ps``."""
    out = subprocess.run(["ps", "-eo", "pid=,ppid=,uid=,stat=,etimes="], capture_output=True,
                         text=True, check=True).stdout
    table = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 5:
            pid, ppid, uid, stat, age = fields
            table[int(pid)] = (int(ppid), int(uid), stat, int(age))
    return table


def leftover_processes(uids: set[int]) -> list[str]:
    """Live (non-zombie) processes owned by any of ``uids``, wherever they are in the tree."""
    return [f"pid {pid} uid {uid} ppid {ppid} state {stat} age {age}s"
            for pid, (ppid, uid, stat, age) in process_table().items()
            if uid in uids and not stat.startswith("Z")]


def assert_contained(sandbox: SandboxPool, server_pids: list[int]) -> None:
    # (1) every slot still answers a trivial job, on the same server process as before
    results = dict(sandbox.imap([(slot, TRIVIAL) for slot in range(len(sandbox.servers))]))
    for slot, result in results.items():
        assert "sandbox_error" not in result, result
        assert judged(result, TRIVIAL_TESTS) == ["ok"], (slot, result)
    assert [s.process.pid for s in sandbox.servers] == server_pids, "a fork server was replaced"
    assert all(s.process.poll() is None for s in sandbox.servers), "a fork server died"
    # (2) nothing left behind
    uids = sandbox_uids(sandbox)
    if IS_ROOT:
        assert len(uids) == len(sandbox.servers), "the uid layer is off"
        deadline = time.monotonic() + 2.0
        while (left := leftover_processes(uids)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not left, f"sandbox processes left behind: {left}"


def run_hostile(sandbox: SandboxPool, job: dict) -> dict:
    """Run one hostile job, check the containment invariants, return the result."""
    assert "expected" not in job  # the sandbox is never told the answers
    server_pids = [s.process.pid for s in sandbox.servers]
    started = time.monotonic()
    result = sandbox.run(job)
    elapsed = time.monotonic() - started
    assert "sandbox_error" not in result, result
    assert not {"outcomes", "first_failure", "passed"} & set(result), "the server judged"
    # (3) bounded: the wall limit held (whatever the uid)
    assert elapsed <= job["limits"]["wall_s"] + SLACK_S, (elapsed, result)
    assert result["wall_s"] <= job["limits"]["wall_s"] + SLACK_S, result
    assert_contained(sandbox, server_pids)
    return result


def lines(result: dict) -> list[str]:
    return result["stdout"].splitlines()


def write_frame_code(frame: str | bytes) -> str:
    data = frame if isinstance(frame, bytes) else frame.encode()
    # Written from inside the entry point: once the program has loaded, the next line on the
    # result channel is taken as the first answer.
    return f"""
        import os
        def f(x):
            os.write(3, {data!r} + b"\\n")
            return 0
    """
