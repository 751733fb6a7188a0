"""Nothing that reaches a candidate may help it pass (DESIGN.md, rule 2).

The kernel layers stop a candidate from writing, signalling or connecting; these tests attack
what a candidate is *given*: the memory it inherits from its fork server, and the files it can
see. Each attack is a program that would pass if the hole were open, and each test also runs
a positive control showing that the attack works where the answer really is.
"""

from __future__ import annotations

import hashlib
import sys
import textwrap
import uuid

import pytest

from codecrucible.calibrate import TimeLimits, calibrate
from codecrucible.judging import Judge
from codecrucible.records import Problem
from codecrucible.sandbox import REFERENCES, SandboxConfig, SandboxError, SandboxPool, reference_job

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the sandbox is Linux-only")

# Scans the process's own readable memory for ``leak-`` and 32 hex digits whose sha256 is
# DIGEST, at load time (the scan takes longer than a test's window); f returns what it found
# followed by its argument, which is exactly the reference's answer.
SCANNER = """
import hashlib, os, re

def _scan():
    with open("/proc/self/maps") as maps:
        regions = [line.split() for line in maps]
    fd = os.open("/proc/self/mem", os.O_RDONLY)
    for fields in regions:
        if not fields[1].startswith("r") or (len(fields) > 5 and fields[5].startswith("[v")):
            continue
        start, end = (int(v, 16) for v in fields[0].split("-"))
        for at in range(start, end, 1 << 20):
            try:
                data = os.pread(fd, min(end - at, (1 << 20) + 64), at)
            except OSError:
                break
            for match in re.finditer(rb"leak-[0-9a-f]{32}", data):
                if hashlib.sha256(match.group()).hexdigest() == DIGEST:
                    return match.group().decode()
    return None

FOUND = _scan()

def f(x):
    return None if FOUND is None else FOUND + str(x)
"""


@pytest.fixture
def leaky_task():
    secret = f"leak-{uuid.uuid4().hex}"
    problem = Problem(task_id="Leak/0", benchmark="leak", prompt="", instruction="",
                      entry_point="f", reference=f"def f(x):\n    return {secret!r} + str(x)\n",
                      inputs={"base": [(1,), (2,)]})
    scanner = f"DIGEST = {hashlib.sha256(secret.encode()).hexdigest()!r}\n" + SCANNER
    return problem, scanner


def test_a_candidate_server_never_held_an_expected_answer(leaky_task):
    problem, scanner = leaky_task
    # /proc is opened for the scan (as it is for TensorFlow and scikit-learn problems).
    config = SandboxConfig(read_only=("/proc",))
    limits = TimeLimits(floor_s=5.0, load_s=30.0)
    with SandboxPool(1, config, role=REFERENCES) as references, SandboxPool(1, config) as pool:
        tests = calibrate([problem], references, uuid.uuid4().hex)
        assert not tests[problem.task_id].error, tests
        referee = Judge({problem.task_id: problem}, tests, pool, limits, references=references)
        try:
            verdict = referee.submit(problem.task_id, scanner).result(timeout=120)["base"]
        finally:
            referee.close()
        assert not verdict.passed, verdict
        # Positive control: on a server that did run the reference, the same scan finds the
        # answer in memory the server freed long ago, so the scan above could have found it.
        job = {"kind": "calls", "code": scanner, "entry": "f", "tests": ['{"t":[1]}'],
               "limits": {"wall_s": 60, "load_s": 60, "cpu_s": 60, "memory_mb": 1024},
               "test_limits": [5.0]}
        leaked = references.run(reference_job(job))
        assert "leak-" in leaked["frames"][0], leaked


def test_a_pool_refuses_a_job_of_the_other_role():
    with SandboxPool(1, role=REFERENCES, lazy=True) as references, SandboxPool(1) as pool:
        candidate = {"kind": "script", "code": "pass", "limits": {"wall_s": 5}}
        with pytest.raises(SandboxError, match="candidate job cannot run on a server for "
                                               "references"):
            references.run(candidate)
        with pytest.raises(SandboxError, match="reference job cannot run on a server for "
                                               "candidates"):
            pool.run(reference_job(candidate))
        assert pool.run(candidate)["exit"] == 0


def _dedent(code: str) -> str:
    return textwrap.dedent(code)
